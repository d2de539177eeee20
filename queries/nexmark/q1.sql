-- NEXMark q1: currency conversion. Each bid's price in euros (0.908 * price, a DECIMAL in Flink).
-- Batch = streaming: yes (stateless; compare prices with a float tolerance, DECIMAL is carried as a double).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q1 WITH (connector = 'blackhole');

INSERT INTO nexmark_q1 SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid;
