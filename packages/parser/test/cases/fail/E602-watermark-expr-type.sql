-- fail: the watermark expression must be a TIMESTAMP, not BIGINT
CREATE SOURCE s (ts TIMESTAMP(3), n BIGINT, WATERMARK FOR ts AS n) WITH (connector = 'file');
