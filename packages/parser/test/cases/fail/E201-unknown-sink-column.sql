-- fail: sink 'o' has no column 'c'
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
CREATE SINK o (a VARCHAR, b BIGINT) WITH (connector = 'file');
INSERT INTO o (a, c) SELECT term, user_id FROM searches;
