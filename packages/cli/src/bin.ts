import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { Io } from './commands/run.ts';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from './errors.ts';

// Commands are imported when they run, so `darq --help` does not load the engine.
const io: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTty: Boolean(process.stderr.isTTY),
  stdoutIsTty: Boolean(process.stdout.isTTY),
};

const collect = (v: string, prev: string[]) => [...prev, v];

const EXIT_CODES = 'Exit codes: 0 ok, 1 runtime failure, 2 usage or SQL error, 3 too many bad input records.';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('darq')
  .version(version, '-V, --version', 'print the version')
  .description(
    'Streaming SQL with exactly-once results, every stateful stage a durable, recoverable DARQ participant in SQLite.',
  )
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  $ darq demo                                   generate a search trace and run the paper's query on it
  $ darq generate search-trace --events 1000000 --out searches.jsonl
  $ darq run queries/paper/search-trends.sql --input searches=searches.jsonl --state st
  $ kill -9 <pid>; darq run queries/paper/search-trends.sql --input searches=searches.jsonl --state st   # resumes
  $ darq explain queries/tutorial/clicks_per_minute.sql --format svg > plan.svg
  $ darq test queries/tutorial
  $ darq sql

${EXIT_CODES}`,
  );

program
  .command('run')
  .description('run a SQL script (CREATE SOURCE/SINK/VIEW, INSERT INTO, SELECT); resumes from --state')
  .argument('<file.sql>', 'the script to run')
  .option(
    '--state <dir>',
    'durable state directory: re-run with the same one after a crash to resume exactly once (default: a temporary dir)',
  )
  .option(
    '--input <name=path>',
    "read source 'name' from this file instead of its WITH path (repeatable; name=- reads stdin)",
    collect,
    [],
  )
  .option('--output <name=path>', "write sink 'name' to this file ('-' for stdout) (repeatable)", collect, [])
  .option('--speculative', 'run steps before their effects are durable (default)', true)
  .option('--no-speculative', 'steps see only committed input (the DARQ paper baseline)')
  .option(
    '--checkpoint-interval <ms>',
    'close a version (one SQLite commit) at least this often; 0 = group commit',
    '5',
  )
  .addOption(
    new Option('--persistence <level>', 'process: survives kill -9; machine: fsync, survives power loss')
      .choices(['process', 'machine'])
      .default('process'),
  )
  .option('--parallelism <n>', 'participants per stateful stage, hash-partitioned by key', '1')
  .option(
    '--workers <n>',
    'worker processes (one SQLite file each) plus a finder process; stages are spread over them',
    '1',
  )
  .option('--cluster <file>', 'cluster file placing workers and the finder on hosts (docs/cluster.md)')
  .option('--tentative <path>', 'also write rows at once, with retraction markers (multi-worker runs)')
  .addOption(new Option('--chaos <min:max[:seed]>', 'kill a random process every min..max ms').hideHelp())
  .addOption(new Option('--chaos-kills <n>', 'stop killing after n kills').hideHelp())
  .addOption(new Option('--chaos-report <path>', 'write kills and recovery times here').hideHelp())
  .addOption(
    new Option(
      '--chaos-target <process>',
      'kill only this process (w0, finder…); SIGUSR2 kills it now',
    ).hideHelp(),
  )
  .option(
    '--max-bad-records <n>',
    'stop with exit code 3 once more input records than this could not be read (default: unlimited)',
  )
  .option('--dead-letter <path>', 'file for unreadable input records (default: <state>/dead-letters.jsonl)')
  .addOption(
    new Option(
      '--on-udf-error <policy>',
      'a UDF that throws: fail (end the run, no partial effect), skip (dead-letter the row) or null',
    )
      .choices(['fail', 'skip', 'null'])
      .default('fail'),
  )
  .addOption(
    new Option(
      '--format <fmt>',
      'rows of a bare SELECT and stdout sinks: table, jsonl, csv or debezium-json (default: table on a terminal, else jsonl)',
    ).choices(['table', 'jsonl', 'csv', 'debezium-json']),
  )
  .option(
    '--metrics-port <port>',
    'serve Prometheus metrics on http://127.0.0.1:<port>/metrics while running',
  )
  .option('-q, --quiet', 'no summary line')
  .option('-v, --verbose', 'print the physical plan before running')
  .addHelpText(
    'after',
    `
