CREATE TABLE impulse_source (
      "timestamp" TIMESTAMP,
      counter bigint not null,
      subtask_index bigint not null,
      WATERMARK FOR "timestamp" AS "timestamp" - INTERVAL '1' SECOND
    ) WITH (
      connector = 'single_file',
      path = '$input_dir/impulse.json',
      format = 'json',
      type = 'source'
    );

    CREATE TABLE unnest_output (
     counter bigint not null
    ) WITH (
      connector = 'single_file',
      path = '$output_path',
      format = 'json',
      type = 'sink'
    );

    CREATE VIEW unnest_view AS
    SELECT u.counter as counter FROM (
    SELECT array_agg(counter) as counters, window_start, window_end FROM TABLE(TUMBLE(TABLE impulse_source, DESCRIPTOR("timestamp"), INTERVAL '1' DAY)) GROUP BY window_start, window_end) w
    CROSS JOIN UNNEST(w.counters) AS u(counter);

    INSERT INTO unnest_output SELECT counter FROM unnest_view;
