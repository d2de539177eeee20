#!/usr/bin/env bash
# The whole test suite: typecheck, lint, then every ava test, ending with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
status=0
echo "== typecheck"; ./node_modules/.bin/tsc -p tsconfig.json || status=1
echo "== lint"; ./node_modules/.bin/biome check . || status=1
echo "== tests"
tap=$(mktemp)
./node_modules/.bin/ava --tap "$@" | tee "$tap"
ava_status=${PIPESTATUS[0]}
passed=$(grep -c '^ok ' "$tap" || true)
failed=$(grep -c '^not ok ' "$tap" || true)
rm -f "$tap"
[ "$ava_status" -eq 0 ] || status=1
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"