Examples:
  $ darq run queries/paper/search-trends.sql --input searches=searches.jsonl --output region_counts=out.jsonl --state st
  $ darq run q.sql --persistence machine --checkpoint-interval 10 --state st
  $ darq run q.sql --output alerts=- --format csv          # a sink to stdout as CSV
  $ darq run q.sql --metrics-port 9464 --state st          # scrape http://127.0.0.1:9464/metrics
  $ darq run q.sql --workers 3 --state st --tentative live.jsonl   # 3 worker processes + a finder (docs/cluster.md)

Results go to stdout (or the sinks' files); the summary line and progress go to stderr.
${EXIT_CODES}`,
  )
  .action(async (file: string, flags) => {
    const { runCommand } = await import('./commands/run.ts');
    await runCommand(file, flags, io);
  });

program
  .command('__worker', { hidden: true })
  .argument('<file.sql>')
  .requiredOption('--cluster-spec <file>')
  .option('--worker-id <id>')
  .option('--standby')
  .action(async (file: string, flags: { clusterSpec: string; workerId?: string }) => {
    const { workerCommand } = await import('./commands/cluster.ts');
    await workerCommand(file, flags.clusterSpec, flags.workerId, io);
  });

program
  .command('__finder', { hidden: true })
  .requiredOption('--cluster-spec <file>')
  .requiredOption('--state <dir>')
  .option('--standby')
  .action(async (flags: { clusterSpec: string; state: string; standby?: boolean }) => {
    const { finderCommand } = await import('./commands/cluster.ts');
    await finderCommand(flags.clusterSpec, flags.state, flags.standby === true);
  });

program
  .command('explain')
  .description(
    'show the plan: logical tree, stages, participants, state, partitioning, changelog, watermarks, commit boundary',
  )
  .argument('<file.sql>', 'the script to explain (nothing is run)')
  .addOption(
    new Option('--format <fmt>', 'output format').choices(['text', 'json', 'dot', 'svg']).default('text'),
  )
  .option('--parallelism <n>', 'plan with this many participants per stateful stage', '1')
  .option('--workers <n>', 'show the placement of participants on this many worker processes', '1')
  .option('--no-speculative', 'plan for a run with --no-speculative')
  .addHelpText(
    'after',
    `
Examples:
  $ darq explain queries/tutorial/clicks_per_minute.sql
  $ darq explain q.sql --format json | jq '.stages[].state'
  $ darq explain q.sql --format svg > plan.svg       # rendered in-process (Graphviz compiled to WASM)
  $ darq explain q.sql --format dot | dot -Tpng > plan.png`,
  )
  .action(async (file: string, flags) => {
    const { explainCommand } = await import('./commands/explain.ts');
    await explainCommand(file, flags, io);
  });

program
  .command('test')
  .description('golden runner: run every .sql under DIR and compare its sinks with the expected files')
  .argument('<dir>', 'a directory (searched recursively) or one .sql file')
  .option('--update', 'rewrite the expected files with the actual output')
  .option('--filter <text>', 'only the .sql files whose path contains this text')
  .option('--timeout <seconds>', 'fail a case that runs longer than this', '300')
  .option(
    '--modes <list>',
    'ways to run each case, all against the same expected files: straight, frequent (a commit as soon as the previous one finished), killed (SIGKILL once output is committed, then resume)',
    'straight',
  )
  .addHelpText(
    'after',
    `
Layout (for x.sql):
  <sink>.expected.jsonl    expected rows of sink <sink> (e.g. queries/tutorial/clicks_per_minute.expected.jsonl)
  x.expected.jsonl         expected rows of a bare SELECT (or of x.sql's only sink)
  -- fail: <text>          a header line: the script must fail with an error containing <text>
Rows compare as multisets of JSON values (line and key order ignored). Outputs go to a temporary dir.

Examples:
  $ darq test queries/tutorial
  $ darq test queries/tutorial --filter sliding --update
  $ darq test queries/tutorial --modes straight,frequent,killed`,
  )
  .action(async (dir: string, flags) => {
    const { testCommand } = await import('./commands/test.ts');
    await testCommand(dir, flags, io);
  });

program
  .command('generate')
  .description('write a seeded data set as JSONL')
  .argument(
    '<kind>',
    "search-trace (the DARQ paper's search-trend trace) or nexmark (persons, auctions, bids)",
  )
  .option('--events <n>', 'number of events')
  .option('--seconds <s>', 'length of the trace in event time (search-trace)')
  .option('--rate <r>', 'events per second of event time (default: 50000 search-trace, 10000000 nexmark)')
  .option('--seed <s>', "random seed (default: 1 for search-trace; NEXMark's seeded defaults for nexmark)")
  .option('--preset <name>', 'search-trace only: events-50k | events-10k-long | events-250k')
  .option('--out <path>', 'output JSONL file')
  .addHelpText(
    'after',
    `
nexmark writes one JSON object per line: {"kind":"person"|"auction"|"bid", …the entity's fields}, with
dateTime (and an auction's expires) in epoch milliseconds.

Examples:
  $ darq generate search-trace --events 2000000 --rate 50000 --seed 7 --out searches.jsonl
  $ darq generate nexmark --events 100000 --rate 1000 --out nexmark.jsonl`,
  )
  .action(async (kind: string, flags) => {
    const { generateCommand } = await import('./commands/generate.ts');
    await generateCommand(kind, flags, io);
  });

program
  .command('sql')
  .description('interactive shell: statements end with ;  \\help, \\explain <query>, \\q')
  .option('--history <file>', 'history file (default: ~/.darq_history)')
  .addHelpText(
    'after',
    `
Examples:
  $ darq sql
  darq> CREATE SOURCE clicks (user_id VARCHAR, url VARCHAR, ts TIMESTAMP(3))
   ...>   WITH (connector = 'file', path = 'queries/tutorial/clicks.jsonl');
  darq> SELECT user_id, url FROM clicks WHERE user_id = 'alice';
  darq> \\explain SELECT COUNT(*) AS n FROM clicks GROUP BY user_id;`,
  )
  .action(async (flags) => {
    const { sqlCommand } = await import('./commands/sql.ts');
    await sqlCommand(flags, io);
  });

program
  .command('demo')
  .description("generate the DARQ paper's search trace and run queries/paper/search-trends.sql over it")
  .option('--events <n>', 'events to generate', '500000')
  .option('--dir <dir>', 'working directory for the demo', '.darq-demo')
  .addHelpText('after', '\nExample:\n  $ darq demo --events 100000')
  .action(async (flags) => {
    const { demoCommand } = await import('./commands/demo.ts');
    await demoCommand(flags, io);
  });

program
  .command('bench')
  .description(
    'run a benchmark and write bench/results/<name>.{json,csv,md} and SVG plots (figures beside their baselines)',
  )
  .argument(
    '<name>',
    "paper (the DARQ paper's streaming benchmark and baselines) | nexmark | all | rss (10 M events, memory) | replay",
  )
  .argument('[args...]', 'passed to the benchmark (rss, replay: events, repeats)')
  .option('--quick', 'short runs (under a minute for paper): bench/results/<name>-quick.*')
  .addOption(new Option('--smoke', 'the smallest run that exercises every part (tests)').hideHelp())
  .addHelpText(
    'after',
    '\nExamples:\n  $ darq bench paper --quick\n  $ darq bench all\n  $ darq bench rss 10000000',
  )
  .action(async (name: string, args: string[], flags: { quick?: boolean; smoke?: boolean }) => {
    const { benchCommand } = await import('./commands/bench.ts');
    const mode = flags.smoke ? ['--smoke'] : flags.quick ? ['--quick'] : [];
    process.exitCode = await benchCommand(name, [...mode, ...args], io);
  });

for (const c of program.commands) c.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const ce = e as { code?: string; exitCode?: number };
  if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
    // commander already printed the message (or the help / version text).
    process.exitCode = ce.exitCode === 0 ? 0 : EXIT_USAGE;
  } else if (e instanceof CliError) {
    if (!e.reported || e.message) process.stderr.write(`darq: error: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(`darq: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT_RUNTIME;
  }
}
