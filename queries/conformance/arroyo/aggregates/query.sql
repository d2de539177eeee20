CREATE TABLE impulse_source (
    "timestamp" TIMESTAMP,
    counter BIGINT NOT NULL,
    subtask_index BIGINT NOT NULL
) WITH (
    connector = 'single_file',
    path = '$input_dir/impulse.json',
    format = 'json',
    type = 'source'
);

CREATE TABLE aggregates (
    "min" BIGINT,
    "max" BIGINT,
    "sum" BIGINT,
    "count" BIGINT,
    "avg" DOUBLE
) WITH (
    connector = 'single_file',
    path = '$output_path',
    format = 'debezium_json',
    type = 'sink'
);

INSERT INTO aggregates
SELECT
    MIN(counter),
    MAX(counter),
    SUM(counter),
    COUNT(*),
    AVG(CAST(counter AS DOUBLE))
FROM impulse_source;
