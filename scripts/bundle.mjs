#!/usr/bin/env node
// Bundles the darq CLI (packages/cli/src/bin.ts and every workspace package it imports) into one ES module,
// packages/cli/dist/darq.mjs, so `darq` starts without compiling TypeScript on every run. Native or
// self-locating dependencies stay external and are imported from their installed location, by a path
// relative to the bundle. bin/darq.js uses the bundle only while it is newer than every source file.
//
//   node scripts/bundle.mjs          (also: pnpm build:bundle; scripts/setup.sh runs it)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'packages/cli/dist/darq.mjs');
const outDir = path.dirname(outfile);
// better-sqlite3 and msgpackr-extract load native addons; @viz-js/viz carries a large WASM blob and is loaded
// only by `explain --format svg`; tsx is registered lazily, for TypeScript UDFs only.
const EXTERNAL = /^(better-sqlite3|msgpackr|@viz-js\/viz|tsx)(\/.*)?$/;

/** Imports of external packages become relative paths to the module the importer would have loaded. */
const externals = {
  name: 'darq-externals',
  setup(b) {
    b.onResolve({ filter: EXTERNAL }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'inner',
      });
      if (r.errors.length > 0) return { errors: r.errors };
      let rel = path.relative(outDir, r.path).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
};

/** `import.meta.url` in a source file keeps meaning that file's URL (the CLI finds the repo root with it). */
const sourceUrls = {
  name: 'darq-source-urls',
  setup(b) {
    b.onLoad({ filter: /[/\\]packages[/\\][^/\\]+[/\\]src[/\\].*\.ts$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = path.relative(outDir, args.path).split(path.sep).join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};

const t0 = performance.now();
const tmpDir = `${outDir}.${process.pid}.tmp`;
fs.rmSync(tmpDir, { recursive: true, force: true });
const result = await build({
  entryPoints: { darq: path.join(root, 'packages/cli/src/bin.ts') },
  outdir: tmpDir,
  outExtension: { '.js': '.mjs' },
  // Every output sits in dist/ itself: the external paths are relative to that directory.
  chunkNames: '[name]-[hash]',
  // Commands are dynamic imports in bin.ts: as separate chunks, `darq --version` does not parse the engine.
  splitting: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Maps are written beside the chunks but not linked: tsx (registered for TypeScript UDFs) turns source maps
  // on, and parsing them costs every such run ~50 ms. Debug with DARQ_BUNDLE=0 (the sources).
  sourcemap: 'external',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [externals, sourceUrls],
  // Bundled CommonJS dependencies (commander, prom-client) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __darqCreateRequire } from 'node:module'; const require = __darqCreateRequire(import.meta.url);",
  },
  metafile: true,
});
// Chunks have content-hashed names: move them in first, then replace darq.mjs (a rename: atomic), so a darq
// started from the previous bundle still finds the chunks it loads lazily. Chunks no bundle has used for an
// hour are removed.
fs.mkdirSync(outDir, { recursive: true });
const fresh = new Set(fs.readdirSync(tmpDir));
for (const f of fresh)
  if (!f.startsWith('darq.mjs')) fs.renameSync(path.join(tmpDir, f), path.join(outDir, f));
for (const f of ['darq.mjs.map', 'darq.mjs']) fs.renameSync(path.join(tmpDir, f), path.join(outDir, f));
fs.rmSync(tmpDir, { recursive: true, force: true });
for (const f of fs.readdirSync(outDir)) {
  const p = path.join(outDir, f);
  if (!fresh.has(f) && Date.now() - fs.statSync(p).mtimeMs > 3600_000)
    fs.rmSync(p, { recursive: true, force: true });
}
const chunks = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.mjs'));
const bytes = chunks.reduce((n, [, o]) => n + o.bytes, 0);
const inputs = Object.keys(result.metafile.inputs).length;
process.stderr.write(
  `bundle: ${path.relative(process.cwd(), outfile)} (${(bytes / 1e6).toFixed(1)} MB in ${chunks.length} chunks, from ${inputs} files) in ${Math.round(performance.now() - t0)} ms\n`,
);
