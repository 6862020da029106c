// Shared by the aarch64 kernel files (arm_*.c): fp16 helpers, block geometry, and the prototypes the
// registry (arm_registry.c) and the cross-compiled test driver (Tests/CKernels) refer to.
// Everything here is aarch64-only; the including files are wrapped whole in `#if defined(__aarch64__)`.
#ifndef QBENCH_ARM_COMMON_H
#define QBENCH_ARM_COMMON_H
#if defined(__aarch64__)

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>
#include "qbench_kernels.h"

// The integer contract (docs/kernels.md) fuses exactly one multiply-add per block (vfmaq_f32 / fmaf) and
// rounds everything else on its own (the scale product d_w*d_x, i8_pc's 0 + isum*d). clang contracts within a
// statement by default (-ffp-contract=on), which the pragma turns off per file; gcc contracts everywhere and
// ignores the pragma, so gcc builds must pass -ffp-contract=off.
#if defined(__clang__)
#define QB_ARM_NO_CONTRACT _Pragma("STDC FP_CONTRACT OFF")
#elif defined(__GNUC__)
#define QB_ARM_NO_CONTRACT /* gcc: build with -ffp-contract=off */
#else
#define QB_ARM_NO_CONTRACT
#endif

// Target strings: clang takes bare extension names. gcc 12 rejects always_inline intrinsics under
// "+ext" alone ("target specific option mismatch"), so it gets a full arch=armv8.2-a+ext.
#if defined(__clang__)
#define QB_ARM_TARGET(clang_s, gcc_s) __attribute__((target(clang_s)))
#else
#define QB_ARM_TARGET(clang_s, gcc_s) __attribute__((target(gcc_s)))
#endif
#define QB_ARM_DOTPROD QB_ARM_TARGET("dotprod", "arch=armv8.2-a+dotprod")
#define QB_ARM_I8MM QB_ARM_TARGET("i8mm", "arch=armv8.2-a+i8mm")
#define QB_ARM_FP16 QB_ARM_TARGET("fullfp16", "arch=armv8.2-a+fp16")
#define QB_ARM_BF16 QB_ARM_TARGET("bf16", "arch=armv8.2-a+bf16")
#define QB_ARM_SVE QB_ARM_TARGET("sve", "arch=armv8.2-a+sve")
#define QB_ARM_INLINE static inline __attribute__((always_inline))

