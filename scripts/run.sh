#!/usr/bin/env bash
# The main job: installs what is missing, builds kz, and runs a chaos scenario on the default
# simulated cluster, printing the verdict and where its report is.
# Usage: scripts/run.sh [scenario.toml] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh
scenario=${1:-scenarios/zk-leader-crash.toml}
seed=${2:-1}
exec build/kz sim run "$scenario" --seed "$seed"
