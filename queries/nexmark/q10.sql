-- NEXMark q10: log to file system. Every bid with its day and minute, written as CSV partitioned by
-- (dt, hm). Flink uses its filesystem connector with partition commit on partition time; here the sink
-- declares PARTITIONED BY and a directory (the bench may override the sink with a blackhole). Layout as
-- Flink's: out/nexmark_q10/dt=2023-11-14/hm=22%3A13/part-0.csv, partition columns in the path only; each
-- file is exactly-once (its committed length is recorded; a restart truncates it).
-- Batch = streaming: yes (stateless; compare the union of all partitions as a multiset).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');

CREATE SINK nexmark_q10 (auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3), extra VARCHAR,
  dt VARCHAR, hm VARCHAR)
  PARTITIONED BY (dt, hm)
  WITH (connector = 'file', path = 'out/nexmark_q10/', format = 'csv');
INSERT INTO nexmark_q10
SELECT auction, bidder, price, dateTime, extra,
       DATE_FORMAT(dateTime, 'yyyy-MM-dd'), DATE_FORMAT(dateTime, 'HH:mm')
FROM bid;
