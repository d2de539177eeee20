-- NEXMark q11: user sessions. Bids per bidder per session, sessions closing after 10 s of inactivity.
-- Flink's text uses the legacy group window (GROUP BY bidder, SESSION(dateTime, INTERVAL '10' SECOND)
-- with SESSION_START / SESSION_END); the dialect has window TVFs only, so this is the SESSION TVF form
-- with the same meaning (per-bidder sessions via PARTITION BY).
-- Batch = streaming: yes when no bid is late (sessions are a function of each bidder's timestamps).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q11 WITH (connector = 'blackhole');

INSERT INTO nexmark_q11
SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
GROUP BY bidder, window_start, window_end;
