// Facts about the compiler that built the C target, fixed at compile time so probing runs nothing.
#ifndef QBENCH_TOOLCHAIN_H
#define QBENCH_TOOLCHAIN_H

#ifdef __cplusplus
extern "C" {
#endif

/// The C compiler that built the kernels, e.g. "clang 17.0.0 (https://github.com/swiftlang/llvm-project.git ...)".
/// A static string; never NULL.
const char *qb_toolchain_c_compiler(void);

#ifdef __cplusplus
}
#endif
#endif
