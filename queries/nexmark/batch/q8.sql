-- NEXMark q8 as batch SQL (SQLite). Streaming: ../q8.sql. Compare as a multiset.
SELECT P.id, P.name, P.starttime
FROM (SELECT id, name, (dateTime / 10000) * 10000 AS starttime FROM person GROUP BY id, name, dateTime / 10000) P
JOIN (SELECT seller, (dateTime / 10000) * 10000 AS starttime FROM auction GROUP BY seller, dateTime / 10000) A
ON P.id = A.seller AND P.starttime = A.starttime;
