#!/usr/bin/env bash
# Planted bugs that `make test`'s tests must catch: each mutant is a test-only build flag; the package is built
# with it into its own scratch folder and the tests that guard against it must FAIL. Not part of `make test`
# (each mutant is a full rebuild, minutes on two cores). Usage: scripts/mutants.sh [NAME...]
#   f16-helper   -DQB_PLANT_F16_BUG: the C f16 -> f32 helper the scalar kernels (and the AMX path) share decodes
#                one mantissa pattern one ulp off; the exhaustive check against Swift's Float16 must fail.
#   kquant-byte  -DQB_PLANT_KQUANT_BYTE: q4_K quantization flips one bit per block; the comparisons with ggml's
#                C bytes (Tests/Fixtures/ggml-kquants) and with the Python port of ggml must fail.
# The third planted error of the issue, one gemm output wrong by half, is planted inside an XCTest
# (FloatBoundTests) through a test registry, so it runs in every `make test`.
set -u
cd "$(dirname "$0")/.." || exit 1
SWIFT=${SWIFT:-swift}
venv=$PWD/.build/test-venv
export PATH="$venv/bin:$PATH"
declare -A flags=([f16-helper]="-Xcc -DQB_PLANT_F16_BUG" [kquant-byte]="-Xswiftc -DQB_PLANT_KQUANT_BYTE")
declare -A guards=([f16-helper]="ConversionHelperTests" [kquant-byte]="GGMLCReferenceFixtureTests|GGMLReferenceTests")
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(f16-helper kquant-byte)
status=0
for n in "${names[@]}"; do
    [ -n "${flags[$n]:-}" ] || { echo "mutants: unknown mutant $n (known: ${!flags[*]})" >&2; exit 64; }
    scratch=.build/mutant-$n
    log=$scratch.log
    echo "mutants: $n: building with ${flags[$n]} into $scratch"
    # shellcheck disable=SC2086
    if ! $SWIFT build --build-tests --scratch-path "$scratch" ${flags[$n]} >"$log" 2>&1; then
        echo "mutants: $n: FAIL: the mutant does not build (see $log)"
        status=1
        continue
    fi
    # shellcheck disable=SC2086
    if $SWIFT test --skip-build --scratch-path "$scratch" ${flags[$n]} --filter "${guards[$n]}" >>"$log" 2>&1; then
        echo "mutants: $n: FAIL: ${guards[$n]} passed with the bug planted (see $log)"
        status=1
    else
        failed=$(grep -c "error: .*: XCT\|error: -\[" "$log" || true)
        echo "mutants: $n: caught ($failed failing assertions in ${guards[$n]}; $log)"
    fi
done
exit $status
