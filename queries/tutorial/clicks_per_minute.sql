-- Tutorial 1: clicks per user per minute (TUMBLE).
--
-- A tumbling window cuts event time into fixed, non-overlapping intervals [10:00, 10:01), [10:01, 10:02), …
-- Each row falls into exactly one window. A window's row is emitted once, when the watermark passes the
-- window's end (here: 5 s after a click later than the end has been read), or at the end of the input.
--
--   darq run queries/tutorial/clicks_per_minute.sql
-- Expected output: clicks_per_minute.expected.jsonl (order of lines may differ).

CREATE SOURCE clicks (
  user_id VARCHAR,
  url VARCHAR,
  ts TIMESTAMP(3),
  -- Event time is ts; rows may arrive up to 5 seconds out of order.
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'clicks.jsonl', format = 'jsonl');

CREATE SINK clicks_per_minute WITH (connector = 'file', path = 'out/clicks_per_minute.jsonl', format = 'jsonl');

INSERT INTO clicks_per_minute
SELECT user_id, window_start, window_end, COUNT(*) AS clicks
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY user_id, window_start, window_end;
