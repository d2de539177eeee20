-- NEXMark q12: processing-time windows. Bids per bidder in 10-second tumbling windows of processing time.
-- Batch = streaming: NO (processing time is non-deterministic by design). Invariant checks instead: the
-- bid_counts sum to the number of bids; every window is 10 s long and aligned to a multiple of 10 s;
-- (bidder, starttime) is unique; each window lies within the run's wall-clock span. Checked straight and killed and
-- resumed in packages/engine/test/nexmark.test.ts.

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q12 WITH (connector = 'blackhole');

CREATE VIEW B AS SELECT *, PROCTIME() AS p_time FROM bid;
INSERT INTO nexmark_q12
SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
GROUP BY bidder, window_start, window_end;
