CREATE TABLE impulse_source (
    "timestamp" TIMESTAMP,
    counter BIGINT NOT NULL,
    subtask_index BIGINT NOT NULL,
    WATERMARK FOR "timestamp" AS "timestamp"
) WITH (
    connector = 'single_file',
    path = '$input_dir/impulse.json',
    format = 'json',
    type = 'source'
);

CREATE TABLE session_window_output (
    "start" TIMESTAMP,
    "end" TIMESTAMP,
    "rows" BIGINT
) WITH (
    connector = 'single_file',
    path = '$output_path',
    format = 'json',
    type = 'sink'
);

INSERT INTO session_window_output
SELECT
    window_start,
    window_end,
    "rows"
FROM (
    SELECT
        window_start, window_end,
        COUNT(*) AS "rows"
    FROM TABLE(SESSION(TABLE impulse_source, DESCRIPTOR("timestamp"), INTERVAL '20' SECOND))
    GROUP BY window_start, window_end
);
