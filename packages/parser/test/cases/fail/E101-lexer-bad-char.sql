-- fail: unexpected character '#'
SELECT a # b FROM t;
