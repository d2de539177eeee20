-- NEXMark q14: calculation. Bids with 1 000 000 < 0.908 * price < 50 000 000, their converted price, a
-- day/night class from HOUR(dateTime) (UTC), and count_char(extra, 'c') (a TypeScript UDF, udfs.ts).
-- Batch = streaming: yes (stateless; a batch engine needs count_char, e.g. for ASCII text
-- length(extra) - length(replace(extra, 'c', ''))).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q14 WITH (connector = 'blackhole');

CREATE FUNCTION count_char (s VARCHAR, c VARCHAR) RETURNS BIGINT FROM 'udfs.ts';
INSERT INTO nexmark_q14
SELECT auction, bidder, 0.908 * price AS price,
       CASE
         WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18 THEN 'dayTime'
         WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime'
         ELSE 'otherTime'
       END AS bidTimeType,
       dateTime, extra, count_char(extra, 'c') AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
