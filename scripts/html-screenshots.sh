#!/usr/bin/env bash
# Opens the HTML pages qbench renders in headless Chromium (Debian's `chromium`, installed when missing), takes a
# screenshot of each and checks it rendered: the page loaded without console errors, the DOM Chromium built holds
# the compatibility matrix and the roofline chart, and the screenshot is not blank (many distinct byte values in
# its decompressed pixels). The screenshots go to docs/screenshots/ (committed: they show what a report looks like).
# The matrix page has three devices: this machine, and the same binary under qemu-x86_64 as a Nehalem (no AVX) and
# a Haswell (AVX2): emulated CPUs, named by QEMU's CPU model in the report, whose timings mean nothing; what differs
# between the columns is which kernels run.
#   scripts/html-screenshots.sh [QBENCH]     (default .build/release/qbench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
qbench=${1:-.build/release/qbench}
scripts/ensure-deps.sh chromium
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$qbench" run --quick --profile smoke --out "$work/reports" --progress none > /dev/null
json=$(find "$work/reports" -name "*.json" | head -1)
"$qbench" report "$json" --format html --out "$work/report.html"
mkdir -p docs/screenshots
check() {  # check PAGE PNG MARKER...
    local page=$1 png=$2
    shift 2
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2000 \
        --enable-logging=stderr --v=0 --screenshot="$png" "file://$page" > /dev/null 2> "$work/console.log" || true
    if grep -E "CONSOLE|Uncaught|ERROR:.*(html|svg)" "$work/console.log" | grep -v -i "dbus\|gpu\|sandbox" ; then
        echo "html-screenshots: $page: console errors (above)" >&2
        exit 1
    fi
    chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$page" 2> /dev/null > "$work/dom.html"
    for marker in "$@"; do
        grep -q -- "$marker" "$work/dom.html" || { echo "html-screenshots: $page: no $marker in the DOM" >&2; exit 1; }
    done
    python3 - "$png" << 'PY'
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    if kind == b'IDAT':
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
distinct = len(set(zlib.decompress(idat)))
print(f'html-screenshots: {sys.argv[1]}: {distinct} distinct byte values')
sys.exit(0 if distinct >= 64 else 1)
PY
}
check "$work/report.html" docs/screenshots/report-smoke.png '<table class="matrix">' '<svg class="roofline"'
echo "html-screenshots: docs/screenshots/report-smoke.png"
if [ "$(uname -m)" = x86_64 ] && scripts/ensure-deps.sh qemu-user && command -v qemu-x86_64 > /dev/null; then
    for cpu in Nehalem Haswell; do
        qemu-x86_64 -cpu "$cpu" "$qbench" run --quick --profile smoke --out "$work/reports" --progress none \
            > /dev/null
    done
    "$qbench" matrix "$work/reports" --format html --out "$work/matrix.html"
    devices=$(grep -c '<code>' "$work/matrix.html" || true)
    check "$work/matrix.html" docs/screenshots/matrix-3-devices.png '<table class="matrix">' 'Nehalem' 'Haswell'
    echo "html-screenshots: docs/screenshots/matrix-3-devices.png ($devices device labels)"
fi
