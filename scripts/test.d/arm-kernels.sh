#!/usr/bin/env bash
# Cross-compiles the AArch64 kernels with the test driver in Tests/CKernels, linked with the SHARED scalar
# reference (kernels/scalar.c) and registry (kernels/registry.c), and runs it under qemu-aarch64 on several
# CPU models: every ARM entry the CPU has must match the scalar entry of the same (op, wfmt, afmt) (integer
# bit-exact, float within its bound), every entry it lacks must be reported unsupported (never run), and every
# scalar entry must agree bit for bit with the driver's second reference (Tests/CKernels/ref.c).
# Skips, with exit 0, when the cross tools or qemu are missing - unless QBENCH_REQUIRE_ORACLES=1 (CI), where a
# missing tool fails. Emulated verification counts go to $QBENCH_ORACLE_LEDGER when set (make test's summary). ARM_KERNELS_CC=gcc forces the gcc cross
# compiler (to check that build too); CLANG names a clang to try first; KEEP_DRIVER=PATH keeps the built driver
# (to run it by hand: qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu max PATH).
set -u
# skip REASON: exit 0 with the reason, or 1 when oracles are required; recorded in the ledger either way.
skip() {
    [ -n "${QBENCH_ORACLE_LEDGER:-}" ] && printf 'skipped\tqemu-aarch64+cross\tarm-kernels.sh\t%s\n' "$1" \
        >>"$QBENCH_ORACLE_LEDGER"
    if [ "${QBENCH_REQUIRE_ORACLES:-}" = 1 ]; then
        echo "arm-kernels: FAIL: oracle missing and QBENCH_REQUIRE_ORACLES=1: $1"
        exit 1
    fi
    echo "arm-kernels: skipped: $1"
    exit 0
}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

QEMU=${QEMU_AARCH64-$(command -v qemu-aarch64 || true)}
SYSROOT=/usr/aarch64-linux-gnu
if [ -z "$QEMU" ] || [ ! -x "$QEMU" ]; then
    skip "qemu-aarch64 missing (apt-get install qemu-user)"
fi
if [ ! -e "$SYSROOT/lib/libc.so.6" ]; then
    skip "aarch64 libc missing at $SYSROOT (apt-get install libc6-dev-arm64-cross)"
fi

