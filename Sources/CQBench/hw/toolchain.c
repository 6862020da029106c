// The compiler identity baked in at build time: the kernels' speed depends on it, and reading it here costs nothing.
#include "qbench_toolchain.h"

const char *qb_toolchain_c_compiler(void) {
#if defined(__clang__) && defined(__clang_version__)
    return "clang " __clang_version__;
#elif defined(__GNUC__) && defined(__VERSION__)
    return "gcc " __VERSION__;
#elif defined(__VERSION__)
    return __VERSION__;
#else
    return "unknown";
#endif
}

const char *qb_toolchain_c_flags(void) {
#ifdef QB_C_FLAGS
    return QB_C_FLAGS;
#else
    return "";
#endif
}
