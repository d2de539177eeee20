#!/usr/bin/env node
// Starts darq from the bundle (packages/cli/dist/darq.mjs, built by `pnpm build:bundle` and scripts/setup.sh)
// when it is newer than every source file of the workspace packages; otherwise from the TypeScript sources
// through tsx, so an edited source never runs stale code. DARQ_BUNDLE=0 forces the sources; DARQ_BUNDLE=1 uses
// the bundle whenever it exists (benchmarks build it first and must not switch to tsx when a source changes).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(cliDir, 'dist/darq.mjs');

/** True when the bundle exists and no file under packages/<pkg>/src (or a package.json) is newer. */
function bundleIsFresh() {
  let built;
  try {
    built = fs.statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const packagesDir = path.dirname(cliDir);
  for (const pkg of fs.readdirSync(packagesDir)) {
    const dir = path.join(packagesDir, pkg);
    try {
      if (fs.statSync(path.join(dir, 'package.json')).mtimeMs > built) return false;
    } catch {
      continue;
    }
    let files;
    try {
      files = fs.readdirSync(path.join(dir, 'src'), { recursive: true });
    } catch {
      continue;
    }
    for (const f of files) {
      if (fs.statSync(path.join(dir, 'src', f)).mtimeMs > built) return false;
    }
  }
  return true;
}

/**
 * TypeScript UDFs (`CREATE FUNCTION f FROM 'udfs.ts'`) need tsx even when the CLI itself runs from the bundle:
 * register it for the commands that may load one (the shell, the golden runner, the demo) and for a .sql
 * argument that names a .ts module. Registering costs ~0.2 s, so other runs skip it.
 */
function needsTypeScript(args) {
  if (args.some((a) => a === 'sql' || a === 'test' || a === 'demo')) return true;
  for (const a of args) {
    if (!a.endsWith('.sql')) continue;
    try {
      if (/FROM\s+'[^']*\.[cm]?tsx?'/i.test(fs.readFileSync(a, 'utf8'))) return true;
    } catch {}
  }
  return false;
}

const choice = process.env.DARQ_BUNDLE;
const useBundle = choice === '1' ? fs.existsSync(bundle) : choice !== '0' && bundleIsFresh();
if (!useBundle) {
  const { register } = await import('tsx/esm/api');
  register();
} else if (needsTypeScript(process.argv.slice(2))) {
  // Registered only when the engine is about to import a .ts module (loadFunctions calls this): with tsx's
  // hooks in place every later import goes through them, so the bundle itself is loaded first, without.
  let registered;
  globalThis.__darqLoadTypeScript = () => {
    registered ??= import('tsx/esm/api').then(({ register }) => void register());
    return registered;
  };
}
await import(useBundle ? pathToFileURL(bundle).href : '../src/bin.ts');
