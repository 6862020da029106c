#!/usr/bin/env bash
# The closing line of `make test`: which oracle tests ran or skipped, and how many kernel variants were verified
# natively, under emulation, or not run here (and why). Reads the ledger the tests append to
# (QBENCH_ORACLE_LEDGER; lines: ran|skipped|variant <TAB> ... ). Usage: test-summary.sh LEDGER
set -u
ledger=${1:?usage: test-summary.sh LEDGER}
[ -s "$ledger" ] || { echo "make test: no oracle ledger at $ledger (did the tests run?)"; exit 0; }
awk -F '\t' '
$1 == "ran"     { nr++; oracle[$2] = 1 }
$1 == "skipped" { ns++; skip[$3 " (" $2 ")"] = $4 }
$1 == "variant" && $2 == "native" {
    if ($4 == "verified") nat_ok++
    else if ($4 ~ /^not run/) { split($3, parts, "/"); miss[parts[4] " (" substr($4, 10) ")"]++; nat_not++ }
    else nat_bad++
    nat_all++
}
$1 == "variant" && $2 ~ /^emulated/ {
    if ($4 == "verified") { emu_ok++; emu_keys[$3] = 1; cpu[substr($2, 10)] = 1 }
}
END {
    no = 0; ol = ""; for (o in oracle) { no++; ol = ol (ol == "" ? "" : ", ") o }
    ne = 0; for (key in emu_keys) ne++
    nc = 0; for (c in cpu) nc++
    printf "make test: oracle checks: %d run, %d skipped (oracles used: %s)\n", nr + 0, ns + 0, ol
    for (t in skip) printf "make test:   skipped %s - %s\n", t, skip[t]
    printf "make test: kernel variants: %d of %d verified natively", nat_ok + 0, nat_all + 0
    if (nat_bad) printf " (%d NOT verified)", nat_bad
    printf "; %d distinct aarch64 entries verified under qemu (%d CPU models); not run here: %d\n", ne, nc, nat_not
    for (m in miss) printf "make test:   not run: %d x %s\n", miss[m], m
}' "$ledger" | sort -s -k1,2
