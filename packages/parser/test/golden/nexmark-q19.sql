-- NEXMark q19: top-10 bids per auction by price, with the rank number: a retracting Top-N.
-- Batch = streaming: yes for the final state (keyed by auction, rank_number), up to bids tied on price
-- at the 10th place (ROW_NUMBER breaks ties arbitrarily).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q19 WITH (connector = 'blackhole');

INSERT INTO nexmark_q19
SELECT *
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
  FROM bid
)
WHERE rank_number <= 10;
