-- Window TVFs with named arguments (Flink: DATA, TIMECOL, SIZE, SLIDE, STEP, GAP, OFFSET), window joins
CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (connector = 'file', path = 'clicks.jsonl');
CREATE SOURCE views (user_id BIGINT, page VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH (connector = 'file', path = 'views.jsonl');
SELECT user_id, window_start, window_end, COUNT(*) AS n
FROM TABLE(TUMBLE(DATA => TABLE clicks, TIMECOL => DESCRIPTOR(ts), SIZE => INTERVAL '1' MINUTE, OFFSET => INTERVAL '10' SECOND))
GROUP BY user_id, window_start, window_end;
SELECT user_id, window_start, window_end, COUNT(*) AS n
FROM TABLE(SESSION(TABLE clicks PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '30' SECOND))
GROUP BY user_id, window_start, window_end;
SELECT c.user_id, c.n, v.m, c.window_start
FROM (SELECT user_id, window_start, window_end, COUNT(*) AS n
      FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
      GROUP BY user_id, window_start, window_end) c
JOIN (SELECT user_id, window_start, window_end, COUNT(*) AS m
      FROM TABLE(HOP(TABLE views, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
      GROUP BY user_id, window_start, window_end) v
ON c.user_id = v.user_id AND c.window_start = v.window_start AND c.window_end = v.window_end;
SELECT c.url, v.page FROM clicks c LEFT JOIN views v
  ON c.user_id = v.user_id AND v.ts BETWEEN c.ts - INTERVAL '10' SECOND AND c.ts;
