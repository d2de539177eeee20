import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { EngineError, Job } from '@darq/engine';
import { compile, formatDiagnostic, type Program } from '@darq/parser';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from '../errors.ts';
import { planModel, planText } from '../render/plan.ts';
import { RowPrinter } from '../render/rows.ts';
import type { Io } from './run.ts';

export interface SqlFlags {
  history?: string;
}

const HELP = `Statements end with ';' and may span lines. Definitions (CREATE SOURCE/SINK/VIEW/FUNCTION, SET)
are kept for the session; SELECT and INSERT INTO run over them (paths resolve against the working
directory) and SELECT prints its rows as a table.
  \\help              this text
  \\explain <query>   the plan of a query (stages, state, partitioning, commit boundary)
  \\d                 the sources, sinks and views defined so far
  \\q                 quit (or Ctrl-D)
Ctrl-C stops a running query (after a final commit) or clears the statement being typed.`;

/** True when the text ends a statement: a `;` outside quotes and comments at the end. */
export function statementComplete(text: string): boolean {
  let inSingle = false;
  let inDouble = false;
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inSingle) {
      if (c === "'") inSingle = false;
      continue;
    }
    if (inDouble) {
      if (c === '"') inDouble = false;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
      continue;
    }
    if (c === "'") inSingle = true;
    else if (c === '"') inDouble = true;
    if (!/\s/.test(c)) last = c;
  }
  return !inSingle && !inDouble && last === ';';
}

function firstWord(stmt: string): string {
  return (
    stmt
      .replace(/--[^\n]*\n?/g, '')
      .trim()
      .split(/\s+/)[0] ?? ''
  ).toUpperCase();
}

/** A session: the definitions so far and a way to run a statement over them. */
export class SqlSession {
  private readonly defs: string[] = [];
  private readonly names: string[] = [];
  running: AbortController | undefined;
  /** Statements that failed: SQL errors and run failures (a piped script exits 2 or 1 when any did). */
  readonly failures = { sql: 0, runtime: 0 };

  constructor(
    private readonly io: Io,
    private readonly baseDir: string,
  ) {}

  private compileWith(stmt: string): Program | undefined {
    const text = [...this.defs, stmt].join('\n');
    const { program, diagnostics } = compile(text, { file: '<shell>' });
    for (const d of diagnostics) this.io.stdout(`${formatDiagnostic(d, text)}\n`);
    if (!diagnostics.some((d) => d.severity === 'error')) return program;
    this.failures.sql++;
    return undefined;
  }

  async execute(stmt: string): Promise<void> {
    const word = firstWord(stmt);
    if (word === '') return;
    if (word === 'CREATE' || word === 'SET') {
      const before = this.compileWith('');
      const program = this.compileWith(stmt);
      if (!program) return;
      this.defs.push(stmt);
      const added = [
        ...program.sources
          .filter((s) => !before?.sources.some((b) => b.name === s.name))
          .map((s) => `source ${s.name}`),
        ...program.sinks
          .filter((s) => !before?.sinks.some((b) => b.name === s.name))
          .map((s) => `sink ${s.name}`),
      ];
      const m = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?VIEW\s+(\S+)/i.exec(stmt);
      if (m) added.push(`view ${m[1]}`);
      this.names.push(...added);
      this.io.stdout(`ok${added.length ? `: ${added.join(', ')}` : ''}\n`);
      return;
    }
    const program = this.compileWith(stmt);
    if (!program) return;
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-sql-'));
    const printer = new RowPrinter('table', this.io.stdout, 1000);
    try {
      const job = await Job.create(program, {
        stateDir: state,
        baseDir: this.baseDir,
        stdout: (t) => printer.write(t),
      });
      if (word === 'EXPLAIN') {
        this.io.stdout(`${planText(planModel('<shell>', program, job, true))}\n`);
        return;
      }
      this.running = new AbortController();
      const s = await job.run({ signal: this.running.signal });
      printer.end();
      const rows =
        word === 'SELECT' || word === 'WITH' ? `${printer.rows} rows` : `${s.rowsOut} rows written`;
      this.io.stdout(
        `(${rows}, ${s.eventsIn} events in, ${(s.elapsedMs / 1000).toFixed(2)} s${s.stopped === 'interrupted' ? ', stopped' : ''})\n`,
      );
    } catch (e) {
      if (e instanceof EngineError && e.domain === 'user') this.failures.sql++;
      else this.failures.runtime++;
      this.io.stdout(`error: ${e instanceof EngineError ? e.message : (e as Error).message}\n`);
    } finally {
      this.running = undefined;
      fs.rmSync(state, { recursive: true, force: true });
    }
  }

