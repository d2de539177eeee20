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
CREATE TABLE impulse_sink (
    "count" bigint,
    "min" bigint,
    "max" bigint,
    "start" timestamp,
    "end" timestamp
) WITH (
    connector = 'single_file',
    path = '$output_path',
    format = 'json',
    type = 'sink'
);

INSERT INTO impulse_sink
SELECT "count", "min", "max", window_start, window_end FROM (
    SELECT
     window_start, window_end,
count(*) as "count",
min(counter) as "min",
max(counter) as "max"
from TABLE(HOP(TABLE impulse_source, DESCRIPTOR("timestamp"), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end
);
