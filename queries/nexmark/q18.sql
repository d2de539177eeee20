-- NEXMark q18: find the last bid. The latest bid of each (bidder, auction): deduplication keeping the
-- last row by event time (ROW_NUMBER ... ORDER BY dateTime DESC, rank 1), an updating output.
-- Batch = streaming: yes for the final state (keyed by bidder, auction), up to bids with equal dateTime
-- for the same key (ROW_NUMBER breaks that tie arbitrarily in both).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q18 WITH (connector = 'blackhole');

INSERT INTO nexmark_q18
SELECT auction, bidder, price, channel, url, dateTime, extra
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number
  FROM bid
)
WHERE rank_number <= 1;
