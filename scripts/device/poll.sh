#!/usr/bin/env bash
# scripts/device/poll.sh WAIT_S [final]: waits up to WAIT_S s for the runs of default-preset.sh, prints where each
# is, and when all are done (or with `final`) merges the parts and sends /tmp/full back as $OUT/full.tgz
F=/tmp/full
end=$(( $(date +%s) + ${1:-540} ))
while [ $(date +%s) -lt $end ]; do
  n=$(ls $F/*.rc 2>/dev/null | wc -l)
  [ "$n" -ge 14 ] && break
  sleep 10
done
echo "elapsed $(( $(date +%s) - $(cat $F/t0) )) s"
for l in $F/*.log; do n=$(basename $l .log); printf '%-10s rc=%s  %s\n' $n "$(cat $F/$n.rc 2>/dev/null)" "$(grep -v '^Warning\|^\[gpu\]\|^|' $l | tail -1 | cut -c1-150)"; done
if [ "$(ls $F/*.rc 2>/dev/null | wc -l)" -ge 14 ] || [ "${2:-}" = final ]; then
  parts=$(for d in t1-lora t1-zd t1-zs t1-sem t1-cuma t1-soft l-cuma-a l-cuma-b l-cuma-c l-zd-a l-zd-b l-zd-c; do [ -f $F/$d/results.json ] && printf '%s,' $F/$d; done)
  bash .device/setup.sh >/dev/null # each call carries .device afresh: unpack again
  .device/run bin/cli.mjs merge --from ${parts%,} --out $F/merged 2>&1 | tail -40
  tar czf $OUT/full.tgz -C /tmp full
fi
