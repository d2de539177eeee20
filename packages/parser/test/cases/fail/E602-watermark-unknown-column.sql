-- fail: watermark column 'tss' is not a column
CREATE SOURCE s (ts TIMESTAMP(3), WATERMARK FOR tss AS tss) WITH (connector = 'file');
