#!/usr/bin/env bash
# Installs what kz needs from Debian 12's packages. Idempotent: installs only what is missing.
# Usage: scripts/install-deps.sh [build|all]   (default: all)
#   build: compilers, libraries and tools needed to build kz and run its unit tests
#   all:   build + the real clients and peers used by the harness (kazoo, zkCli, kcat, ...)
set -euo pipefail
what=${1:-all}
build_pkgs=(g++ cmake ninja-build pkg-config git
  libboost-context-dev libfmt-dev libgtest-dev librapidcheck-dev libtomlplusplus-dev
  nlohmann-json3-dev libcli11-dev libssl-dev zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
  graphviz python3-pytest)
harness_pkgs=(python3-kazoo python3-kafka python3-confluent-kafka kcat zookeeper
  librdkafka-dev libzookeeper-mt-dev clang libclang-rt-14-dev)
pkgs=("${build_pkgs[@]}")
[ "$what" = all ] && pkgs+=("${harness_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
