CREATE TABLE impulse_source (
  "timestamp" TIMESTAMP NOT NULL,
  counter bigint not null,
  subtask_index bigint not null,
  WATERMARK FOR "timestamp" AS "timestamp"
) WITH (
  connector = 'single_file',
  path = '$input_dir/impulse.json',
  format = 'json',
  type = 'source'
);

CREATE TABLE delayed_impulse_source (
  "timestamp" TIMESTAMP NOT NULL,
  counter bigint not null,
  subtask_index bigint not null,
  WATERMARK FOR "timestamp" AS "timestamp" - INTERVAL '10' MINUTE
) WITH (
  connector = 'single_file',
  path = '$input_dir/impulse.json',
  format = 'json',
  type = 'source'
);

CREATE TABLE offset_output (
  "start" timestamp,
  counter bigint
) WITH (
  connector = 'single_file',
  path = '$output_path',
  format = 'json',
  type = 'sink'
);

INSERT INTO offset_output
SELECT window_start, a.counter as counter
FROM (SELECT counter, count(*) FROM TABLE(TUMBLE(TABLE impulse_source, DESCRIPTOR("timestamp"), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, counter) a
JOIN (SELECT window_start, window_end, counter , count(*) FROM TABLE(TUMBLE(TABLE delayed_impulse_source, DESCRIPTOR("timestamp"), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, counter) b
ON a.counter = b.counter
