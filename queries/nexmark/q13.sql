-- NEXMark q13: bounded side-input join. Each bid enriched from a static table (key, value) of 10 000
-- rows "i,i" (data/side_input.csv, as Flink's SideInputGenerator -n 10000 writes it): a lookup join
-- FOR SYSTEM_TIME AS OF the processing time. Every bid matches exactly once.
-- Batch = streaming: yes (the side table never changes, so processing time does not matter; compare as a
-- multiset with value = CAST(MOD(auction, 10000) AS VARCHAR)).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q13 WITH (connector = 'blackhole');

CREATE TABLE side_input ("key" BIGINT, "value" VARCHAR, PRIMARY KEY ("key") NOT ENFORCED)
  WITH (connector = 'file', path = 'data/side_input.csv', format = 'csv');
INSERT INTO nexmark_q13
SELECT B.auction, B.bidder, B.price, B.dateTime, S."value"
FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
ON mod(B.auction, 10000) = S."key";
