// Facts about the compiler that built the C target, fixed at compile time so probing runs nothing.
#ifndef QBENCH_TOOLCHAIN_H
#define QBENCH_TOOLCHAIN_H

#ifdef __cplusplus
extern "C" {
#endif

/// The C compiler that built the kernels, e.g. "clang 17.0.0 (https://github.com/swiftlang/llvm-project.git ...)".
/// A static string; never NULL.
const char *qb_toolchain_c_compiler(void);

/// The flags Package.swift compiles this target with (its `cqbenchFlags`, passed in as QB_C_FLAGS), e.g.
/// "-O3 -fno-strict-aliasing -ffp-contract=off"; "" when built without them. A static string; never NULL.
const char *qb_toolchain_c_flags(void);

#ifdef __cplusplus
}
#endif
#endif
