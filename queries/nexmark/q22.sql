-- NEXMark q22: URL directories. The first three path segments of each bid's URL (SPLIT_INDEX is
-- 0-based and keeps empty tokens: 'https://www.nexmark.com/a/b/c/...' split on '/' gives a, b, c at 3..5).
-- Batch = streaming: yes (stateless).

CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q22 WITH (connector = 'blackhole');

INSERT INTO nexmark_q22
SELECT auction, bidder, price, channel,
       SPLIT_INDEX(url, '/', 3) AS dir1,
       SPLIT_INDEX(url, '/', 4) AS dir2,
       SPLIT_INDEX(url, '/', 5) AS dir3
FROM bid;
