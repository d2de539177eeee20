import { Command, Option } from 'commander';
import { demoCommand } from './commands/demo.ts';
import { generateCommand } from './commands/generate.ts';
import { type Io, runCommand } from './commands/run.ts';
import { CliError, EXIT_RUNTIME } from './errors.ts';

const io: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTty: Boolean(process.stderr.isTTY),
};

const collect = (v: string, prev: string[]) => [...prev, v];

const program = new Command()
  .name('darq')
  .description(
    'Streaming SQL with exactly-once results, every stateful stage a durable, recoverable DARQ participant in SQLite.',
  )
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Examples:
  $ darq demo                                   generate a search trace and run the paper's query on it
  $ darq generate search-trace --events 1000000 --out searches.jsonl
  $ darq run queries/paper/search-trends.sql --input searches=searches.jsonl --state st
  $ kill -9 <pid>; darq run queries/paper/search-trends.sql --input searches=searches.jsonl --state st   # resumes

Exit codes: 0 ok, 1 runtime failure, 2 usage or SQL error, 3 too many bad input records.`,
  );

program
  .command('run')
  .description('run a SQL script (CREATE SOURCE/SINK/VIEW, INSERT INTO, SELECT); resumes from --state')
  .argument('<file.sql>', 'the script to run')
  .option(
    '--state <dir>',
    'durable state directory: re-run with the same one after a crash to resume exactly once',
  )
  .option(
    '--input <name=path>',
    "read source 'name' from this file instead of its WITH path (repeatable)",
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
  .option('--workers <n>', 'worker processes (one SQLite file each)', '1')
  .option(
    '--max-bad-records <n>',
    'stop with exit code 3 once more input records than this could not be read',
  )
  .option('--dead-letter <path>', 'file for unreadable input records (default: <state>/dead-letters.jsonl)')
  .option('-q, --quiet', 'no summary line')
  .option('-v, --verbose', 'print the physical plan before running')
  .addHelpText(
    'after',
    `
Examples:
  $ darq run queries/paper/search-trends.sql --input searches=searches.jsonl --output region_counts=out.jsonl --state st
  $ darq run q.sql --persistence machine --checkpoint-interval 10 --state st`,
  )
  .action(async (file: string, flags) => {
    await runCommand(file, flags, io);
  });

program
  .command('generate')
  .description('write a seeded data set')
  .argument('<kind>', "search-trace (the DARQ paper's search-trend trace)")
  .option('--events <n>', 'number of events')
  .option('--seconds <s>', 'length of the trace in event time')
  .option('--rate <r>', 'events per second of event time', '50000')
  .option('--seed <s>', 'random seed', '1')
  .option('--preset <name>', 'events-50k | events-10k-long | events-250k')
  .requiredOption('--out <path>', 'output JSONL file')
  .addHelpText(
    'after',
    '\nExample:\n  $ darq generate search-trace --events 2000000 --rate 50000 --seed 7 --out searches.jsonl',
  )
  .action((kind: string, flags) => generateCommand(kind, flags, io.stderr));

program
  .command('demo')
  .description("generate the DARQ paper's search trace and run queries/paper/search-trends.sql over it")
  .option('--events <n>', 'events to generate', '500000')
  .option('--dir <dir>', 'working directory for the demo', '.darq-demo')
  .action(async (flags) => demoCommand(flags, io));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CliError) {
    if (!e.reported || e.message) process.stderr.write(`darq: error: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(`darq: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT_RUNTIME;
  }
}
