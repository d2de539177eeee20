-- NEXMark q2: selection. Bids on auctions whose id is a multiple of 123.
-- Batch = streaming: yes (stateless filter).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q2 WITH (connector = 'blackhole');

INSERT INTO nexmark_q2 SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
