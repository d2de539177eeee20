#!/usr/bin/env bash
# Installs everything darq needs on a machine that has only Node.js 20+ and npm:
# pnpm 12.4.2 (globally, through npm) and the workspace's locked dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
# better-sqlite3 builds from source; node-gyp must find Node's own headers instead of downloading them.
export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  echo "setup: installing pnpm 12.4.2 with npm" >&2
  npm install -g pnpm@12.4.2 >/dev/null 2>&1 || npm install -g pnpm@12.4.2
fi
pnpm install --frozen-lockfile --reporter=silent >&2 || pnpm install --frozen-lockfile >&2
# The CLI bundle (packages/cli/dist): `darq` starts in ~0.2 s instead of compiling TypeScript on every run.
node scripts/bundle.mjs
