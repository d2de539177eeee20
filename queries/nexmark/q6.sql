-- NEXMark q6: average selling price by seller. For each seller, the average winning price of their
-- last 10 closed auctions and the current one: top-1 bid per auction (ROW_NUMBER), then an OVER window
-- ROWS BETWEEN 10 PRECEDING AND CURRENT ROW per seller. Flink never runs it (FLINK-19059: its OVER
-- operator cannot consume the retractions of the Top-1); upstream's text also filters rownum inside the
-- subquery that defines it, so this file writes the intended query in valid SQL.
-- The Top-1 is an updating result (a higher bid replaces the winner); darq's OVER consumes that changelog:
-- it keeps each seller's live winners sorted by dateTime and re-emits the averages a change touches.
-- Batch = streaming: yes, without ties: the changelog's final state equals batch/q6.sql when no two winners of one seller
-- tie on dateTime (OVER orders peers arbitrarily): cross-checked at 1000 events/s, where every event has its
-- own millisecond (packages/engine/test/nexmark.test.ts).

CREATE SOURCE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
  dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'auction', events = '1000000', rate = '10000000', seed = '3');
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q6 WITH (connector = 'blackhole');

INSERT INTO nexmark_q6
SELECT Q.seller, AVG(Q.price) OVER (PARTITION BY Q.seller ORDER BY Q.dateTime
                                    ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS avg_price
FROM (
  SELECT id, seller, price, dateTime
  FROM (
    SELECT A.id, A.seller, B.price, B.dateTime,
           ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
    FROM auction AS A, bid AS B
    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
  )
  WHERE rownum <= 1
) AS Q;