work=$(mktemp -d)
trap '[ -n "${KEEP_DRIVER:-}" ] && cp "$work/driver" "$KEEP_DRIVER"; rm -rf "$work"' EXIT
# Files this test owns are held to extra warnings; the shared scalar.c / registry.c get -Wall -Wextra -Werror
# without the two warnings that would fail on harmless growth: registry.c's positional initializers when
# qb_kernel_entry gains fields (zero is their documented v1 meaning), and, under gcc, scalar.c's clang-only
# `#pragma STDC FP_CONTRACT OFF` (gcc gets -ffp-contract=off instead). Optimisation flags: Package.swift's
# cqbenchFlags, the one list the kernels are built with.
own=(Tests/CKernels/arm_driver.c Tests/CKernels/ref.c Sources/CQBench/kernels/arm_*.c)
shared=(Sources/CQBench/kernels/scalar.c Sources/CQBench/kernels/scalar_kquant.c Sources/CQBench/kernels/registry.c)
read -r -a cflags <<< "$(sed -n 's/^let cqbenchFlags = \[\(.*\)\]$/\1/p' Package.swift | tr -d '",')"
if [ ${#cflags[@]} -eq 0 ]; then echo "arm-kernels: no cqbenchFlags line in Package.swift" >&2; exit 1; fi
common=(-std=gnu11 "${cflags[@]}" -Wall -Wextra -Werror -I "$root/Sources/CQBench/include")
own_warn=(-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wundef -Wcast-qual)
shared_warn=(-Wno-missing-field-initializers)

# build CC [target flags...] [-- link-only flags...]: compiles each group in its own directory (objects named
# by file), then links. Link-only flags stay off the compiles, where -Werror would reject them as unused.
build() {
    local cc=$1 f tflags=() lflags=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do tflags+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    lflags=("$@")
    rm -rf "$work/o" && mkdir -p "$work/o/own" "$work/o/shared" || return 1
    local sw=("${shared_warn[@]}")
    "$cc" --version 2>/dev/null | grep -qi clang || sw+=(-Wno-unknown-pragmas)
    local abs_own=() abs_shared=()
    for f in "${own[@]}"; do abs_own+=("$root/$f"); done
    for f in "${shared[@]}"; do abs_shared+=("$root/$f"); done
    (cd "$work/o/own" && "$cc" ${tflags[@]+"${tflags[@]}"} "${common[@]}" "${own_warn[@]}" -c "${abs_own[@]}") &&
        (cd "$work/o/shared" && "$cc" ${tflags[@]+"${tflags[@]}"} "${common[@]}" "${sw[@]}" -c "${abs_shared[@]}") &&
        "$cc" ${tflags[@]+"${tflags[@]}"} ${lflags[@]+"${lflags[@]}"} -pthread "$work"/o/own/*.o "$work"/o/shared/*.o \
            -lm -o "$work/driver"
}

# clang (the Swift toolchain's, or any) with lld and the gcc cross runtime; else the gcc cross compiler.
# --sysroot does not work here: the cross libc.so linker script names absolute /usr/aarch64-linux-gnu paths.
built=""
have_gcc_cross_rt() { compgen -G "/usr/lib/gcc-cross/aarch64-linux-gnu/*/crtbeginS.o" >/dev/null; }
if [ "${ARM_KERNELS_CC:-}" != gcc ]; then
    for cc in "${CLANG:-}" "$(command -v clang || true)" /opt/swift/usr/bin/clang; do
        if [ -z "$cc" ] || [ ! -x "$cc" ]; then continue; fi
        # clang needs lld (beside it or on PATH) and gcc's aarch64 crt files and libgcc; without them, try gcc.
        if ! { [ -x "$(dirname "$cc")/ld.lld" ] || command -v ld.lld >/dev/null 2>&1; }; then continue; fi
        if ! have_gcc_cross_rt; then continue; fi
        if build "$cc" --target=aarch64-linux-gnu --gcc-toolchain=/usr -- -fuse-ld=lld 2>"$work/build.log"; then
            built="$cc"
            break
        fi
        # A clang that links a trivial aarch64 program works: then the code is at fault, and falling back to
        # gcc would hide a clang-only error (clang is what SwiftPM builds CQBench with).
        if printf 'int main(void) { return 0; }\n' | "$cc" --target=aarch64-linux-gnu --gcc-toolchain=/usr -fuse-ld=lld \
            -x c - -o "$work/trivial" 2>/dev/null; then
            echo "arm-kernels: FAIL: aarch64 build failed with $cc:"
            cat "$work/build.log"
            exit 1
        fi
    done
fi
if [ -z "$built" ] && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    if build aarch64-linux-gnu-gcc 2>"$work/build.log"; then
        built=aarch64-linux-gnu-gcc
    else
        echo "arm-kernels: FAIL: aarch64 build failed with $(command -v aarch64-linux-gnu-gcc):"
        cat "$work/build.log"
        exit 1
    fi
fi
if [ -z "$built" ]; then
    if [ -s "$work/build.log" ]; then # a compiler was there and rejected the code: that is a failure
        echo "arm-kernels: FAIL: aarch64 build failed:"
        cat "$work/build.log"
        exit 1
    fi
    if [ "${ARM_KERNELS_CC:-}" = gcc ]; then
        skip "ARM_KERNELS_CC=gcc but aarch64-linux-gnu-gcc is missing (apt-get install gcc-aarch64-linux-gnu)"
    fi
    skip "aarch64 cross compiler missing (clang+lld or gcc-aarch64-linux-gnu)"
fi
echo "arm-kernels: built with $built"

fail=0
# run CPU "variant=status ..." [sve_bits]: every registry line of each listed variant must have that status
# (and there must be at least one), and the driver must exit 0.
run() {
    local cpu=$1 expect=$2 bits=${3:-} out rc
    out=$("$QEMU" -L "$SYSROOT" -cpu "$cpu" "$work/driver" 2>&1)
    rc=$?
    local summary
    summary=$(printf '%s\n' "$out" | grep '^summary:')
    echo "arm-kernels: -cpu $cpu: ${summary:-no summary} (exit $rc)"
    if [ -n "${QBENCH_ORACLE_LEDGER:-}" ]; then # variant<TAB>emulated:CPU<TAB>key<TAB>status, one per entry
        printf '%s\n' "$out" | awk -v cpu="$cpu" '$5 == "verified" || $5 == "unsupported" || $5 == "mismatch" {
            v = $4; sub(/:$/, "", v); print "variant\temulated:aarch64 " cpu "\t" $1 "/" $2 "/" $3 "/" v "\t" $5 }' \
            >>"$QBENCH_ORACLE_LEDGER"
        printf 'ran\tqemu-aarch64+cross\tarm-kernels.sh -cpu %s\t\n' "$cpu" >>"$QBENCH_ORACLE_LEDGER"
    fi
    local ok=1
    [ "$rc" -eq 0 ] || ok=0
    for pair in $expect; do
        local v=${pair%%=*} want=${pair#*=} total bad
        total=$(printf '%s\n' "$out" | awk -v v="$v:" '$4 == v' | wc -l)
        bad=$(printf '%s\n' "$out" | awk -v v="$v:" -v s="$want" '$4 == v && $5 != s' | wc -l)
        if [ "$total" -eq 0 ] || [ "$bad" -ne 0 ]; then
            echo "arm-kernels:   expected every $v entry $want, got $total entries, $bad otherwise"
            ok=0
        fi
    done
    if [ -n "$bits" ] && ! printf '%s\n' "$out" | grep -q "sve_bits=$bits\b"; then
        echo "arm-kernels:   expected SVE at $bits bits"
        ok=0
    fi
    if [ "$ok" -ne 1 ]; then
        printf '%s\n' "$out" | grep -v ': verified\|: unsupported' | sed 's/^/    /'
        fail=1
    fi
}

# scalar=verified: every scalar entry agrees with ref.c (on any CPU); the ARM variants are checked against scalar.
ALL_V="scalar=verified neon=verified neon_dotprod=verified neon_i8mm=verified neon_fp16=verified neon_bf16=verified sve=verified"
run cortex-a53 "scalar=verified neon=verified neon_dotprod=unsupported neon_i8mm=unsupported neon_fp16=unsupported neon_bf16=unsupported sve=unsupported"
run cortex-a76 "scalar=verified neon=verified neon_dotprod=verified neon_fp16=verified neon_i8mm=unsupported neon_bf16=unsupported sve=unsupported"
# A64FX: 512-bit SVE and fp16 arithmetic, but no dot-product, i8mm or bf16 instructions.
run a64fx "scalar=verified neon=verified neon_fp16=verified sve=verified neon_dotprod=unsupported neon_i8mm=unsupported neon_bf16=unsupported" 512
run max "$ALL_V" 512
run max,sve-max-vq=2 "$ALL_V" 256
run max,sve-max-vq=1 "$ALL_V" 128
# 384 bits: not a power of two (later Arm revisions forbid it), but it is the sharpest test of VL-agnostic code.
run max,sve-max-vq=3 "$ALL_V" 384

if [ "$fail" -ne 0 ]; then
    echo "arm-kernels: FAIL"
    exit 1
fi
echo "arm-kernels: ok"
