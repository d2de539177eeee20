-- fail: column 'user_id' is not a time attribute
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
SELECT * FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(user_id), INTERVAL '1' SECOND));
