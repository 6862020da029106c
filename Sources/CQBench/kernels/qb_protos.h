// Prototypes of every x86 and scalar kernel this folder defines, for the registry and the tests.
// Names: qb_<op>_<weight format>_<activation format>_<variant>; i4_gN/u4_gN take any group that is a
// multiple of 32 dividing K (the registry lists them as i4_g32/g64/g128 and u4_g32/g64/g128).
#ifndef QBENCH_QB_PROTOS_H
#define QBENCH_QB_PROTOS_H

#include "qbench_kernels.h"

#define QB_MAT_PROTO(op, w, x, v) void qb_##op##_##w##_##x##_##v(const qb_mat_args *a, int m0, int m1);
#define QB_QUANT_PROTO(f, v) \
    void qb_quantize_row_##f##_##v(const float *x, void *out, float *scale, int32_t *sums, int group, int K);

#define QB_INT_PROTOS(op, v)          \
    QB_MAT_PROTO(op, q8_0, q8_0, v)   \
    QB_MAT_PROTO(op, q4_0, q8_0, v)   \
    QB_MAT_PROTO(op, q4_1, q8_1, v)   \
    QB_MAT_PROTO(op, i8_pc, i8_pt, v) \
    QB_MAT_PROTO(op, i4_gN, i8_pt, v) \
    QB_MAT_PROTO(op, u4_gN, i8_pt, v)

#define QB_FLOAT_PROTOS(op, v)        \
    QB_MAT_PROTO(op, f32, f32, v)     \
    QB_MAT_PROTO(op, f16, f32, v)     \
    QB_MAT_PROTO(op, bf16, bf16, v)   \
    QB_MAT_PROTO(op, bf16, f32, v)

/* k-quants (q8_k activations) and q5_0 (q8_0 activations): scalar_kquant.c; x86: avx2_kquant.c (k-quants) and the
   x16 q8_0 kernels over a widening repack (q5_0) */
#define QB_KQ_PROTOS(op, v)           \
    QB_MAT_PROTO(op, q4_k, q8_k, v)   \
    QB_MAT_PROTO(op, q5_k, q8_k, v)   \
    QB_MAT_PROTO(op, q6_k, q8_k, v)   \
    QB_MAT_PROTO(op, q5_0, q8_0, v)

/* scalar: everything */
QB_KQ_PROTOS(gemv, scalar)
QB_KQ_PROTOS(gemm, scalar)
QB_QUANT_PROTO(q8_k, scalar)
QB_INT_PROTOS(gemv, scalar)
QB_INT_PROTOS(gemm, scalar)
QB_FLOAT_PROTOS(gemv, scalar)
QB_FLOAT_PROTOS(gemm, scalar)
QB_QUANT_PROTO(q8_0, scalar)
QB_QUANT_PROTO(q8_1, scalar)
QB_QUANT_PROTO(i8_pt, scalar)
QB_QUANT_PROTO(bf16, scalar)
QB_QUANT_PROTO(f32, scalar)

#if defined(__x86_64__)
/* x16 repacking (x86_repack.c) */
#define QB_X16_PROTO(name)                                        \
    size_t qb_x16_size_##name(int M, int K, int group);           \
    void qb_x16_repack_##name(const qb_mat_args *s, void *dst);
QB_X16_PROTO(q8_0)
#define QB_KX16_PROTO(name)                                        \
    size_t qb_kx16_size_##name(int M, int K, int group);           \
    void qb_kx16_repack_##name(const qb_mat_args *s, void *dst);
QB_KX16_PROTO(q4_k)
QB_KX16_PROTO(q5_k)
QB_KX16_PROTO(q6_k)
QB_KX16_PROTO(q4_k_kn)
QB_KX16_PROTO(q5_k_kn)
QB_KX16_PROTO(q6_k_kn)
#define QB_KX_PROTOS(v)                 \
    QB_MAT_PROTO(gemv, q4_k, q8_k, v)   \
    QB_MAT_PROTO(gemv, q5_k, q8_k, v)   \
    QB_MAT_PROTO(gemv, q6_k, q8_k, v)   \
    QB_MAT_PROTO(gemm, q4_k, q8_k, v)   \
    QB_MAT_PROTO(gemm, q5_k, q8_k, v)   \
    QB_MAT_PROTO(gemm, q6_k, q8_k, v)
QB_KX_PROTOS(avx512_vnni)
QB_KX_PROTOS(avx512)
QB_KX_PROTOS(avx_vnni)
QB_X16_PROTO(q5_0)
QB_X16_PROTO(q4_0)
QB_X16_PROTO(q4_1)
QB_X16_PROTO(i8_pc)
QB_X16_PROTO(i4_gN)
QB_X16_PROTO(u4_gN)
QB_X16_PROTO(f16)
QB_X16_PROTO(bf16)
QB_X16_PROTO(f32)

QB_INT_PROTOS(gemv, avx512_vnni)
QB_INT_PROTOS(gemm, avx512_vnni)
QB_INT_PROTOS(gemv, avx_vnni)
QB_INT_PROTOS(gemm, avx_vnni)
QB_INT_PROTOS(gemv, avx512)
QB_INT_PROTOS(gemm, avx512)
QB_MAT_PROTO(gemv, q4_k, q8_k, avx2)
QB_MAT_PROTO(gemm, q4_k, q8_k, avx2)
QB_MAT_PROTO(gemv, q5_k, q8_k, avx2)
QB_MAT_PROTO(gemm, q5_k, q8_k, avx2)
QB_MAT_PROTO(gemv, q6_k, q8_k, avx2)
QB_MAT_PROTO(gemm, q6_k, q8_k, avx2)
QB_QUANT_PROTO(q8_k, avx2)
QB_INT_PROTOS(gemv, avx2)
QB_INT_PROTOS(gemm, avx2)
QB_FLOAT_PROTOS(gemv, avx2)
QB_FLOAT_PROTOS(gemm, avx2)
QB_FLOAT_PROTOS(gemv, avx512)
QB_FLOAT_PROTOS(gemm, avx512)
QB_MAT_PROTO(gemv, bf16, bf16, avx512_bf16)
QB_MAT_PROTO(gemm, bf16, bf16, avx512_bf16)
QB_MAT_PROTO(gemv, f16, f32, avx512_fp16)
QB_MAT_PROTO(gemm, f16, f32, avx512_fp16)
QB_QUANT_PROTO(q8_0, avx2)
QB_QUANT_PROTO(q8_1, avx2)
QB_QUANT_PROTO(i8_pt, avx2)
QB_MAT_PROTO(gemm, i8_pc, i8_pt, amx)
QB_MAT_PROTO(gemm, q8_0, q8_0, amx)
QB_MAT_PROTO(gemm, bf16, bf16, amx)
#endif
/* AMX tiling over the plain-C tile emulator (amx_emul.c): test hooks, any architecture */
QB_MAT_PROTO(gemm, i8_pc, i8_pt, amx_emulated)
QB_MAT_PROTO(gemm, q8_0, q8_0, amx_emulated)
QB_MAT_PROTO(gemm, bf16, bf16, amx_emulated)

#endif
