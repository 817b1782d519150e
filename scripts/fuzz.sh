#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in build-fuzz/ and runs each.
#   scripts/fuzz.sh               # 5 minutes per target
#   scripts/fuzz.sh --short       # ~20 s per target (what scripts/test.sh could run)
#   scripts/fuzz.sh --seconds 600 # any duration per target
# Each target starts from its committed seed corpus tests/fuzz/corpus/<target>/; new inputs go to
# build-fuzz/corpus/<target>/ (not committed). A crash leaves crash-* in build-fuzz/ and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=300
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) seconds=20; shift ;;
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is needed (apt-get install clang)" >&2; exit 2; }
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DKZ_FUZZ=ON "${launcher[@]}" >/dev/null
ninja -C build-fuzz -j"${KZ_FUZZ_JOBS:-2}" kz_fuzz
status=0
for target in kafka_request_fuzz record_batch_fuzz log_recovery_fuzz; do
  mkdir -p "build-fuzz/corpus/$target"
  echo "== $target: ${seconds}s"
  # -rss_limit_mb / -malloc_limit_mb: an input that makes the code allocate without bound is a failure.
  if ! (cd build-fuzz && ./fuzz/"$target" -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=256 \
        -max_len=65536 -print_final_stats=1 "corpus/$target" "../tests/fuzz/corpus/$target" 2>&1 |
        grep -E "^(#[0-9]+ +DONE|==[0-9]+==ERROR|SUMMARY|stat::number_of_executed_units|Done)" ); then
    :
  fi
  if ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/oom-* build-fuzz/timeout-* >/dev/null 2>&1; then
    echo "fuzz.sh: $target found a failing input:" >&2
    ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/oom-* build-fuzz/timeout-* 2>/dev/null >&2
    status=1
    break
  fi
done
exit $status
