-- NEXMark q3: local item suggestion. Sellers in OR, ID or CA with an auction in category 10:
-- a regular (unbounded, non-windowed) inner join auction ⋈ person on seller = id. Join state grows forever
-- (no TTL): the planner should warn.
-- Batch = streaming: yes (inner join of two append-only inputs is append-only; compare as a multiset).

CREATE SOURCE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
  dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'auction', events = '1000000', rate = '10000000', seed = '3');
CREATE SOURCE person (id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'person', events = '1000000', rate = '10000000', seed = '3');
CREATE SINK nexmark_q3 WITH (connector = 'blackhole');

INSERT INTO nexmark_q3
SELECT P.name, P.city, P.state, A.id
FROM auction AS A JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
