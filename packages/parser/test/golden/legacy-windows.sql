-- Flink's legacy group windows, planned as window TVFs
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3),
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND) WITH (connector = 'nexmark');
SELECT B.bidder, count(*) as bid_count,
       SESSION_START(B.dateTime, INTERVAL '10' SECOND) as starttime,
       SESSION_END(B.dateTime, INTERVAL '10' SECOND) as endtime
FROM bid B GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND);
SELECT auction, TUMBLE_START(dateTime, INTERVAL '10' SECOND), MAX(price) FROM bid
  WHERE price > 10 GROUP BY TUMBLE(dateTime, INTERVAL '10' SECOND), auction HAVING COUNT(*) > 2;
SELECT HOP_END(dateTime, INTERVAL '2' SECOND, INTERVAL '10' SECOND) AS e, COUNT(*) AS n FROM bid
  GROUP BY HOP(dateTime, INTERVAL '2' SECOND, INTERVAL '10' SECOND);
