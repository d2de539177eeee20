-- fail: f takes 1 arguments, got 2
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
CREATE FUNCTION f (x BIGINT) RETURNS BIGINT FROM 'udfs.ts';
SELECT f(user_id, 2) FROM searches;
