-- NEXMark q7 as batch SQL (SQLite). Streaming: ../q7.sql. Compare as a multiset.
-- Columns named like the streaming sink's, which receives them by position: bidder holds the price and
-- price holds the bidder (upstream's quirk).
WITH B1 AS (
  SELECT MAX(price) AS maxprice, (dateTime / 10000) * 10000 + 10000 AS dateTime
  FROM bid GROUP BY dateTime / 10000
)
SELECT B.auction, B.price AS bidder, B.bidder AS price, B.dateTime, B.extra
FROM bid B JOIN B1 ON B.price = B1.maxprice
WHERE B.dateTime BETWEEN B1.dateTime - 10000 AND B1.dateTime;
