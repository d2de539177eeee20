CREATE TABLE cars (
          "timestamp" TIMESTAMP NOT NULL,
          driver_id BIGINT,
          event_type TEXT,
          location TEXT,
          WATERMARK FOR "timestamp" AS "timestamp" - INTERVAL '1' HOUR
        ) WITH (
          connector = 'single_file',
          path = '$input_dir/cars.json',
          format = 'json',
          type = 'source'
        );
        CREATE TABLE most_active_driver (
          "start" TIMESTAMP,
          "end" TIMESTAMP,
          driver_id BIGINT,
          "count" BIGINT,
          "row_number" BIGINT
        ) WITH (
          connector = 'single_file',
          path = '$output_path',
          format = 'json',
          type = 'sink'
        );
        INSERT INTO most_active_driver
        SELECT  window_start, window_end, driver_id, "count", "row_number" FROM (
          SELECT *, ROW_NUMBER()  OVER (
            PARTITION BY window_start, window_end
            ORDER BY "count" DESC, driver_id desc) as "row_number"
          FROM (
          SELECT driver_id,
          window_start, window_end,
                 count(*) as "count"
                 FROM TABLE(HOP(TABLE cars, DESCRIPTOR("timestamp"), INTERVAL '1' MINUTE, INTERVAL '1' HOUR))
                 GROUP BY driver_id, window_start, window_end) ) where "row_number" = 1
