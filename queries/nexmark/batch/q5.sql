-- NEXMark q5 as batch SQL (SQLite). Streaming: ../q5.sql. Compare as a multiset.
-- HOP(slide 2 s, size 10 s) expanded by hand: a bid at t is in the 5 windows starting at
-- floor(t / 2 s) * 2 s - k * 2 s, k = 0..4; only non-empty windows exist.
WITH hopped AS (
  SELECT auction, (dateTime / 2000) * 2000 - k.k * 2000 AS starttime
  FROM bid, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS k
),
AB AS (
  SELECT auction, COUNT(*) AS num, starttime, starttime + 10000 AS endtime FROM hopped GROUP BY auction, starttime
),
MB AS (SELECT MAX(num) AS maxn, starttime, endtime FROM AB GROUP BY starttime, endtime)
SELECT AB.auction, AB.num
FROM AB JOIN MB ON AB.starttime = MB.starttime AND AB.endtime = MB.endtime AND AB.num >= MB.maxn;
