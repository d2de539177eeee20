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

CREATE TABLE session_window_output (
  "start" timestamp,
  "end" timestamp,
  user_id bigint,
  "rows" bigint
) WITH (
  connector = 'single_file',
  path = '$output_path',
  format = 'json',
  type = 'sink'
);

CREATE VIEW impulse_users AS
SELECT *, CASE WHEN counter % 10 = 0 THEN 0 ELSE counter END as user_id
FROM impulse_source;

INSERT INTO session_window_output
SELECT window_start, window_end, user_id, "rows" FROM (
    SELECT window_start, window_end, user_id, count(*) as "rows"
FROM TABLE(SESSION(TABLE impulse_users PARTITION BY user_id, DESCRIPTOR("timestamp"), INTERVAL '20' SECOND))
GROUP BY window_start, window_end, user_id)
