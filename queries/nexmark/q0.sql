-- NEXMark q0: pass-through. Every bid, projected; measures source and framework overhead.
-- Batch = streaming: yes (stateless projection; compare as a multiset).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q0 WITH (connector = 'blackhole');

INSERT INTO nexmark_q0 SELECT auction, bidder, price, dateTime, extra FROM bid;
