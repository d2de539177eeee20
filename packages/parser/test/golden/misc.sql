-- EXPLAIN golden: union, distinct, over, unnest, limit, explain statement, set, view, ctes
SET 'parallelism' = '2';
CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, tags ARRAY<VARCHAR>, ts TIMESTAMP(3),
  pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'file', path = 'c.jsonl');
CREATE SINK out WITH (connector = 'stdout');
CREATE VIEW recent AS SELECT user_id, url, ts FROM clicks WHERE url LIKE 'https://%';
EXPLAIN INSERT INTO out SELECT user_id, url FROM recent UNION ALL SELECT user_id, UPPER(url) FROM clicks;
SELECT DISTINCT user_id FROM clicks;
SELECT user_id, SUM(user_id) OVER (PARTITION BY url ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS s FROM clicks;
SELECT c.user_id, tag FROM clicks c CROSS JOIN UNNEST(c.tags) AS t(tag);
WITH big AS (SELECT * FROM clicks WHERE user_id > 100) SELECT url FROM big LIMIT 10;
SELECT url, COUNT(*) FILTER (WHERE user_id > 3) AS n, COUNT(DISTINCT user_id) AS u FROM clicks GROUP BY url HAVING COUNT(*) > 1;
SELECT window_start, window_end, COUNT(*) AS n FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '1' HOUR))
  GROUP BY window_start, window_end EMIT CHANGES LATE INTO out;
