// Shared helpers of the DPR benchmarks: child processes driven over IPC, the finder, the clock, results.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Finder } from '@darq/darq-core';
import { RESULTS } from '../darq-core/common.ts';

export { machine, median, Packr, percentiles, scratch } from '../darq-core/common.ts';

export const SECRET = 'darq-bench-dpr-cluster-secret-0123456789';

/** The one clock every process stamps with (all run on one machine). */
export const now = (): number => performance.timeOrigin + performance.now();

/** Messages between the driver and a child. */
export type ToChild = { readonly t: 'peers'; readonly ports: readonly number[] } | { readonly t: string };
export interface FromChild {
  readonly t: string;
  readonly [k: string]: unknown;
}

/** A child process running `script` with tsx, driven through IPC messages. */
export class Child {
  readonly proc: ChildProcess;
  private readonly waiting: Array<{ t: string; resolve: (m: FromChild) => void }> = [];
  private readonly inbox: FromChild[] = [];
  private exited = false;

  constructor(script: string, config: unknown) {
    this.proc = fork(fileURLToPath(new URL(script, import.meta.url)), [JSON.stringify(config)], {
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.DPR_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DPR_BENCH_PROF}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: FromChild) => {
      const i = this.waiting.findIndex((w) => w.t === m.t);
      if (i >= 0) {
        const [w] = this.waiting.splice(i, 1);
        w?.resolve(m);
      } else {
        this.inbox.push(m);
      }
    });
    this.proc.on('exit', () => {
      this.exited = true;
    });
  }

  send(m: ToChild | Record<string, unknown>): void {
    if (!this.exited) this.proc.send(m);
  }

  /** The next message of type `t` (one that already arrived, or the next to come). */
  next(t: string, timeoutMs = 30_000): Promise<FromChild> {
    const i = this.inbox.findIndex((m) => m.t === t);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as FromChild);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child: no '${t}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        t,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.send({ t: 'exit' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}

/** Starts a finder for `members` in this process (the driver), its state in `dir`. */
export function startFinder(dir: string, members: readonly string[]): Promise<Finder> {
  return Finder.listen({ statePath: join(dir, 'finder.json'), secret: SECRET, members });
}

/** In a child: the config passed on the command line, and a typed IPC channel to the driver. */
export function childConfig<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

export function toParent(m: FromChild): void {
  process.send?.(m);
}

export function onParent(handler: (m: { t: string; [k: string]: unknown }) => void): void {
  process.on('message', (m) => handler(m as { t: string }));
  process.on('disconnect', () => process.exit(0));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function writeDprResult(name: string, result: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `dpr-${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
