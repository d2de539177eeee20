-- NEXMark q11 as batch SQL (SQLite). Streaming: ../q11.sql. Compare as a multiset.
-- Sessions per bidder with a 10 s gap: a bid opens a new session when it comes more than 10 s after the
-- bidder's previous bid. A gap of exactly 10 s continues the session, as Flink merges session windows
-- that touch ([t, t + gap) and [t + gap, …) intersect in Flink's TimeWindow). The session ends 10 s
-- after its last bid.
WITH marked AS (
  SELECT bidder, dateTime,
         CASE WHEN dateTime - LAG(dateTime) OVER (PARTITION BY bidder ORDER BY dateTime) <= 10000
              THEN 0 ELSE 1 END AS opens
  FROM bid
),
numbered AS (
  SELECT bidder, dateTime,
         SUM(opens) OVER (PARTITION BY bidder ORDER BY dateTime ROWS UNBOUNDED PRECEDING) AS session
  FROM marked
)
SELECT bidder, COUNT(*) AS bid_count, MIN(dateTime) AS starttime, MAX(dateTime) + 10000 AS endtime
FROM numbered
GROUP BY bidder, session;
