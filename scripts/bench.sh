#!/usr/bin/env bash
# npm run bench [-- --quick]: the same benchmark in Node (Dawn) and in Chromium, each against tfjs-webgpu
# on its own adapter in the same run. Reports go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
npx tsx bench/bench.ts "$@"
npx tsx bench/chromium.ts "$@"