/// Raw IEEE binary16 bits to f32 (exact; fcvt is baseline ARMv8).
static inline float qb_arm_f16(const void *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

/// f32 to IEEE binary16 bits, round to nearest even (fcvt under the default FPCR), as ggml stores `d`.
static inline uint16_t qb_arm_f32_to_f16(float f) {
    return vget_lane_u16(vreinterpret_u16_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}

/// Four fp16 values read from four places, widened to f32 (exact).
static inline float32x4_t qb_arm_f16x4(const void *p0, const void *p1, const void *p2, const void *p3) {
    uint16_t h[4];
    memcpy(&h[0], p0, 2);
    memcpy(&h[1], p1, 2);
    memcpy(&h[2], p2, 2);
    memcpy(&h[3], p3, 2);
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

/// Horizontal sums of four int32x4 into one vector: lane i = sum of v_i.
static inline int32x4_t qb_arm_hsum4_s32(int32x4_t v0, int32x4_t v1, int32x4_t v2, int32x4_t v3) {
    return vpaddq_s32(vpaddq_s32(v0, v1), vpaddq_s32(v2, v3));
}
static inline float32x4_t qb_arm_hsum4_f32(float32x4_t v0, float32x4_t v1, float32x4_t v2, float32x4_t v3) {
    return vpaddq_f32(vpaddq_f32(v0, v1), vpaddq_f32(v2, v3));
}

static inline int qb_arm_min(int a, int b) { return a < b ? a : b; }

/// Baseline 4-lane int8 dot product (`neon`, where sdot is missing): smull into int16 (one product per lane, so even
/// -128*-128 fits), then pairwise-accumulate into int32. Lane sums differ from sdot's grouping; only totals are used.
static inline int32x4_t qb_neon_dot16(int32x4_t c, int8x16_t a, int8x16_t b) {
    c = vpadalq_s16(c, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(c, vmull_high_s8(a, b));
}

/* smmla tiles (neon_i8mm gemm of the block formats and the k-quants, gemv of the k-quants) */

/// 8-byte halves of two rows side by side, as smmla wants its 2x8 operands: (a[0:8], b[0:8]) and (a[8:16], b[8:16]).
static inline int8x16_t qb_arm_zip_lo(int8x16_t a, int8x16_t b) {
    return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
static inline int8x16_t qb_arm_zip_hi(int8x16_t a, int8x16_t b) {
    return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

/// Lanes of a 2x2 tile are (row 2p, act 2q), (2p, 2q+1), (2p+1, 2q), (2p+1, 2q+1): spread per-row values over
/// them ([r0 r0 r1 r1]) and per-activation values ([c0 c1 c0 c1]).
static inline float32x4_t qb_arm_rows_f(float32x4_t v, int p) { return p ? vzip2q_f32(v, v) : vzip1q_f32(v, v); }
static inline float32x4_t qb_arm_cols_f(float32x4_t v, int q) {
    return q ? vcombine_f32(vget_high_f32(v), vget_high_f32(v)) : vcombine_f32(vget_low_f32(v), vget_low_f32(v));
}

/// Stores a 4x4 tile held as 2x2 tiles of 2x2 (lanes as above) at rows m.., activation rows n..; rows from m1 and
/// activation rows from N on are not stored.
static inline void qb_arm_store_tile(const qb_mat_args *a, float32x4_t v[2][2], int m, int m1, int n) {
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) {
            float out[4];
            vst1q_f32(out, v[p][q]);
            for (int l = 0; l < 4; l++) {
                const int mi = m + 2 * p + (l >> 1), nj = n + 2 * q + (l & 1);
                if (mi < m1 && nj < a->N) a->y[(size_t)nj * a->ldy + mi] = out[l];
            }
        }
}

/* ---- Integer weight formats: block geometry and decoding to int8 (shared by every int variant) ---- */

enum { QF_Q8_0, QF_Q4_0, QF_Q4_1, QF_I4, QF_U4 };

/// Bytes per 32-element weight block in the row, and where its quants start.
QB_ARM_INLINE size_t qf_wblock_bytes(int fmt) {
    return fmt == QF_Q8_0 ? sizeof(qb_block_q8_0) : fmt == QF_Q4_0 ? sizeof(qb_block_q4_0)
         : fmt == QF_Q4_1 ? sizeof(qb_block_q4_1) : 16;
}
QB_ARM_INLINE size_t qf_wqs_offset(int fmt) {
    return fmt == QF_Q8_0 ? offsetof(qb_block_q8_0, qs) : fmt == QF_Q4_0 ? offsetof(qb_block_q4_0, qs)
         : fmt == QF_Q4_1 ? offsetof(qb_block_q4_1, qs) : 0;
}
/// Activation bytes per 32 elements: q8_0 / q8_1 blocks, or plain int8 for per-token activations.
QB_ARM_INLINE size_t qf_xblock_bytes(int fmt) {
    return fmt == QF_Q4_1 ? sizeof(qb_block_q8_1) : (fmt == QF_I4 || fmt == QF_U4) ? 32 : sizeof(qb_block_q8_0);
}
QB_ARM_INLINE size_t qf_xqs_offset(int fmt) {
    return fmt == QF_Q4_1 ? offsetof(qb_block_q8_1, qs)
         : (fmt == QF_I4 || fmt == QF_U4) ? 0 : offsetof(qb_block_q8_0, qs);
}

/// 32 weights as int8: elements 0..15 in *lo, 16..31 in *hi (nibble formats: low nibbles, then high).
QB_ARM_INLINE void qf_decode_w(int fmt, const uint8_t *qs, int8x16_t *lo, int8x16_t *hi) {
    if (fmt == QF_Q8_0) {
        *lo = vld1q_s8((const int8_t *)qs);
        *hi = vld1q_s8((const int8_t *)qs + 16);
        return;
    }
    const uint8x16_t v = vld1q_u8(qs);
    int8x16_t l = vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0F)));
    int8x16_t h = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
    if (fmt == QF_Q4_0 || fmt == QF_I4) { // offset-binary q+8
        l = vsubq_s8(l, vdupq_n_s8(8));
        h = vsubq_s8(h, vdupq_n_s8(8));
    }
    *lo = l;
    *hi = h;
}

/// Shapes the block kernels accept (K a multiple of the block, group a multiple of 32 dividing K).
/// Anything else is a caller bug; the kernels then write NaN so it cannot pass for a result.
QB_ARM_INLINE int qf_shape_ok(int fmt, const qb_mat_args *a) {
    if (a->K < 0) return 0;
    if (fmt == QF_I4 || fmt == QF_U4) return a->group > 0 && a->group % QB_QK == 0 && a->K % a->group == 0;
    return a->K % QB_QK == 0;
}
static inline void qb_arm_fill_nan(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) a->y[(size_t)n * a->ldy + m] = __builtin_nanf("");
}

/// Geometry of one block-format call, shared by the NEON, i8mm and SVE drivers.
typedef struct { int grouped, G, ng, nsub; size_t wb, wqo, xb, xqo; } qf_geom;

/// Fills `g`; returns 0 when there is nothing to compute (no rows or tokens) or the shape is refused (the
/// outputs are then NaN, per the contract).
QB_ARM_INLINE int qf_begin(int fmt, const qb_mat_args *a, int m0, int m1, qf_geom *g) {
    if (m1 <= m0 || a->N <= 0) return 0;
    if (!qf_shape_ok(fmt, a)) {
        qb_arm_fill_nan(a, m0, m1);
        return 0;
    }
    g->grouped = fmt == QF_I4 || fmt == QF_U4;
    g->G = g->grouped ? a->group : QB_QK;
    g->ng = a->K / g->G;
    g->nsub = g->G / QB_QK;
    g->wb = qf_wblock_bytes(fmt); g->wqo = qf_wqs_offset(fmt);
    g->xb = qf_xblock_bytes(fmt); g->xqo = qf_xqs_offset(fmt);
    return 1;
}

/* ---- Prototypes: qb_<op>_<wfmt>_<afmt>_<variant>; int formats take any group that is a multiple of 32 ---- */
#define QB_ARM_INT_PROTOS(op, v)                                            \
    void qb_##op##_q8_0_q8_0_##v(const qb_mat_args *a, int m0, int m1);     \
    void qb_##op##_q4_0_q8_0_##v(const qb_mat_args *a, int m0, int m1);     \
    void qb_##op##_q4_1_q8_1_##v(const qb_mat_args *a, int m0, int m1);     \
    void qb_##op##_i8_pc_i8_pt_##v(const qb_mat_args *a, int m0, int m1);   \
    void qb_##op##_i4_g32_i8_pt_##v(const qb_mat_args *a, int m0, int m1);  \
    void qb_##op##_u4_g32_i8_pt_##v(const qb_mat_args *a, int m0, int m1);

QB_ARM_INT_PROTOS(gemv, neon)
QB_ARM_INT_PROTOS(gemm, neon)
QB_ARM_INT_PROTOS(gemv, neon_dotprod)
QB_ARM_INT_PROTOS(gemm, neon_dotprod)
QB_ARM_INT_PROTOS(gemm, neon_i8mm)
QB_ARM_INT_PROTOS(gemv, sve)
QB_ARM_INT_PROTOS(gemm, sve)

/* k-quants (q8_k activations) and q5_0 (q8_0 activations): arm_kquant.c */
#define QB_ARM_KQ_PROTOS(op, v)                                             \
    void qb_##op##_q4_k_q8_k_##v(const qb_mat_args *a, int m0, int m1);     \
    void qb_##op##_q5_k_q8_k_##v(const qb_mat_args *a, int m0, int m1);     \
    void qb_##op##_q6_k_q8_k_##v(const qb_mat_args *a, int m0, int m1);     \
    void qb_##op##_q5_0_q8_0_##v(const qb_mat_args *a, int m0, int m1);

QB_ARM_KQ_PROTOS(gemv, neon)
QB_ARM_KQ_PROTOS(gemm, neon)
QB_ARM_KQ_PROTOS(gemv, neon_dotprod)
QB_ARM_KQ_PROTOS(gemm, neon_dotprod)
QB_ARM_KQ_PROTOS(gemv, neon_i8mm)
QB_ARM_KQ_PROTOS(gemm, neon_i8mm)

#define QB_ARM_FLOAT_PROTOS(op, v)                                          \
    void qb_##op##_f32_f32_##v(const qb_mat_args *a, int m0, int m1);       \
    void qb_##op##_f16_f32_##v(const qb_mat_args *a, int m0, int m1);       \
    void qb_##op##_bf16_f32_##v(const qb_mat_args *a, int m0, int m1);      \
    void qb_##op##_bf16_bf16_##v(const qb_mat_args *a, int m0, int m1);
QB_ARM_FLOAT_PROTOS(gemv, neon)
QB_ARM_FLOAT_PROTOS(gemm, neon)
QB_ARM_FLOAT_PROTOS(gemv, sve)
QB_ARM_FLOAT_PROTOS(gemm, sve)

void qb_gemv_f16_f32_neon_fp16(const qb_mat_args *a, int m0, int m1);
void qb_gemm_f16_f32_neon_fp16(const qb_mat_args *a, int m0, int m1);
void qb_gemv_bf16_bf16_neon_bf16(const qb_mat_args *a, int m0, int m1);
void qb_gemm_bf16_bf16_neon_bf16(const qb_mat_args *a, int m0, int m1);

void qb_quantize_row_q8_0_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_q8_1_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_i8_pt_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_bf16_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_bf16_neon_bf16(const float *x, void *out, float *scale, int32_t *sums, int group, int K);

extern const qb_kernel_entry qb_arm_kernel_entries[];
extern const int qb_arm_kernel_entry_count;

#endif
#endif
