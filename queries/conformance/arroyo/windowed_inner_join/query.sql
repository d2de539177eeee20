CREATE TABLE cars (
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
CREATE TABLE hourly_aggregates (
  "hour" TIMESTAMP,
  drivers BIGINT,
  pickups BIGINT
) WITH (
  connector = 'single_file',
  path = '$output_path',
  format = 'json',
  type = 'sink'
);
INSERT INTO hourly_aggregates
SELECT window_start as "hour", dropoff_drivers, pickup_drivers FROM (
SELECT dropoffs.window_start as window_start, dropoffs.window_end as window_end, dropoff_drivers, pickup_drivers
FROM (
  SELECT  window_start, window_end,
   COUNT(distinct driver_id) as dropoff_drivers FROM TABLE(TUMBLE(TABLE cars, DESCRIPTOR("timestamp"), INTERVAL '1' HOUR)) where event_type = 'dropoff'
  GROUP BY window_start, window_end
) dropoffs
INNER JOIN (
  SELECT  window_start, window_end,
   COUNT(distinct driver_id) as pickup_drivers FROM TABLE(TUMBLE(TABLE cars, DESCRIPTOR("timestamp"), INTERVAL '1' HOUR)) where event_type = 'pickup'
  GROUP BY window_start, window_end
) pickups
ON dropoffs.window_start = pickups.window_start AND dropoffs.window_end = pickups.window_end)
