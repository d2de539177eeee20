-- fail: LOWER(…) OVER: LOWER is not an aggregate or ranking function
CREATE SOURCE s (a VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'file');
SELECT LOWER(a) OVER (PARTITION BY a ORDER BY ts) FROM s;
