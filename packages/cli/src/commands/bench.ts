import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT_USAGE } from '../errors.ts';
import type { Io } from './run.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Benchmark name → the scripts it runs, in order. */
const BENCHES: Record<string, readonly string[]> = {
  paper: ['bench/paper/run.ts'],
  nexmark: ['bench/paper/nexmark.ts'],
  all: ['bench/paper/run.ts', 'bench/paper/nexmark.ts'],
  rss: ['bench/engine/rss.ts'],
  replay: ['bench/engine/paper.ts'],
};

/**
 * `darq bench NAME [--quick] [args…]`: runs the benchmark's scripts, each in a fresh process, and returns the
 * first non-zero exit code. `paper`, `nexmark` and `all` write bench/results/<name>{,-quick}.{json,csv,md,svg}.
 *
 * ```sh
 * darq bench paper --quick     # < 60 s: bench/results/paper-quick.*
 * ```
 */
export async function benchCommand(name: string, args: string[], io: Io): Promise<number> {
  const scripts = BENCHES[name];
  if (!scripts) {
    throw new CliError(
      EXIT_USAGE,
      `unknown benchmark '${name}'; available: ${Object.keys(BENCHES).join(', ')}`,
    );
  }
  for (const rel of scripts) {
    const script = path.join(root, rel);
    if (!fs.existsSync(script))
      throw new CliError(EXIT_USAGE, `${script} is missing (benchmarks run from a checkout)`);
    io.stderr(`darq bench: node --import tsx ${rel} ${args.join(' ')}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: 'inherit',
      cwd: root,
    });
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) return code;
  }
  return 0;
}
