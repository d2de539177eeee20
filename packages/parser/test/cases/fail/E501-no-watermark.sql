-- fail: column 'ts' is not a time attribute
CREATE SOURCE s (ts TIMESTAMP(3)) WITH (connector = 'file');
SELECT * FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' SECOND));
