#!/usr/bin/env bash
# sim_speed.sh: how fast the simulator runs scenarios/zk-sim-speed.toml (a 3-server kz ZooKeeper
# ensemble, 50 clients, ~2,000 ops per simulated second), one process on one core.
#
#   harness/bench/sim_speed.sh [ROUNDS] [SCENARIO]      # default 5 rounds (seeds 1..ROUNDS)
#
# Each round is `kz sim run SCENARIO --seed N --no-out --quiet`, whose JSON summary carries sim_ms,
# wall_ms, speedup (= sim_ms / wall_ms), cpu_ms (CPU time of the simulating thread) and cpu_speedup
# (= sim_ms / cpu_ms: the speed on one core of its own, which a busy shared machine does not halve).
# Prints one line per round and a final JSON line with the medians, the operations per simulated
# second while the workload runs (duration + liveness window), and whether speedup >= 100.
# The run is pinned to one CPU with taskset when it is available. Bounded: each round has a
# 600 s timeout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KZ=${KZ_BIN:-$ROOT/build/kz}
ROUNDS=${1:-5}
SCENARIO=${2:-$ROOT/scenarios/zk-sim-speed.toml}
[ -x "$KZ" ] || { echo "sim_speed: $KZ is not built (ninja -C build kz)" >&2; exit 2; }
[ -f "$SCENARIO" ] || { echo "sim_speed: no scenario file $SCENARIO" >&2; exit 2; }
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
echo "load avg before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for seed in $(seq 1 "$ROUNDS"); do
  timeout 600 "${PIN[@]}" "$KZ" sim run "$SCENARIO" --seed "$seed" --no-out --quiet | tail -1 | tee -a "$OUT"
done
/usr/bin/python3 - "$OUT" "$SCENARIO" <<'PY'
import json, statistics, sys, tomllib
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
scn = tomllib.load(open(sys.argv[2], "rb"))
active_ms = scn["duration_ms"] + scn.get("check", {}).get("liveness_ms", 0)
med = lambda k: statistics.median(r[k] for r in runs)
speed = med("speedup")
out = {"scenario": runs[0].get("scenario"), "rounds": len(runs), "results": [r["result"] for r in runs],
       "sim_ms": med("sim_ms"), "wall_ms": med("wall_ms"), "cpu_ms": med("cpu_ms"), "speedup": round(speed, 1),
       "cpu_speedup": round(med("cpu_speedup"), 1), "speedups": [round(r["speedup"], 1) for r in runs],
       "ops_per_sim_sec": round(med("ops") * 1000 / active_ms), "events_per_cpu_sec": round(med("events") * 1000 / med("cpu_ms")),
       "target_speedup": 100, "met": speed >= 100}
print(json.dumps(out))
PY
