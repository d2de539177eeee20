CREATE SOURCE searches (
  term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0' MILLISECOND
) WITH (connector = 'file', path = 'searches.jsonl', format = 'jsonl');
CREATE SINK region_counts WITH (connector = 'file', path = 'region_counts.jsonl', format = 'jsonl');
CREATE FUNCTION region FROM 'udfs.ts';   -- optional: region(ip) may instead be a built-in expression over SPLIT_INDEX + CAST
INSERT INTO region_counts
SELECT MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT) + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8) AS region,
       window_start, window_end, COUNT(*) AS n
FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(ts), INTERVAL '500' MILLISECOND))
WHERE term LIKE 'fever%'
GROUP BY MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT) + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8), window_start, window_end;
CREATE SOURCE s2 (ts BIGINT, v INT, rowtime AS TO_TIMESTAMP_LTZ(ts, 3), WATERMARK FOR rowtime AS rowtime) WITH (connector='file');
SELECT window_start, SUM(v) AS total FROM TABLE(TUMBLE(TABLE s2, DESCRIPTOR(rowtime), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;
