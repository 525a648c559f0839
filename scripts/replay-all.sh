#!/usr/bin/env bash
# Replay all five openb traces x policies x seeds 42..51 with the published sequences.
# usage: scripts/replay-all.sh OUTDIR [policies...]   (after ./mvnw package; env SAMPLED=1 samples arrivals instead,
#        OPENB=dir points at the openb traces, default ../shared/traces/openb)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?outdir}; shift
POLICIES=${*:-best-fit fgd plimsoll}
O=${OPENB:-../shared/traces/openb}
mkdir -p "$OUT"
for trace in default gpushare40 multigpu30 gpuspec25 cpu100; do
  for p in $POLICIES; do
    if [ "${SAMPLED:-0}" = 1 ]; then SEQ=(); tag=sampled; else SEQ=(--sequences "$O/sequences"); tag=seq; fi
    nice -n 10 java -jar target/quarkus-app/quarkus-run.jar simulate --nodes "$O/openb_node_list_gpu_node.csv" \
      --pods "$O/openb_pod_list_$trace.csv" --policy "$p" --seeds 42..51 --inflation 1.3 "${SEQ[@]}" \
      --json "$OUT/${trace}_${p}_${tag}.json" --quiet > "$OUT/${trace}_${p}_${tag}.txt"
    tail -1 "$OUT/${trace}_${p}_${tag}.txt" | sed "s/^/$trace $p $tag /"
  done
done
