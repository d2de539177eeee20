-- NEXMark q1 as batch SQL (SQLite). Streaming: ../q1.sql. Compare as a multiset (price: float tolerance).
SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid;
