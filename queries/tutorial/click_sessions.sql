-- Tutorial 3: browsing sessions per user (SESSION).
--
-- A session window groups a user's clicks that follow each other with gaps shorter than 30 seconds. It
-- starts at the first click and ends 30 seconds after the last one; a click that comes later opens a new
-- session. PARTITION BY user_id makes the sessions per user (without it, one session spans all users).
--
--   darq run queries/tutorial/click_sessions.sql
-- Expected output: click_sessions.expected.jsonl.

CREATE SOURCE clicks (
  user_id VARCHAR,
  url VARCHAR,
  ts TIMESTAMP(3),
  -- Event time is ts; rows may arrive up to 5 seconds out of order.
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'clicks.jsonl', format = 'jsonl');

CREATE SINK click_sessions WITH (connector = 'file', path = 'out/click_sessions.jsonl', format = 'jsonl');

INSERT INTO click_sessions
SELECT user_id, window_start AS session_start, window_end AS session_end, COUNT(*) AS clicks
FROM TABLE(SESSION(TABLE clicks PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '30' SECOND))
GROUP BY user_id, window_start, window_end;
