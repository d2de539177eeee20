-- NEXMark q22 as batch SQL (SQLite). Streaming: ../q22.sql. Compare as a multiset.
-- split_index is a registered function, 0-based, keeping empty tokens, NULL past the end (see README).
SELECT auction, bidder, price, channel,
       split_index(url, '/', 3) AS dir1,
       split_index(url, '/', 4) AS dir2,
       split_index(url, '/', 5) AS dir3
FROM bid;
