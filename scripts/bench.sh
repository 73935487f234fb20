#!/usr/bin/env bash
# npm run bench [-- --quick]: Node (Dawn) benchmark against tfjs-webgpu on the same adapter.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
npx tsx bench/bench.ts "$@"
