-- NEXMark q5: hot items. For each 10-second window sliding every 2 seconds, the auction(s) with the
-- most bids (ties all kept): two HOP window aggregates joined on their window bounds (a window join).
-- Batch = streaming: yes when no bid is late (the seeded generator is in order within a split and the
-- watermark holds back 4 s), with batch HOP windows expanded explicitly (only non-empty windows).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q5 WITH (connector = 'blackhole');

INSERT INTO nexmark_q5
SELECT AB.auction, AB.num
FROM (
  SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
) AB
JOIN (
  SELECT max(CB.num) AS maxn, CB.starttime, CB.endtime
  FROM (
    SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
    FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end
  ) CB
  GROUP BY CB.starttime, CB.endtime
) MB
ON AB.starttime = MB.starttime AND AB.endtime = MB.endtime AND AB.num >= MB.maxn;
