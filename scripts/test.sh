#!/usr/bin/env bash
# npm test: system packages, typecheck, lint, then every test (kernels, model, loaders, e2e in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
[ -d node_modules/vitest ] || npm install
mkdir -p test-results
npx tsc -p tsconfig.json --noEmit
npx eslint .
status=0
npx vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json || status=$?
node scripts/summarize-tests.mjs test-results/vitest.json
exit $status
