-- Tutorial 4: late data (LATE INTO, a darq extension).
--
-- clicks_late.jsonl is not in time order. The watermark says "no click older than (latest click seen
-- - 5 s) will come any more". A click that arrives after the watermark has passed the end of its window
-- is *late*: its window has already been emitted. Rows 5 s or less out of order are fine (the 10:01:59
-- click read after 10:02:02); the 10:00:58 click read after 10:01:08, and the 10:01:30 click read after
-- 10:02:45, are late. Late rows are dropped and counted; with LATE INTO they go to a sink instead, as read.
--
--   darq run queries/tutorial/late_clicks.sql
-- Expected output: clicks_per_minute_all.expected.jsonl and late_clicks.expected.jsonl.
-- (The lateness shown assumes the watermark advances after every row read. A source that advanced it
-- only between batches of rows would let these rows through.)

CREATE SOURCE clicks (
  user_id VARCHAR,
  url VARCHAR,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'clicks_late.jsonl', format = 'jsonl');

CREATE SINK clicks_per_minute_all WITH (connector = 'file', path = 'out/clicks_per_minute_all.jsonl', format = 'jsonl');
CREATE SINK late_clicks WITH (connector = 'file', path = 'out/late_clicks.jsonl', format = 'jsonl');

INSERT INTO clicks_per_minute_all
SELECT window_start, window_end, COUNT(*) AS clicks
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end
LATE INTO late_clicks;
