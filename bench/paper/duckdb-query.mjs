// The paper's query as batch SQL in DuckDB over a search-trace JSONL file: per 500 ms window and region, the
// searches whose term starts with 'fever'. Run as a fresh process and timed as a whole command by
// bench/paper/run.ts (what a user gets today without a streaming engine). The detector's hash chain is a fold
// over 16 rows per second of event time and is left out.
//
//   node bench/paper/duckdb-query.mjs searches.jsonl out.jsonl
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output] = process.argv.slice(2);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`COPY (
  SELECT (CAST(split_part(ip, '.', 1) AS INT) + CAST(split_part(ip, '.', 2) AS INT)
        + CAST(split_part(ip, '.', 3) AS INT) + CAST(split_part(ip, '.', 4) AS INT)) % 8 AS region,
         ts - ts % 500 AS window_start, ts - ts % 500 + 500 AS window_end, count(*) AS searches
  FROM read_ndjson(${q(input)}, columns = {term: 'VARCHAR', user_id: 'BIGINT', ip: 'VARCHAR', ts: 'BIGINT'})
  WHERE term LIKE 'fever%'
  GROUP BY ALL ORDER BY window_start, region
) TO ${q(output)} (FORMAT JSON)`);
