#!/usr/bin/env bash
# Cross-compiles the AArch64 kernels with the test driver in Tests/CKernels and runs it under qemu-aarch64
# on four CPU models, checking per variant that what the CPU has is verified and what it lacks is
# reported unsupported (never run). Skips, with exit 0, when the cross tools or qemu are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

QEMU=${QEMU_AARCH64-$(command -v qemu-aarch64 || true)}
SYSROOT=/usr/aarch64-linux-gnu
if [ -z "$QEMU" ] || [ ! -x "$QEMU" ]; then
    echo "arm-kernels: skipped: qemu-aarch64 missing (apt-get install qemu-user)"
    exit 0
fi
if [ ! -e "$SYSROOT/lib/libc.so.6" ]; then
    echo "arm-kernels: skipped: aarch64 libc missing at $SYSROOT (apt-get install libc6-dev-arm64-cross)"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
srcs=(Tests/CKernels/arm_driver.c Tests/CKernels/ref.c Sources/CQBench/kernels/arm_*.c)
common=(-O2 -ffp-contract=off -Wall -Wextra -Werror -I Sources/CQBench/include)

# clang (the Swift toolchain's, or any) with lld and the gcc cross runtime; else the gcc cross compiler.
# --sysroot does not work here: the cross libc.so linker script names absolute /usr/aarch64-linux-gnu paths.
built=""
have_gcc_cross_rt() { compgen -G "/usr/lib/gcc-cross/aarch64-linux-gnu/*/crtbeginS.o" >/dev/null; }
for cc in "${CLANG:-}" "$(command -v clang || true)" /opt/swift/usr/bin/clang; do
    [ -n "$cc" ] && [ -x "$cc" ] || continue
    # clang needs lld (beside it or on PATH) and gcc's aarch64 crt files and libgcc; without them, try gcc.
    { [ -x "$(dirname "$cc")/ld.lld" ] || command -v ld.lld >/dev/null 2>&1; } && have_gcc_cross_rt || continue
    if "$cc" --target=aarch64-linux-gnu -fuse-ld=lld --gcc-toolchain=/usr "${common[@]}" "${srcs[@]}" -lm \
        -o "$work/driver" 2>"$work/build.log"; then
        built="$cc"
        break
    fi
done
if [ -z "$built" ] && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    if aarch64-linux-gnu-gcc "${common[@]}" "${srcs[@]}" -lm -o "$work/driver" 2>"$work/build.log"; then
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
    echo "arm-kernels: skipped: aarch64 cross compiler missing (clang+lld or gcc-aarch64-linux-gnu)"
    exit 0
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

ALL_V="neon=verified neon_dotprod=verified neon_i8mm=verified neon_fp16=verified neon_bf16=verified sve=verified"
run cortex-a53 "neon=verified neon_dotprod=unsupported neon_i8mm=unsupported neon_fp16=unsupported neon_bf16=unsupported sve=unsupported"
run cortex-a76 "neon=verified neon_dotprod=verified neon_fp16=verified neon_i8mm=unsupported neon_bf16=unsupported sve=unsupported"
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
