-- fail: watermark column 'ts' must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), not BIGINT
CREATE SOURCE s (ts BIGINT, WATERMARK FOR ts AS ts) WITH (connector = 'file');
