-- NEXMark q19 as batch SQL (SQLite). Streaming: ../q19.sql (updating). Compare the final state keyed by
-- (auction, rank_number); ties on price at the cut make the choice arbitrary in both.
SELECT *
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10;
