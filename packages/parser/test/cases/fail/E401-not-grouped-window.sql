-- fail: column 'ip' must appear in GROUP BY or be used in an aggregate
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
SELECT ip, window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;
