#!/bin/bash
# Builds every libFuzzer target with clang-14 (ASan+UBSan) against the built
# libsora's sources and runs each for FUZZ_SECONDS (default 60).
# Usage: fuzz/run.sh [BUILDDIR]    (BUILDDIR: a configured tree, default .)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-.}" && pwd)
seconds=${FUZZ_SECONDS:-60}
out=$build/fuzz-out
mkdir -p "$out"
cxx="clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
inc="-I$build/include -I$src/include -I$src/src -I$build $(pkg-config --cflags libuv libpq)"
defs="-DSORA_SYSCONFDIR=\"/etc\" -DSORA_MODULEDIR=\"/nonexistent\" -DSORA_SQLDIR=\"/nonexistent\" -DSORA_RUNSTATEDIR=\"/run\""

build_target() {
  local name=$1; shift
  echo "fuzz: building $name"
  $cxx $inc $defs "$src/fuzz/$name.cc" "$@" -o "$out/$name"
}

build_target proxy-v2 "$src/src/libsora-net/proxy.cc"
build_target config-file \
  "$src"/src/libsora-core/{config.cc,config-value.cc,core-config.cc} \
  "$src/src/libsora-db/db-config.cc" "$src/src/libsora-net/net-config.cc" \
  "$src/src/libsora-auth/auth-config.cc" -linih

for t in proxy-v2 config-file; do
  corpus="$out/$t-corpus"
  mkdir -p "$corpus"
  [ -d "$src/fuzz/seeds/$t" ] && cp -n "$src/fuzz/seeds/$t"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: running $t for ${seconds}s"
  "$out/$t" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -4
done
