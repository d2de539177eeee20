-- NEXMark q18 as batch SQL (SQLite). Streaming: ../q18.sql (updating). Compare the final state keyed by
-- (bidder, auction); bids of one key with equal dateTime make the choice arbitrary in both.
SELECT auction, bidder, price, channel, url, dateTime, extra
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number FROM bid
)
WHERE rank_number <= 1;
