#!/usr/bin/env bash
# sim_speed.sh: how fast the simulator runs scenarios/zk-sim-speed.toml (a 3-server kz ZooKeeper
# ensemble, 50 clients, ~2,000 ops per simulated second), one process on one core.
#
#   harness/bench/sim_speed.sh [ROUNDS] [SCENARIO]      # default 5 rounds (seeds 1..ROUNDS)
#   KZ_BIN=path/to/kz harness/bench/sim_speed.sh        # measure only that binary
#
# It measures build/kz (the default build) and, when it exists, build-pgo/kz (the profile-guided
# build of the same sources: scripts/build-pgo.sh), alternating them seed by seed so that a shared
# machine's drifting speed hits both alike. Each round is `kz sim run SCENARIO --seed N --no-out
# --quiet`, whose JSON summary carries sim_ms, wall_ms, speedup (= sim_ms / wall_ms), cpu_ms (CPU
# time of the simulating thread) and cpu_speedup (= sim_ms / cpu_ms: the speed on one core of its
# own, which a busy shared machine does not halve). Prints one line per round, then one JSON line
# per binary with the medians, the operations per simulated second while the workload runs
# (duration + liveness window), and whether speedup >= 100. The runs are pinned to one CPU with
# taskset when it is available. Bounded: each round has a 600 s timeout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
ROUNDS=${1:-5}
SCENARIO=${2:-$ROOT/scenarios/zk-sim-speed.toml}
if [ -n "${KZ_BIN:-}" ]; then
  BINS=("$KZ_BIN")
else
  BINS=("$ROOT/build/kz")
  [ -x "$ROOT/build-pgo/kz" ] && BINS+=("$ROOT/build-pgo/kz")
fi
for b in "${BINS[@]}"; do
  [ -x "$b" ] || { echo "sim_speed: $b is not built (scripts/build.sh)" >&2; exit 2; }
done
[ -f "$SCENARIO" ] || { echo "sim_speed: no scenario file $SCENARIO" >&2; exit 2; }
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
echo "load avg before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for seed in $(seq 1 "$ROUNDS"); do
  for b in "${BINS[@]}"; do
    line=$(timeout 600 "${PIN[@]}" "$b" sim run "$SCENARIO" --seed "$seed" --no-out --quiet | tail -1)
    echo "$line"
    printf '%s\t%s\n' "$b" "$line" >> "$OUT"
  done
done
/usr/bin/python3 - "$OUT" "$SCENARIO" "$ROOT" <<'PY'
import json, os, statistics, sys, tomllib
by_bin = {}
for l in open(sys.argv[1]):
    if l.strip():
        b, j = l.rstrip("\n").split("\t", 1)
        by_bin.setdefault(b, []).append(json.loads(j))
scn = tomllib.load(open(sys.argv[2], "rb"))
active_ms = scn["duration_ms"] + scn.get("check", {}).get("liveness_ms", 0)
for b, runs in by_bin.items():
    med = lambda k: statistics.median(r[k] for r in runs)
    speed = med("speedup")
    out = {"binary": os.path.relpath(b, sys.argv[3]), "scenario": runs[0].get("scenario"), "rounds": len(runs),
           "results": [r["result"] for r in runs], "sim_ms": med("sim_ms"), "wall_ms": med("wall_ms"),
           "cpu_ms": med("cpu_ms"), "speedup": round(speed, 1), "cpu_speedup": round(med("cpu_speedup"), 1),
           "speedups": [round(r["speedup"], 1) for r in runs],
           "ops_per_sim_sec": round(med("ops") * 1000 / active_ms),
           "events_per_cpu_sec": round(med("events") * 1000 / med("cpu_ms")),
           "target_speedup": 100, "met": speed >= 100}
    print(json.dumps(out))
PY
