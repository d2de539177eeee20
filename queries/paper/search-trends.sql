-- The DARQ paper's streaming pipeline (search-trend detection), in three stages:
--   1. keep searches whose term starts with 'fever' and map the user's IP to one of 8 regions
--      (sum of the IP's four octets mod 8);
--   2. count them per region in 500 ms tumbling windows            → region_counts
--   3. per region, chain a hash over the successive window counts (the paper's detector, a UDAF) and
--      report an anomaly when the hash is a multiple of 256         → anomalies
--
--   darq generate search-trace --events 200000 --out searches.jsonl
--   darq run queries/paper/search-trends.sql --input searches=searches.jsonl --output region_counts=out.jsonl
CREATE SOURCE searches (
  term VARCHAR,
  user_id BIGINT,
  ip VARCHAR,
  ts TIMESTAMP(3),
  -- The trace is in timestamp order: a window closes when the first event past its end arrives.
  WATERMARK FOR ts AS ts
) WITH (connector = 'file', path = 'searches.jsonl', format = 'jsonl');

CREATE SINK region_counts WITH (connector = 'file', path = 'region_counts.jsonl', format = 'jsonl');
CREATE SINK anomalies WITH (connector = 'file', path = 'anomalies.jsonl', format = 'jsonl');

CREATE AGGREGATE FUNCTION trend_hash (n BIGINT) RETURNS INT FROM 'udfs.ts';

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

INSERT INTO region_counts
SELECT region, window_start, window_end, searches FROM counts;

INSERT INTO anomalies
SELECT region, window_start, window_end, searches, chain
FROM (
  SELECT region, window_start, window_end, searches,
    trend_hash(searches) OVER (PARTITION BY region ORDER BY window_time
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS chain
  FROM counts
)
WHERE MOD(chain, 256) = 0;
