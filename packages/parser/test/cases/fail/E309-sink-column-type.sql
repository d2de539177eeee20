-- fail: cannot write BIGINT column 'user_id' into sink column 'flag' BOOLEAN
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
CREATE SINK o (flag BOOLEAN) WITH (connector = 'file');
INSERT INTO o SELECT user_id FROM searches;
