-- fail: computed column 'b' reads computed column 'a'
CREATE SOURCE s (ts BIGINT, a AS TO_TIMESTAMP_LTZ(ts, 3), b AS a + INTERVAL '1' SECOND) WITH (connector = 'file');
