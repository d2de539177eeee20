-- The paper's pipeline (queries/paper/search-trends.sql) fed live on standard input, for the latency benchmark
-- (bench/paper/live.ts): the same filter, 500 ms tumbling count per region and trend detector, but the detector
-- reports every window's chain (not only anomalies) on standard output, so every window gives a latency sample.
-- The trace is in timestamp order: a zero-delay watermark closes a window at the first event past its end.
CREATE SOURCE searches (
  term VARCHAR,
  user_id BIGINT,
  ip VARCHAR,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH (connector = 'stdin', format = 'jsonl');

CREATE SINK detector WITH (connector = 'stdout', format = 'jsonl');

CREATE AGGREGATE FUNCTION trend_hash (n BIGINT) RETURNS INT FROM '../../queries/paper/udfs.ts';

CREATE VIEW counts AS
SELECT
  MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT)
    + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8) AS region,
  window_start,
  window_end,
  window_time,
  COUNT(*) AS searches
FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(ts), INTERVAL '500' MILLISECOND))
WHERE term LIKE 'fever%'
GROUP BY
  MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT)
    + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8),
  window_start,
  window_end;

INSERT INTO detector
SELECT region, window_start, window_end, searches,
  trend_hash(searches) OVER (PARTITION BY region ORDER BY window_time
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS chain
FROM counts;
