#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds kz, runs the unit tests (GoogleTest +
# RapidCheck, through ctest), the pytest harness (scenarios over seeds, real clients) and a short
# libFuzzer run of each fuzz target (clang build in build-fuzz/; long runs: scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh all
scripts/build.sh
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir build -j"$jobs" --output-on-failure --timeout 600
# Debian's pytest and client libraries belong to /usr/bin/python3 (not the first python3 on PATH).
/usr/bin/python3 -m pytest harness -q -p no:cacheprovider
scripts/fuzz.sh --short
