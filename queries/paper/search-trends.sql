-- The first two stages of the DARQ paper's streaming pipeline (search-trend detection):
-- keep searches whose term starts with 'fever', map the user's IP to one of 8 regions
-- (sum of the IP's four octets mod 8), and count them per region in 500 ms tumbling windows.
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

INSERT INTO region_counts
SELECT
  MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT)
    + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8) AS region,
  window_start,
  window_end,
  COUNT(*) AS searches
FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(ts), INTERVAL '500' MILLISECOND))
WHERE term LIKE 'fever%'
GROUP BY
  MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT)
    + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8),
  window_start,
  window_end;
