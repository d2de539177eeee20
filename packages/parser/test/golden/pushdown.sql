-- Predicate pushdown and projection pruning: through projections, into join inputs and conditions, into
-- union inputs, below window TVFs; never below an aggregate or into an outer join's nullable side, but a
-- WHERE that rejects NULLs of that side makes the join inner (IS NULL keeps it outer).
CREATE SOURCE orders (id BIGINT, customer BIGINT, amount DOUBLE, note VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'orders.jsonl');
CREATE SOURCE customers (id BIGINT, name VARCHAR, region VARCHAR) WITH (connector = 'file', path = 'c.jsonl');
SELECT o.id, c.name FROM orders o, customers c
  WHERE o.customer = c.id AND o.amount > 10 AND c.region = 'EU' AND o.amount + c.id > 3;
SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON o.customer = c.id WHERE c.region = 'EU' AND o.amount > 1;
SELECT o.id FROM orders o LEFT JOIN customers c ON o.customer = c.id WHERE c.region IS NULL;
SELECT * FROM (SELECT id, amount FROM orders UNION ALL SELECT id, CAST(1 AS DOUBLE) FROM customers) u WHERE u.id > 5;
SELECT * FROM (SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer) t WHERE t.total > 100 AND t.customer = 7;
SELECT window_start, id FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
  WHERE amount > 3 AND window_start > TIMESTAMP '2024-01-01 00:00:00';
