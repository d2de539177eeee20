-- NEXMark q20: expand bid with auction. Bids joined with their auction, category 10 only: a regular
-- join with a filter on the build side; state unbounded (no TTL).
-- Batch = streaming: yes (inner join of append-only inputs; compare as a multiset).

CREATE SOURCE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
  dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'auction', events = '1000000', rate = '10000000', seed = '3');
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q20 WITH (connector = 'blackhole');

INSERT INTO nexmark_q20
SELECT auction, bidder, price, channel, url, B.dateTime AS bid_dateTime, B.extra AS bid_extra,
       itemName, description, initialBid, reserve, A.dateTime AS auction_dateTime, expires, seller, category,
       A.extra AS auction_extra
FROM bid AS B JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;
