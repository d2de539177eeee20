CREATE TABLE cars(
          "timestamp" TIMESTAMP NOT NULL,
          driver_id BIGINT,
          event_type TEXT,
          location TEXT,
          WATERMARK FOR "timestamp" AS "timestamp" - INTERVAL '1' MINUTE
        ) WITH (
          connector = 'single_file',
          path = '$input_dir/cars.json',
          format = 'json',
          type = 'source'
        );
        CREATE TABLE group_by_aggregate (
          "month" TIMESTAMP,
          "count" BIGINT
        ) WITH (
          connector = 'single_file',
          path = '$output_path',
          format = 'json',
          type = 'sink'
        );
        INSERT INTO group_by_aggregate
        SELECT window_start as "month", "count"
        FROM (
        SELECT window_start, window_end, COUNT(*) as "count"
        FROM TABLE(TUMBLE(TABLE cars, DESCRIPTOR("timestamp"), INTERVAL '30' DAY))
        GROUP BY window_start, window_end);
