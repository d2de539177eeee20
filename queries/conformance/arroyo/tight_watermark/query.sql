CREATE TABLE cars(
  "timestamp" TIMESTAMP,
  driver_id BIGINT,
  event_type TEXT,
  location TEXT,
  WATERMARK FOR "timestamp" AS "timestamp"
) WITH (
  connector = 'single_file',
  path = '$input_dir/cars.json',
  format = 'json',
  type = 'source'
);
CREATE TABLE group_by_aggregate (
  "timestamp" TIMESTAMP,
  "count" BIGINT
) WITH (
  connector = 'single_file',
  path = '$output_path',
  format = 'json',
  type = 'sink'
);
CREATE VIEW group_by_view AS (SELECT window_end as "timestamp", "count"
FROM (
SELECT window_start, window_end, COUNT(*) as "count"
FROM TABLE(TUMBLE(TABLE cars, DESCRIPTOR("timestamp"), INTERVAL '1' HOUR))
GROUP BY window_start, window_end));
INSERT INTO group_by_aggregate
SELECT "timestamp", "count" FROM group_by_view 
