-- fail: OVER frames must end at CURRENT ROW on a stream
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
SELECT SUM(user_id) OVER (PARTITION BY term ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM searches;
