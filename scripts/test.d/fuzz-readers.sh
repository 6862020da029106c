#!/usr/bin/env bash
# Fuzzes the GGUF and safetensors readers: >= 100,000 seeded mutations (QBENCH_FUZZ_ITERATIONS) in an
# optimized build with AddressSanitizer, so a read past a buffer aborts instead of passing silently.
# QBENCH_LIBFUZZER_SECONDS=N also builds the libFuzzer harness (swiftc -sanitize=fuzzer,address) and runs it
# for N seconds from the seed corpus. Build products go to .build/fuzz.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.build/fuzz"
mkdir -p "$out"
if ! command -v swiftc >/dev/null 2>&1; then
  echo "fuzz-readers: skipped, swiftc not on PATH" >&2
  exit 0
fi
# The readers build as they do in the package: QBenchSupport, then QBenchModelFiles on it, then the fuzzer
# (Fuzz/Shared) and its driver, each module compiled with the sanitizer flags given.
build() { # build FLAGS-NAME OUT-EXE DRIVER [swiftc flags...]
  local tag=$1 exe=$2 driver=$3; shift 3
  local mod="$out/modules-$tag"
  mkdir -p "$mod"
  # QBenchSupport's BuildInfo reads the stamp the package's BuildStamp plugin generates; write it the same way.
  sh "$root/scripts/build-stamp.sh" "$root" "$mod/BuildStamp.swift"
  swiftc "$@" -parse-as-library -emit-library -static -emit-module -module-name QBenchSupport \
    -emit-module-path "$mod/QBenchSupport.swiftmodule" -o "$mod/libQBenchSupport.a" \
    "$root"/Sources/QBenchSupport/*.swift "$mod/BuildStamp.swift" &&
  swiftc "$@" -parse-as-library -emit-library -static -emit-module -module-name QBenchModelFiles -I "$mod" \
    -emit-module-path "$mod/QBenchModelFiles.swiftmodule" -o "$mod/libQBenchModelFiles.a" \
    "$root"/Sources/QBenchModelFiles/*.swift &&
  swiftc "$@" -parse-as-library -emit-library -static -emit-module -module-name QBenchFuzzing -I "$mod" \
    -emit-module-path "$mod/QBenchFuzzing.swiftmodule" -o "$mod/libQBenchFuzzing.a" \
    "$root"/Fuzz/Shared/*.swift &&
  swiftc "$@" -module-name QBenchFuzz -I "$mod" -L "$mod" -lQBenchFuzzing -lQBenchModelFiles -lQBenchSupport \
    "$driver" -o "$exe"
}

echo "fuzz-readers: building (swiftc -O -sanitize=address)"
build asan "$out/fuzz-readers" "$root/Fuzz/FuzzReaders/main.swift" -O -sanitize=address 2> "$out/build.log" \
  || { cat "$out/build.log" >&2; exit 1; }
"$out/fuzz-readers" "${QBENCH_FUZZ_ITERATIONS:-100000}" "${QBENCH_FUZZ_SEED:-0x5EED0001}"

if [ -n "${QBENCH_LIBFUZZER_SECONDS:-}" ]; then
  echo "fuzz-readers: building the libFuzzer harness (swiftc -sanitize=fuzzer,address)"
  build libfuzzer "$out/libfuzzer-readers" "$root/Fuzz/LibFuzzer/Harness.swift" -O -parse-as-library \
    -sanitize=fuzzer,address 2> "$out/libfuzzer-build.log" || { cat "$out/libfuzzer-build.log" >&2; exit 1; }
  corpus="$out/corpus"
  mkdir -p "$corpus"
  "$out/fuzz-readers" --write-seeds "$corpus"
  (cd "$out" && ./libfuzzer-readers -max_total_time="$QBENCH_LIBFUZZER_SECONDS" -max_len=65536 \
     -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus") 2>&1 | tail -n 15
fi
