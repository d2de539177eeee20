-- NEXMark q14 as batch SQL (SQLite). Streaming: ../q14.sql. Compare as a multiset (price: float tolerance).
-- HOUR(dateTime) in UTC; count_char(extra, 'c') as a registered function (see README).
SELECT auction, bidder, 0.908 * price AS price,
       CASE
         WHEN CAST(strftime('%H', dateTime / 1000, 'unixepoch') AS INTEGER) BETWEEN 8 AND 18 THEN 'dayTime'
         WHEN CAST(strftime('%H', dateTime / 1000, 'unixepoch') AS INTEGER) <= 6
           OR CAST(strftime('%H', dateTime / 1000, 'unixepoch') AS INTEGER) >= 20 THEN 'nightTime'
         ELSE 'otherTime'
       END AS bidTimeType,
       dateTime, extra, count_char(extra, 'c') AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
