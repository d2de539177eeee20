-- fail: GROUP BY over a window TVF needs both window_start and window_end
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start;
