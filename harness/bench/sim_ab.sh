#!/usr/bin/env bash
# sim_ab.sh: compare two kz binaries on one scenario, alternating them in one command, so that a
# shared machine's drifting speed hits both alike (this VM's speed moves by 1.5x within an hour).
#
#   harness/bench/sim_ab.sh OLD_KZ NEW_KZ [ROUNDS] [SCENARIO] [SEED]
#   harness/bench/sim_ab.sh /tmp/kz-before build/kz 5 scenarios/zk-sim-speed.toml 1
#
# Each round runs `kz sim run SCENARIO --seed SEED --no-out --quiet` with OLD then NEW, pinned to one
# CPU when taskset exists. Prints, per binary, the minimum and median CPU ms of the simulating thread
# (the summary's cpu_ms), its trace hash and result, then NEW/OLD as a ratio of the minima.
set -euo pipefail
if [ $# -lt 2 ] || [ "$1" = "--help" ] || [ "$1" = "-h" ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OLD=$1; NEW=$2; ROUNDS=${3:-5}; SCENARIO=${4:-$ROOT/scenarios/zk-sim-speed.toml}; SEED=${5:-1}
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for _ in $(seq 1 "$ROUNDS"); do
  for which in old new; do
    bin=$OLD; [ "$which" = new ] && bin=$NEW
    printf '%s ' "$which" >> "$OUT"
    timeout 600 "${PIN[@]}" "$bin" sim run "$SCENARIO" --seed "$SEED" --no-out --quiet | tail -1 >> "$OUT"
  done
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
runs = {"old": [], "new": []}
for line in open(sys.argv[1]):
    which, _, js = line.partition(" ")
    runs[which].append(json.loads(js))
out = {}
for which, rs in runs.items():
    cpu = sorted(r["cpu_ms"] for r in rs)
    out[which] = {"min_cpu_ms": cpu[0], "median_cpu_ms": statistics.median(cpu),
                  "trace_hash": rs[0]["trace_hash"], "results": sorted({r["result"] for r in rs})}
    print(f'{which}: min {cpu[0]} ms, median {statistics.median(cpu)} ms, trace {rs[0]["trace_hash"]}, {out[which]["results"]}')
out["new_over_old"] = round(out["new"]["min_cpu_ms"] / max(1, out["old"]["min_cpu_ms"]), 3)
print(json.dumps(out))
PY
