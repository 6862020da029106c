// Limit kernels: the device's own roofline. Read bandwidth over a working set the caller sizes (L1, L2, L3,
// DRAM from hwloc) and peak arithmetic loops per instruction family and ISA. Every loop is throughput-bound
// (many independent accumulators) and stores its result to a volatile sink so the compiler cannot drop it.
// Timing and threading are the caller's (Swift: Sources/QBenchKernels/Registry/LimitKernels.swift).
#ifndef QBENCH_LIMITS_H
#define QBENCH_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A peak-throughput loop for one instruction on one thread.
typedef struct qb_peak_kernel {
    const char *kind;        /* "fp32_fma" | "int8_dot" | "bf16_dot" | "fp16_fma" */
    const char *variant;     /* kernel-variant name whose peak this is: avx2 avx512 avx512_vnni avx_vnni avx512_bf16
                                avx512_fp16 amx sse2 */
    const char *requires;    /* canonical CPU features, comma separated (as qb_kernel_entry.requires) */
    const char *instruction; /* what the loop issues, e.g. "vpdpbusd zmm" */
    double ops_per_iter;     /* arithmetic operations per iteration (a multiply-add counts 2) */
    void (*run)(uint64_t iters, uint32_t seed); /* `iters` iterations; the result goes to a volatile sink */
} qb_peak_kernel;

/// Every peak loop built into this binary, `*count` of them.
const qb_peak_kernel *qb_peak_kernels(int *count);

/// A read-bandwidth loop: reads `bytes` (a multiple of 256, 64-byte aligned) from `buf` `passes` times and
/// returns the wrapping sum of every 64-bit word it read (also written to a volatile sink), so a caller can
/// check that the whole buffer was read.
typedef struct qb_read_kernel {
    const char *variant;     /* sse2 | avx2 | avx512 | neon | scalar */
    const char *requires;
    const char *instruction;
    uint64_t (*run)(const void *buf, size_t bytes, size_t passes);
} qb_read_kernel;

/// Every read loop built into this binary, `*count` of them, widest last.
const qb_read_kernel *qb_read_kernels(int *count);

#ifdef __cplusplus
}
#endif
#endif
