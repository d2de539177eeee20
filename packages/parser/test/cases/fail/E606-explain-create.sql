-- fail: EXPLAIN works on INSERT INTO and SELECT statements
EXPLAIN CREATE SINK o WITH (connector = 'file');
