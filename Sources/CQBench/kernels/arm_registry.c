// Every AArch64 kernel variant built into this binary, with the CPU features (canonical names from
// docs/cli.md) each needs. Meant to be appended by the shared qb_kernel_registry() on aarch64 builds.
// quantize_row entries name the activation format in both wfmt and afmt.
// Weights are used as stored by every entry here (repack ""). Integer entries are bit-exact with the
// scalar reference; float entries (f32/f16/bf16 weights) reorder the f32 sum and are verified with a
// tolerance: f32 FMA (neon, sve) ~1e-6, neon_fp16 (fp16 products and partial sums) ~1e-2, neon_bf16 (bfdot/bfmmla
// internal rounding) ~1e-5, all relative to sum|w*x|.
#if defined(__aarch64__)
#include "arm_common.h"

#define REQ_NEON "asimd"
#define REQ_DOTPROD "asimd,asimddp"
#define REQ_I8MM "asimd,i8mm"
#define REQ_FP16 "asimd,fphp,asimdhp"
#define REQ_BF16 "asimd,bf16"
#define REQ_SVE "asimd,sve"

// Designated initializers: fields added to qb_kernel_entry later (repack, row_align, tolerance) stay zero.
#define MAT(o, w, x, v, req) {.op = #o, .wfmt = #w, .afmt = #x, .variant = #v, .requires = req, .repack = "", \
                              .mat = qb_##o##_##w##_##x##_##v, .quant = NULL}
// An entry with its own tolerance text (KernelTolerance.parse reads it, as the ARM test driver does).
#define MATT(o, w, x, v, req, tol) {.op = #o, .wfmt = #w, .afmt = #x, .variant = #v, .requires = req, .repack = "", \
                                    .mat = qb_##o##_##w##_##x##_##v, .quant = NULL, .tolerance = tol}
#define FP16_TOL "nmse<=5e-4 rel<=1e-2 (fp16 products and 64-term partial sums)"
#define QUANT(f, v, req) {.op = "quantize_row", .wfmt = #f, .afmt = #f, .variant = #v, .requires = req, .repack = "", \
                          .mat = NULL, .quant = qb_quantize_row_##f##_##v}

/* The int4 functions take the group from qb_mat_args (any multiple of 32 dividing K), so one function serves
   the g32, g64 and g128 entries, as on x86. */
#define MATG(o, w, g, x, v, req) {.op = #o, .wfmt = #w "_g" #g, .afmt = #x, .variant = #v, .requires = req, \
                                  .repack = "", .mat = qb_##o##_##w##_g32_##x##_##v, .quant = NULL}

#define INT_SET(op, v, req)                       \
    MAT(op, q8_0, q8_0, v, req),                  \
    MAT(op, q4_0, q8_0, v, req),                  \
    MAT(op, q4_1, q8_1, v, req),                  \
    MAT(op, i8_pc, i8_pt, v, req),                \
    MATG(op, i4, 32, i8_pt, v, req),              \
    MATG(op, i4, 64, i8_pt, v, req),              \
    MATG(op, i4, 128, i8_pt, v, req),             \
    MATG(op, u4, 32, i8_pt, v, req),              \
    MATG(op, u4, 64, i8_pt, v, req),              \
    MATG(op, u4, 128, i8_pt, v, req)

/* The k-quants (q8_k activations) and q5_0 (q8_0 activations), arm_kquant.c. */
#define KQ_SET(op, v, req)                        \
    MAT(op, q4_k, q8_k, v, req),                  \
    MAT(op, q5_k, q8_k, v, req),                  \
    MAT(op, q6_k, q8_k, v, req),                  \
    MAT(op, q5_0, q8_0, v, req)

/* The float formats computed in f32 (f16 and bf16 weights widened), gemv and gemm. */
#define FLOAT_SET(v, req)                         \
    MAT(gemv, f32, f32, v, req),                  \
    MAT(gemm, f32, f32, v, req),                  \
    MAT(gemv, f16, f32, v, req),                  \
    MAT(gemm, f16, f32, v, req),                  \
    MAT(gemv, bf16, f32, v, req),                 \
    MAT(gemm, bf16, f32, v, req),                 \
    MAT(gemv, bf16, bf16, v, req),                \
    MAT(gemm, bf16, bf16, v, req)

const qb_kernel_entry qb_arm_kernel_entries[] = {
    INT_SET(gemv, neon, REQ_NEON),
    INT_SET(gemm, neon, REQ_NEON),
    KQ_SET(gemv, neon, REQ_NEON),
    KQ_SET(gemm, neon, REQ_NEON),
    FLOAT_SET(neon, REQ_NEON),
    QUANT(q8_0, neon, REQ_NEON),
    QUANT(q8_1, neon, REQ_NEON),
    QUANT(i8_pt, neon, REQ_NEON),
    QUANT(bf16, neon, REQ_NEON),

    INT_SET(gemv, neon_dotprod, REQ_DOTPROD),
    INT_SET(gemm, neon_dotprod, REQ_DOTPROD),
    KQ_SET(gemv, neon_dotprod, REQ_DOTPROD),
    KQ_SET(gemm, neon_dotprod, REQ_DOTPROD),

    INT_SET(gemm, neon_i8mm, REQ_I8MM),
    KQ_SET(gemv, neon_i8mm, REQ_I8MM),
    KQ_SET(gemm, neon_i8mm, REQ_I8MM),

    MATT(gemv, f16, f32, neon_fp16, REQ_FP16, FP16_TOL),
    MATT(gemm, f16, f32, neon_fp16, REQ_FP16, FP16_TOL),

    MAT(gemv, bf16, bf16, neon_bf16, REQ_BF16),
    MAT(gemm, bf16, bf16, neon_bf16, REQ_BF16),
    QUANT(bf16, neon_bf16, REQ_BF16),

    INT_SET(gemv, sve, REQ_SVE),
    INT_SET(gemm, sve, REQ_SVE),
    FLOAT_SET(sve, REQ_SVE),
};

const int qb_arm_kernel_entry_count = (int)(sizeof(qb_arm_kernel_entries) / sizeof(qb_arm_kernel_entries[0]));
#endif
