-- NEXMark q10 as batch SQL (SQLite). Streaming: ../q10.sql. Compare the union of all partitions as a multiset.
SELECT auction, bidder, price, dateTime, extra,
       strftime('%Y-%m-%d', dateTime / 1000, 'unixepoch') AS dt, strftime('%H:%M', dateTime / 1000, 'unixepoch') AS hm
FROM bid;
