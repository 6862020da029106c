#!/usr/bin/env bash
# Fuzzes the readers of profiles (YAML), CPUID dumps and hwloc XML with seeded mutations of the repository's own
# files, in an optimized build with AddressSanitizer on the Swift code (C targets stay uninstrumented: ASan on the
# SIMD kernels costs minutes of compile time, and they are not what is read here): every input must parse or be
# refused with one QBError line; a crash, a bad memory access or an input slower than 10 s fails the run.
# Counts: QBENCH_FUZZ_PROFILES, QBENCH_FUZZ_CPUID and QBENCH_FUZZ_XML, 100,000 each by default. XML inputs run in
# batches in child processes (hwloc itself crashes on some files; each crash ends a batch and must be refused with
# one line by the product's forked load), on the second core while the other two run. Build products go to
# .build/fuzz-inputs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
echo "fuzz-inputs: building (swift build -c release, AddressSanitizer)"
swift build -c release --build-path .build/fuzz-inputs -Xswiftc -sanitize=address \
  --product qbench-fuzz-inputs > .build/fuzz-inputs.log 2>&1 || { tail -40 .build/fuzz-inputs.log >&2; exit 1; }
bin=.build/fuzz-inputs/release/qbench-fuzz-inputs
"$bin" "$root" xml "${QBENCH_FUZZ_XML:-100000}" &
xml=$!
status=0
"$bin" "$root" profile "${QBENCH_FUZZ_PROFILES:-100000}" || status=1
"$bin" "$root" cpuid "${QBENCH_FUZZ_CPUID:-100000}" || status=1
wait "$xml" || status=1
exit "$status"
