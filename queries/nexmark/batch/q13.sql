-- NEXMark q13 as batch SQL (SQLite). Streaming: ../q13.sql. Compare as a multiset.
-- side_input is ../data/side_input.csv loaded as a table (key INTEGER, value TEXT).
SELECT B.auction, B.bidder, B.price, B.dateTime, S.value
FROM bid B JOIN side_input S ON B.auction % 10000 = S.key;
