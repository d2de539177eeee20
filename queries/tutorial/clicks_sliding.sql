-- Tutorial 2: clicks per user over the last two minutes, every minute (HOP).
--
-- A hopping (sliding) window has a size (2 minutes) and a slide (1 minute): a new window starts every
-- minute and each lasts two, so every row falls into size / slide = 2 windows. Only windows that hold at
-- least one row produce output. Note the argument order, as in Flink: slide first, then size.
--
--   darq run queries/tutorial/clicks_sliding.sql
-- Expected output: clicks_sliding.expected.jsonl.

CREATE SOURCE clicks (
  user_id VARCHAR,
  url VARCHAR,
  ts TIMESTAMP(3),
  -- Event time is ts; rows may arrive up to 5 seconds out of order.
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'clicks.jsonl', format = 'jsonl');

CREATE SINK clicks_sliding WITH (connector = 'file', path = 'out/clicks_sliding.jsonl', format = 'jsonl');

INSERT INTO clicks_sliding
SELECT user_id, window_start, window_end, COUNT(*) AS clicks, COUNT(DISTINCT url) AS pages
FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE))
GROUP BY user_id, window_start, window_end;
