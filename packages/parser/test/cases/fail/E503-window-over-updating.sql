-- fail: TUMBLE needs an append-only input, but 'counts' is updating
CREATE SOURCE searches (term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'searches.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl');
CREATE VIEW counts AS SELECT term, COUNT(*) AS n, MAX(ts) AS ts FROM searches GROUP BY term;
SELECT * FROM TABLE(TUMBLE(TABLE counts, DESCRIPTOR(ts), INTERVAL '1' SECOND));
