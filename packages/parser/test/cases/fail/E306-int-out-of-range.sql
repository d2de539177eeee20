-- fail: integer literal 99999999999999999999 is out of range
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
SELECT 99999999999999999999 FROM searches;
