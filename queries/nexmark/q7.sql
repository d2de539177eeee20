-- NEXMark q7: highest bid. The bids whose price equals the maximum of their 10-second tumbling window,
-- restricted to bids with dateTime in [window_end - 10 s, window_end]. window_end is not a time attribute,
-- so this is a regular join on price with a residual time filter (its state grows with every bid).
-- The sink declares Flink's columns: INSERT maps by position, so, as upstream, column bidder receives the
-- price and column price receives the bidder (a known upstream quirk, kept to stay comparable).
-- Batch = streaming: yes (inner join of append-only inputs; compare as a multiset).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q7 (auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3), extra VARCHAR)
  WITH (connector = 'blackhole');

INSERT INTO nexmark_q7
SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
FROM bid B
JOIN (
  SELECT MAX(price) AS maxprice, window_end AS dateTime
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
) B1
ON B.price = B1.maxprice
WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime;
