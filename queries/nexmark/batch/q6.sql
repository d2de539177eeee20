-- NEXMark q6 as batch SQL (SQLite). Streaming: ../q6.sql (updating: a Top-1 per auction feeds an OVER).
-- The streaming changelog's final state equals this when no two winning bids of one seller share a dateTime
-- (at a low event rate, e.g. 1000 events/s, every event has its own millisecond); otherwise OVER's order among
-- equal dateTimes is arbitrary in both. Tied prices within an auction: the earliest bid wins, as in streaming.
-- AVG of BIGINT truncates (Flink), hence SUM / COUNT in integer arithmetic.
SELECT seller,
       SUM(price) OVER w / COUNT(price) OVER w AS avg_price
FROM (
  SELECT A.id, A.seller, B.price, B.dateTime,
         ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC, B.dateTime ASC) AS rownum
  FROM auction A, bid B
  WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
)
WHERE rownum <= 1
WINDOW w AS (PARTITION BY seller ORDER BY dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW);
