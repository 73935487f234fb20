#!/usr/bin/env bash
# Issue 16's GPU figures in one call. On a lent GPU machine, from the repository root, after
# `bash scripts/device-pack.sh bench bench-kernels bench-variants` here:
#   bash scripts/device/speed.sh        (run with carry [".device"], timeout_s 570)
# Each step has its own time limit, so one slow step cannot eat the others':
#   1. bench-variants, 2 rounds: which decode GEMV forms this GPU runs fastest (src/gpu/variants.ts's table), every
#      pairing checked to decode the same ids
#   2. bench-kernels linear-f16 linear-quant: each decode GEMV form's GB/s and share_of_copy in f32, f16, q8 and q4;
#      sampling's top-k and top-p candidates on the GPU against reading the logits back
#   3. bench --quick --no-train --large: prefill and decode tok/s in f16, f32, q8 and q4 at the embedded default's,
#      SmolLM2-135M's, Qwen2.5-0.5B's and Llama-3.2-1B's shapes, dispatches per token, transformers.js/tfjs ratios
#      where they run, and each adapter path's cost against the backbone
# Back in $OUT: each step's console (.txt) and the JSON reports, named <report>-<gpu>.json for bench/results/.
set -u
bash .device/setup.sh >/dev/null || exit 1
R=$PWD/.device/run
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr 'A-Z ' 'a-z-' | sed 's/^nvidia-//')
echo "GPU: ${gpu:-unknown}; $(nproc) cores"
touch /tmp/speed-start
step() {
  local name=$1 limit=$2 t0
  shift 2
  t0=$(date +%s)
  timeout "$limit" "$@" 2>&1 | grep -v '^Warning' >"$OUT/$name.txt"
  echo "== $name: exit ${PIPESTATUS[0]} after $(($(date +%s) - t0)) s (limit $limit s)"
  tail -n "${TAIL:-6}" "$OUT/$name.txt" | cut -c1-400
}
step variants "${LIMIT_VARIANTS:-120}" "$R" bin/bench-variants.mjs --rounds 2
step kernels "${LIMIT_KERNELS:-120}" "$R" bin/bench-kernels.mjs linear-f16 linear-quant
step bench "${LIMIT_BENCH:-300}" "$R" bin/bench.mjs --quick --no-train --large
for f in $(find bench/results -maxdepth 1 -name '*.json' -newer /tmp/speed-start); do
  cp "$f" "$OUT/$(basename "${f%.json}")-${gpu:-gpu}.json"
done
ls "$OUT"
