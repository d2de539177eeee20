-- ROW_NUMBER patterns: Top-N, window Top-N, deduplication (keep first / keep last), and a filter that is
-- not a rank limit (stays an OverAggregate + Filter).
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '4' SECOND) WITH (connector = 'file', path = 'bid.jsonl');
SELECT auction, price, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bid) WHERE rn < 4;
SELECT * FROM (
  SELECT window_start, window_end, auction, price,
         ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rn
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn <= 3;
SELECT auction, bidder FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY pt ASC) AS rn FROM bid) WHERE rn = 1;
SELECT auction, bidder FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY ts DESC) AS rn FROM bid) WHERE 1 >= rn;
SELECT auction FROM (
  SELECT auction, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY ts) AS rn FROM bid) WHERE rn > 1;
SELECT auction, price FROM bid ORDER BY price DESC LIMIT 5;
