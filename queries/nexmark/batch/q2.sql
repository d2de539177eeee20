-- NEXMark q2 as batch SQL (SQLite). Streaming: ../q2.sql. Compare as a multiset.
SELECT auction, price FROM bid WHERE auction % 123 = 0;
