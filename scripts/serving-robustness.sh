#!/bin/bash
# Re-runs the robustness variations of docs/serving-results.md with `simulate serving`.
# usage: bash scripts/serving-robustness.sh [GENAI_DIR] [OUT_DIR]   (after ./mvnw -B -q package -DskipTests)
set -euo pipefail
G=${1:-../shared/traces/genai}
OUT=${2:-out/serving-robustness}
mkdir -p "$OUT"
J=(java -jar target/quarkus-app/quarkus-run.jar simulate serving --requests "$G/lora_request_trace_nov.csv"
   --load-latency "$G/basemodel_load_latency.csv")
run() { local name=$1; shift; "${J[@]}" "$@" > "$OUT/$name.txt"; grep '^goal' "$OUT/$name.txt" | sed "s/^/$name: /"; }
run whole --duty-cycle "$G/pod_gpu_duty_cycle.csv.gz" --json "$OUT/whole.json"
run first --until 2024-11-23
run hold --from 2024-11-23
for s in 43 44 45 46; do run hold-s$s --from 2024-11-23 --seed $s; run whole-s$s --seed $s; done
run hold-fgd --from 2024-11-23 --strategy FGD
run whole-fgd --strategy FGD
run whole-spread --strategy Spread
run hold-pf0125 --from 2024-11-23 --park-fraction 0.125 --adaptive-park-cost 0.125
run whole-pf0125 --park-fraction 0.125 --adaptive-park-cost 0.125
run hold-pf030 --from 2024-11-23 --park-fraction 0.30 --adaptive-park-cost 0.30
run hold-pf035 --from 2024-11-23 --park-fraction 0.35 --adaptive-park-cost 0.35
run hold-pf05 --from 2024-11-23 --park-fraction 0.5 --adaptive-park-cost 0.5
run whole-pf05 --park-fraction 0.5 --adaptive-park-cost 0.5
run hold-res10 --from 2024-11-23 --park-resume 10s
run whole-res10 --park-resume 10s
run hold-start60 --from 2024-11-23 --node-startup 60s
run whole-start60 --node-startup 60s
run hold-g4 --from 2024-11-23 --gpus-per-node 4
run whole-g4 --gpus-per-node 4
run hold-g0 --from 2024-11-23 --gpus-per-node 0
run whole-g0 --gpus-per-node 0
run hold-readme --from 2024-11-23 --gpus-per-node 0 --max-replicas 1
run whole-readme --gpus-per-node 0 --max-replicas 1
run hold-atonce --from 2024-11-23 --scale-up-cooldown 0s --consolidation-interval 0s
run whole-atonce --scale-up-cooldown 0s --consolidation-interval 0s
# the references' pools on Plimsoll's pool rule too (contrast: the default compares against the plain 10-min rule)
run hold-same --from 2024-11-23 --same-pool-rule true
run whole-same --same-pool-rule true
# the pool rule of the sixth and seventh sessions (parked-only nodes after 20 min, no last-node time, every eviction grows)
run whole-before --parked-only-after 20m --plimsoll-empty-grace 10m --last-node-after none --grow-if-parked-within always
