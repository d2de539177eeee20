-- fail: column 'a' is declared twice
CREATE SOURCE s (a INT, a BIGINT) WITH (connector = 'file');
