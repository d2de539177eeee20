-- NEXMark q17 as batch SQL (SQLite). Streaming: ../q17.sql (updating). Compare the final state keyed by
-- (auction, day). avg_price is a BIGINT average, truncated.
SELECT auction, strftime('%Y-%m-%d', dateTime / 1000, 'unixepoch') AS day,
  count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
  min(price) AS min_price,
  max(price) AS max_price,
  CAST(avg(price) AS INTEGER) AS avg_price,
  sum(price) AS sum_price
FROM bid
GROUP BY auction, strftime('%Y-%m-%d', dateTime / 1000, 'unixepoch');
