CREATE AGGREGATE FUNCTION my_median (x BIGINT) RETURNS DOUBLE FROM 'udfs.ts';
CREATE AGGREGATE FUNCTION none_udf (x BIGINT) RETURNS DOUBLE FROM 'udfs.ts';
CREATE AGGREGATE FUNCTION max_product (a BIGINT, b BIGINT) RETURNS BIGINT FROM 'udfs.ts';

CREATE TABLE impulse_source (
  "timestamp" TIMESTAMP,
  counter bigint not null,
  subtask_index bigint not null,
  proc_time AS PROCTIME()
) WITH (
  connector = 'single_file',
  path = '$input_dir/impulse.json',
  format = 'json',
  type = 'source'
);

CREATE TABLE udaf (
  median bigint,
  none_value double,
  max_product bigint
) WITH (
  connector = 'single_file',
  path = '$output_path',
  format = 'json',
  type = 'sink'
);

INSERT INTO udaf
SELECT median, none_value, max_product FROM (
  SELECT
      window_start, window_end,
      my_median(counter) as median,
      none_udf(counter) as none_value,
      max_product(counter, subtask_index) as max_product
FROM TABLE(TUMBLE(TABLE impulse_source, DESCRIPTOR(proc_time), INTERVAL '30' DAY))
GROUP BY window_start, window_end)
