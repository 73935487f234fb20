#!/usr/bin/env bash
# On a lent GPU machine, from the repository root, after `bash scripts/device-pack.sh cli bench` here and
# `npm run cli -- experiment --preset default --embeddings .device/emb-default.safetensors --embed-only --model public/models/default --out x`:
#   bash scripts/device/default-preset.sh [WAIT_S]    (carry .device)
# The training bench on the quiet GPU, then the default preset split over 12 processes (6 for Table 1, 6 for
# Table 2) plus a 900-step LoRA and CUMA, started with setsid so that they outlive the call; it then waits up
# to WAIT_S s. Later calls: `bash scripts/device/poll.sh WAIT_S [final]` (the machine stays only while called);
# when all are done (or with `final`) it merges the parts and sends /tmp/full back as $OUT/full.tgz.
# On an H100 (16 cores) this took 21 min; CUMA at 900 steps did not fit in the 30 minutes a session has.
# EXTRA="--no-persona --center-conditions --lr 2e-3" adds flags to every process (the app's adapter mode:
# e_d only, centred); NO_BENCH=1 skips the bench.
set -u
bash .device/setup.sh || exit 1
R=$PWD/.device/run
nvidia-smi -L; nproc
t0=$(date +%s)
if [ -z "${NO_BENCH:-}" ]; then
  $R bin/bench.mjs --train-only --train-smol 2>&1 | grep -v "^Warning" | tail -22
  cp "$(ls -t bench/results/*node-train.json | head -1)" $OUT/
  echo "bench took $(( $(date +%s) - t0 )) s"
fi
F=/tmp/full; mkdir -p $F
C="experiment --model public/models/default --preset default --embeddings .device/emb-default.safetensors ${EXTRA:-}"
launch() { local name=$1; shift; setsid bash -c "$R bin/cli.mjs $C --out $F/$name $* >$F/$name.log 2>&1; echo \$? >$F/$name.rc" </dev/null >/dev/null 2>&1 & }
launch t1-lora --methods persona-prompting,lora --no-loco
launch t1-zd --methods zhyper-diag --no-loco
launch t1-zs --methods zhyper-square --no-loco
launch t1-sem --methods cuma-semantic --no-loco
launch t1-cuma --methods cuma --no-loco
launch t1-soft --methods cuma-soft --no-loco
launch l-cuma-a --methods none --loco-methods cuma --loco-zones 1,2,3
launch l-cuma-b --methods none --loco-methods cuma --loco-zones 4,5,6
launch l-cuma-c --methods none --loco-methods cuma --loco-zones 7,8
launch l-zd-a --methods none --loco-methods zhyper-diag --loco-zones 1,2,3
launch l-zd-b --methods none --loco-methods zhyper-diag --loco-zones 4,5,6
launch l-zd-c --methods none --loco-methods zhyper-diag --loco-zones 7,8
launch x-lora900 --methods lora --no-loco --steps 900
launch x-cuma900 --methods cuma --no-loco --steps 900
date +%s >$F/t0
bash scripts/device/poll.sh ${1:-420}
