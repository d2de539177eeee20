-- fail: sink column 'b' cannot be computed
CREATE SINK o (a INT, b AS a + 1) WITH (connector = 'file');
