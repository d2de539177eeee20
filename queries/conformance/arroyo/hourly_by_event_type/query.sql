CREATE TABLE cars(
  "timestamp" TIMESTAMP,
  driver_id BIGINT,
  event_type TEXT,
  location TEXT,
  WATERMARK FOR "timestamp" AS "timestamp" - INTERVAL '1' SECOND
) WITH (
  connector = 'single_file',
  path = '$input_dir/cars.json',
  format = 'json',
  type = 'source'
);
CREATE TABLE group_by_aggregate (
  event_type TEXT,
  "hour" TIMESTAMP,
  "count" BIGINT
) WITH (
  connector = 'single_file',
  path = '$output_path',
  format = 'json',
  type = 'sink'
);
INSERT INTO group_by_aggregate
SELECT event_type, window_start as "hour", "count"
FROM (
SELECT event_type, window_start, window_end, COUNT(*) as "count"
FROM TABLE(TUMBLE(TABLE cars, DESCRIPTOR("timestamp"), INTERVAL '1' HOUR))
GROUP BY event_type, window_start, window_end);
