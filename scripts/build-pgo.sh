#!/usr/bin/env bash
# Builds a profile-guided optimised kz into build-pgo/kz, for long simulations (kz sim explore) and
# the simulator benchmark (harness/bench/sim_speed.sh). Same sources, same behaviour, same trace
# hashes as build/kz (the end checks the optimised binary against the instrumented one); about a
# quarter less CPU per simulated run. Takes two builds of kz (~12 minutes on 2 cores), so the test
# suite does not use it.
#
#   scripts/build-pgo.sh            # installs what is missing, then builds build-pgo/kz
#
# Steps: (1) kz built with -fprofile-generate in build-pgo/; (2) training: the simulator runs a few
# seeds of the ZooKeeper scenarios, writing .gcda profiles next to the objects; (3) the same
# directory rebuilt with -fprofile-use. Warnings are errors only in the default build: GCC 12 warns
# falsely (-Wstringop-overread) on some profiled inlining.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
scripts/install-deps.sh build
jobs=$(nproc 2>/dev/null || echo 2)
dir=build-pgo
say() { echo "build-pgo: $*" >&2; }

say "1/3 instrumented build"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKZ_WERROR=OFF -DKZ_PGO=generate >/dev/null
find "$dir" -name '*.gcda' -delete
ninja -C "$dir" -j"$jobs" kz

say "2/3 training runs"
hash() { "$1" sim run scenarios/zk-leader-crash.toml --seed 7 --no-out --quiet | tail -1 |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["trace_hash"])'; }
train() { "$dir/kz" sim run "$1" --seed "$2" --no-out --quiet >/dev/null; }
for seed in 1 2 3; do train scenarios/zk-sim-speed.toml "$seed"; done
for s in zk-leader-crash zk-partition-minority zk-follower-restart zk-standalone-power-loss; do
  train "scenarios/$s.toml" 1
done

before=$(hash "$dir/kz")

say "3/3 optimised build"
cmake -S . -B "$dir" -DKZ_PGO=use >/dev/null
ninja -C "$dir" -j"$jobs" kz

# The optimised binary must simulate exactly what the instrumented one did (two different
# compilations of the same sources; the default build gives the same hash too).
after=$(hash "$dir/kz")
if [ "$before" != "$after" ]; then
  say "trace hashes differ: instrumented $before, optimised $after (zk-leader-crash seed 7)"
  exit 1
fi
say "same trace hash before and after optimising (zk-leader-crash seed 7): $after"
say "built $dir/kz"
