-- NEXMark q0 as batch SQL (SQLite). Streaming: ../q0.sql. Compare as a multiset.
SELECT auction, bidder, price, dateTime, extra FROM bid;
