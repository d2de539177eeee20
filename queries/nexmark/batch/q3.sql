-- NEXMark q3 as batch SQL (SQLite). Streaming: ../q3.sql. Compare as a multiset.
SELECT P.name, P.city, P.state, A.id
FROM auction AS A JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
