#!/usr/bin/env bash
# Does the gate cry wolf on this machine? N times (default 10): two back-to-back runs of a profile, then
# `qbench gate` of the second against the first; every repetition should pass (exit 0). Then one more run with
# QBENCH_INJECT_SLOWDOWN making one kernel slower, which the gate must catch (exit 2) and name.
#   scripts/gate-false-alarms.sh [QBENCH] [PROFILE] [N] [INJECT]
#   defaults: .build/release/qbench smoke 10 '^gemv/q8_0/=1.3'
set -uo pipefail
qbench=${1:-.build/release/qbench}
profile=${2:-smoke}
n=${3:-10}
inject=${4:-'^gemv/q8_0/=1.3'}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {  # run DIR: one report into DIR, prints its path
    "$qbench" run --profile "$profile" --out "$1" --progress none > /dev/null 2> "$1.log" || true
    find "$1" -name '*.json' | head -1
}
passed=0
codes=()
for i in $(seq 1 "$n"); do
    base=$(run "$work/base-$i")
    cand=$(run "$work/cand-$i")
    "$qbench" gate --baseline "$base" --candidate "$cand" --format md > "$work/gate-$i.md" 2>&1
    code=$?
    codes+=("$code")
    [ "$code" -eq 0 ] && passed=$((passed + 1))
    [ "$code" -ne 0 ] && head -20 "$work/gate-$i.md"
done
echo "gate-false-alarms: $profile: $passed of $n back-to-back pairs passed (exit codes: ${codes[*]})"
slow=$(QBENCH_INJECT_SLOWDOWN="$inject" run "$work/slow")
"$qbench" gate --baseline "$(find "$work/base-1" -name '*.json' | head -1)" --candidate "$slow" --format md \
    > "$work/gate-slow.md" 2>&1
code=$?
pattern=${inject%=*}
named=$(grep -c -E -- "${pattern#^}" "$work/gate-slow.md" || true)
echo "gate-false-alarms: with QBENCH_INJECT_SLOWDOWN=$inject the gate exits $code; $named lines of its verdict" \
    "name keys matching $pattern"
head -12 "$work/gate-slow.md"
[ "$passed" -eq "$n" ] && [ "$code" -eq 2 ]