  async explain(query: string): Promise<void> {
    const program = this.compileWith(query.trim().endsWith(';') ? query : `${query};`);
    if (!program) return;
    try {
      const job = await Job.create(program, {
        stateDir: path.join(os.tmpdir(), 'darq-unused'),
        baseDir: this.baseDir,
      });
      this.io.stdout(`${planText(planModel('<shell>', program, job, true))}\n`);
    } catch (e) {
      this.io.stdout(`error: ${(e as Error).message}\n`);
    }
  }

  describe(): string {
    return this.names.length ? this.names.join('\n') : '(nothing defined yet: CREATE SOURCE …;)';
  }
}

function loadHistory(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500);
  } catch {
    return [];
  }
}

/** `darq sql`: the interactive shell. */
export async function sqlCommand(flags: SqlFlags, io: Io): Promise<void> {
  const historyFile = flags.history ?? path.join(os.homedir(), '.darq_history');
  const session = new SqlSession(io, process.cwd());
  const terminal = Boolean(process.stdin.isTTY);
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal,
    history: loadHistory(historyFile),
    historySize: 500,
    prompt: 'darq> ',
  });
  const history: string[] = [];
  if (terminal) io.stdout('darq sql: statements end with ;  \\help for help, \\q to quit\n');
  let buffer = '';
  const prompt = () => {
    if (!terminal) return;
    rl.setPrompt(buffer ? ' ...> ' : 'darq> ');
    rl.prompt();
  };
  rl.on('SIGINT', () => {
    if (session.running) {
      session.running.abort();
      return;
    }
    buffer = '';
    io.stdout('^C\n');
    prompt();
  });
  prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (!buffer && trimmed.startsWith('\\')) {
      history.push(trimmed);
      const [cmd, ...rest] = trimmed.split(/\s+/);
      if (cmd === '\\q' || cmd === '\\quit') break;
      if (cmd === '\\help' || cmd === '\\?') io.stdout(`${HELP}\n`);
      else if (cmd === '\\d') io.stdout(`${session.describe()}\n`);
      else if (cmd === '\\explain') {
        await session.explain(rest.join(' '));
      } else io.stdout(`unknown command ${cmd}; \\help lists them\n`);
      prompt();
      continue;
    }
    buffer = buffer ? `${buffer}\n${line}` : line;
    if (!statementComplete(buffer)) {
      if (!buffer.trim()) buffer = '';
      prompt();
      continue;
    }
    const stmt = buffer;
    buffer = '';
    history.push(stmt.replace(/\s*\n\s*/g, ' '));
    await session.execute(stmt);
    prompt();
  }
  rl.close();
  if (history.length > 0) {
    try {
      fs.appendFileSync(historyFile, `${history.join('\n')}\n`);
    } catch {
      // A history file that cannot be written is not worth failing the session for.
    }
  }
  if (terminal) io.stdout('\n');
  else if (session.failures.sql + session.failures.runtime > 0) {
    const n = session.failures.sql + session.failures.runtime;
    throw new CliError(
      session.failures.sql > 0 ? EXIT_USAGE : EXIT_RUNTIME,
      `${n} statement${n === 1 ? '' : 's'} of the script failed`,
    );
  }
}
