-- NEXMark q4: average winning price per category. The winning bid of an auction is its highest bid
-- within [auction.dateTime, expires]; averaged per category (AVG of BIGINT is a BIGINT, truncated).
-- A regular join with a time-range predicate (expires is not a time attribute), then two levels of
-- updating GROUP BY.
-- Batch = streaming: yes for the final state (updating output: compare the final table keyed by id).

CREATE SOURCE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
  dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'auction', events = '1000000', rate = '10000000', seed = '3');
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q4 WITH (connector = 'blackhole');

INSERT INTO nexmark_q4
SELECT Q.category AS id, AVG(Q."final") AS "final"
FROM (
  SELECT MAX(B.price) AS "final", A.category
  FROM auction A, bid B
  WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
  GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
