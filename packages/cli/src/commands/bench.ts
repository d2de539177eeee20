import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT_USAGE } from '../errors.ts';
import type { Io } from './run.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const BENCHES = ['paper', 'nexmark', 'rss'] as const;

/** `darq bench NAME [args…]`: runs bench/engine/NAME.ts in a fresh process and returns its exit code. */
export async function benchCommand(name: string, args: string[], io: Io): Promise<number> {
  if (!(BENCHES as readonly string[]).includes(name)) {
    throw new CliError(EXIT_USAGE, `unknown benchmark '${name}'; available: ${BENCHES.join(', ')}`);
  }
  const script = path.join(root, 'bench/engine', `${name}.ts`);
  if (!fs.existsSync(script))
    throw new CliError(EXIT_USAGE, `${script} is missing (benchmarks run from a checkout)`);
  io.stderr(`darq bench: node --import tsx ${path.relative(process.cwd(), script)} ${args.join(' ')}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: 'inherit',
    cwd: root,
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}
