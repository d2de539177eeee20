-- NEXMark q4 as batch SQL (SQLite). Streaming: ../q4.sql (updating). Compare with the streaming run's
-- final state keyed by id. AVG of BIGINT is a BIGINT in Flink: truncated toward zero.
SELECT Q.category AS id, CAST(AVG(Q.final) AS INTEGER) AS final
FROM (
  SELECT MAX(B.price) AS final, A.category
  FROM auction A, bid B
  WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
  GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
