#!/usr/bin/env bash
# npm run bench [-- --quick]: the same benchmark in Node (Dawn) and in Chromium, each against tfjs-webgpu
# on its own adapter in the same run. Reports go to bench/results/.
# Sections: kernels, model prefill/decode, adapters, and a LoRA training step (bench/train.ts).
# Flags: --quick, --adapters-only, --train-only, --no-train, --large (Node: also Qwen2.5-0.5B- and Llama-3.2-1B-shaped
# models, ours in f16 only), --train-smol (Node: also train the
# SmolLM2-135M-shaped model; minutes per step on a CPU-emulated adapter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
npx tsx bench/bench.ts "$@"
npx tsx bench/chromium.ts "$@"
