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

CREATE TABLE output WITH (
    connector = 'single_file',
    path = '$output_path',
    format = 'json',
    type = 'sink'
);

CREATE VIEW hourly_pickups AS
    SELECT driver_id, window_time AS rowtime, count(*) as pickups
    FROM TABLE(TUMBLE(TABLE cars, DESCRIPTOR("timestamp"), INTERVAL '1' HOUR)) where event_type = 'pickup'
    GROUP BY driver_id, window_start, window_end, window_time;

INSERT INTO output 
SELECT window_start as "start", window_end as "end", drivers
FROM (
SELECT window_start, window_end, count(distinct driver_id) as drivers

FROM TABLE(TUMBLE(TABLE hourly_pickups, DESCRIPTOR(rowtime), INTERVAL '1' HOUR))
WHERE pickups > 2
GROUP BY window_start, window_end);
