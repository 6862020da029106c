// The scalar reference: the truth every other variant is verified against. Written for clarity, not
// speed: one output at a time, blocks in increasing k, the epilogue exactly as qbench_kernels.h states it.
// Also the portable fallback, so it must stay correct for every shape the formats allow.
#include <math.h>
#include <string.h>

#include "qb_ref.h"
#include "qb_protos.h"

/* The integer contract is one fused multiply-add per block, `acc = fmaf((float)isum, d_w * d_x, acc)`, written
   with fmaf so it is the same on every target; keep clang from contracting anything else (the scale product,
   i8_pc's `0 + isum * d`), also on aarch64, which builds this file too. */
#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif

/* ---------------------------------------------------------------- activation routines (quantize_row) */

/// Elements past K (K not a multiple of 32) are taken as 0, so a row is never read past its end.
static inline float qb_x_at(const float *x, int K, int j) { return j < K ? x[j] : 0.0f; }

void qb_quantize_row_q8_0_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    qb_block_q8_0 *y = (qb_block_q8_0 *)out;
    const int nb = (K + QB_QK - 1) / QB_QK;
    for (int b = 0; b < nb; b++) {
        float amax = 0.0f;
        for (int j = 0; j < QB_QK; j++) amax = fmaxf(amax, fabsf(qb_x_at(x, K, b * QB_QK + j)));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = qb_f32_to_f16(d);
        for (int j = 0; j < QB_QK; j++) y[b].qs[j] = (int8_t)roundf(qb_x_at(x, K, b * QB_QK + j) * id);
    }
}

void qb_quantize_row_q8_1_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    qb_block_q8_1 *y = (qb_block_q8_1 *)out;
    const int nb = (K + QB_QK - 1) / QB_QK;
    for (int b = 0; b < nb; b++) {
        float amax = 0.0f;
        for (int j = 0; j < QB_QK; j++) amax = fmaxf(amax, fabsf(qb_x_at(x, K, b * QB_QK + j)));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = qb_f32_to_f16(d);
        int sum = 0;
        for (int j = 0; j < QB_QK; j++) {
            y[b].qs[j] = (int8_t)roundf(qb_x_at(x, K, b * QB_QK + j) * id);
            sum += y[b].qs[j];
        }
        y[b].s = qb_f32_to_f16((float)sum * d);
    }
}

/// Per-token int8: s = absmax/127, q = round_half_away(x/s) (a true division, as the Swift formats do),
/// clamped to -127..127; all-zero rows get s = 0. `sums` (when group > 0) gets the per-group sums of q.
void qb_quantize_row_i8_pt_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    int8_t *q = (int8_t *)out;
    float amax = 0.0f;
    for (int j = 0; j < K; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float s = amax / 127.0f;
    for (int j = 0; j < K; j++) {
        float r = s != 0.0f ? roundf(x[j] / s) : 0.0f;
        r = r > 127.0f ? 127.0f : (r < -127.0f ? -127.0f : r);
        q[j] = (int8_t)r;
    }
    if (scale) *scale = s;
    if (sums && group > 0) {
        for (int g = 0; g < K / group; g++) {
            int32_t t = 0;
            for (int j = 0; j < group; j++) t += q[g * group + j];
            sums[g] = t;
        }
    }
}

void qb_quantize_row_bf16_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    uint16_t *y = (uint16_t *)out;
    for (int j = 0; j < K; j++) y[j] = qb_f32_to_bf16(x[j]);
}

void qb_quantize_row_f32_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    memcpy(out, x, (size_t)K * sizeof(float));
}

/* ---------------------------------------------------------------- integer matrix kernels */

static const uint8_t *qb_w_row(const qb_mat_args *a, int m) { return (const uint8_t *)a->w + (size_t)m * a->w_stride; }
static const uint8_t *qb_x_row(const qb_mat_args *a, int n) { return (const uint8_t *)a->x + (size_t)n * a->x_stride; }
static float *qb_y_at(const qb_mat_args *a, int n, int m) { return a->y + (size_t)n * a->ldy + m; }

void qb_gemm_q8_0_q8_0_scalar(const qb_mat_args *a, int m0, int m1) {
    if (!qb_shape_ok(QB_F_Q8_0, a->K, a->group)) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QK;
    for (int n = 0; n < a->N; n++) {
        const qb_block_q8_0 *x = (const qb_block_q8_0 *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const qb_block_q8_0 *w = (const qb_block_q8_0 *)qb_w_row(a, m);
            float acc = 0.0f;
            for (int b = 0; b < nb; b++) {
                int32_t isum = 0;
                for (int j = 0; j < QB_QK; j++) isum += (int32_t)w[b].qs[j] * x[b].qs[j];
                acc = fmaf((float)isum, qb_f16_to_f32(w[b].d) * qb_f16_to_f32(x[b].d), acc);
            }
            *qb_y_at(a, n, m) = acc;
        }
    }
}

void qb_gemm_q4_0_q8_0_scalar(const qb_mat_args *a, int m0, int m1) {
    if (!qb_shape_ok(QB_F_Q4_0, a->K, a->group)) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QK;
    for (int n = 0; n < a->N; n++) {
        const qb_block_q8_0 *x = (const qb_block_q8_0 *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const qb_block_q4_0 *w = (const qb_block_q4_0 *)qb_w_row(a, m);
            float acc = 0.0f;
            for (int b = 0; b < nb; b++) {
                int32_t isum = 0;
                for (int j = 0; j < 16; j++) {
                    isum += ((int32_t)(w[b].qs[j] & 15) - 8) * x[b].qs[j];
                    isum += ((int32_t)(w[b].qs[j] >> 4) - 8) * x[b].qs[j + 16];
                }
                acc = fmaf((float)isum, qb_f16_to_f32(w[b].d) * qb_f16_to_f32(x[b].d), acc);
            }
            *qb_y_at(a, n, m) = acc;
        }
    }
}

void qb_gemm_q4_1_q8_1_scalar(const qb_mat_args *a, int m0, int m1) {
    if (!qb_shape_ok(QB_F_Q4_1, a->K, a->group)) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QK;
    for (int n = 0; n < a->N; n++) {
        const qb_block_q8_1 *x = (const qb_block_q8_1 *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const qb_block_q4_1 *w = (const qb_block_q4_1 *)qb_w_row(a, m);
            float acc = 0.0f;
            for (int b = 0; b < nb; b++) {
                int32_t isum = 0;
                for (int j = 0; j < 16; j++) {
                    isum += (int32_t)(w[b].qs[j] & 15) * x[b].qs[j];
                    isum += (int32_t)(w[b].qs[j] >> 4) * x[b].qs[j + 16];
                }
                /* ggml's m*s term first, then the block's dot product, each fused */
                acc = fmaf(qb_f16_to_f32(w[b].m), qb_f16_to_f32(x[b].s), acc);
                acc = fmaf((float)isum, qb_f16_to_f32(w[b].d) * qb_f16_to_f32(x[b].d), acc);
            }
            *qb_y_at(a, n, m) = acc;
        }
    }
}

void qb_gemm_i8_pc_i8_pt_scalar(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++) {
        const int8_t *x = (const int8_t *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const int8_t *w = (const int8_t *)qb_w_row(a, m);
            int32_t isum = 0;
            for (int k = 0; k < a->K; k++) isum += (int32_t)w[k] * x[k];
            float acc = 0.0f;
            acc = acc + (float)isum * (a->w_scales[m] * a->x_scales[n]);
            *qb_y_at(a, n, m) = acc;
        }
    }
}

/// i4_gN and u4_gN share the packing; `asym` selects the zero-point term.
static void qb_gemm_x4_gn_scalar(const qb_mat_args *a, int m0, int m1, int asym) {
    if (!qb_shape_ok(asym ? QB_F_U4 : QB_F_I4, a->K, a->group)) { qb_fill_nan(a, m0, m1); return; }
    const int G = a->group, ng = a->K / G;
    for (int n = 0; n < a->N; n++) {
        const int8_t *x = (const int8_t *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const uint8_t *w = qb_w_row(a, m);
            float acc = 0.0f;
            for (int g = 0; g < ng; g++) {
                int32_t isum = 0, xsum = 0;
                for (int sb = 0; sb < G / QB_QK; sb++) {
                    const int k0 = g * G + sb * QB_QK;
                    const uint8_t *qs = w + k0 / 2;
                    for (int j = 0; j < 16; j++) {
                        const int lo = qs[j] & 15, hi = qs[j] >> 4;
                        isum += (asym ? lo : lo - 8) * (int32_t)x[k0 + j];
                        isum += (asym ? hi : hi - 8) * (int32_t)x[k0 + j + 16];
                        xsum += x[k0 + j] + x[k0 + j + 16];
                    }
                }
                if (asym) {
                    const int32_t xs = a->x_sums ? a->x_sums[(size_t)n * ng + g] : xsum;
                    isum -= (int32_t)a->w_zeros[(size_t)m * ng + g] * xs;
                }
                acc = fmaf((float)isum, a->w_scales[(size_t)m * ng + g] * a->x_scales[n], acc);
            }
            *qb_y_at(a, n, m) = acc;
        }
    }
}

void qb_gemm_i4_gN_i8_pt_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_x4_gn_scalar(a, m0, m1, 0); }
void qb_gemm_u4_gN_i8_pt_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_x4_gn_scalar(a, m0, m1, 1); }

/* ---------------------------------------------------------------- float matrix kernels (f32 accumulation, k order) */

void qb_gemm_f32_f32_scalar(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++) {
        const float *x = (const float *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const float *w = (const float *)qb_w_row(a, m);
            float acc = 0.0f;
            for (int k = 0; k < a->K; k++) acc = acc + w[k] * x[k];
            *qb_y_at(a, n, m) = acc;
        }
    }
}

void qb_gemm_f16_f32_scalar(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++) {
        const float *x = (const float *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const uint16_t *w = (const uint16_t *)qb_w_row(a, m);
            float acc = 0.0f;
            for (int k = 0; k < a->K; k++) acc = acc + qb_f16_to_f32(w[k]) * x[k];
            *qb_y_at(a, n, m) = acc;
        }
    }
}

void qb_gemm_bf16_bf16_scalar(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++) {
        const uint16_t *x = (const uint16_t *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const uint16_t *w = (const uint16_t *)qb_w_row(a, m);
            float acc = 0.0f;
            for (int k = 0; k < a->K; k++) acc = acc + qb_bf16_to_f32(w[k]) * qb_bf16_to_f32(x[k]);
            *qb_y_at(a, n, m) = acc;
        }
    }
}

void qb_gemm_bf16_f32_scalar(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++) {
        const float *x = (const float *)qb_x_row(a, n);
        for (int m = m0; m < m1; m++) {
            const uint16_t *w = (const uint16_t *)qb_w_row(a, m);
            float acc = 0.0f;
            for (int k = 0; k < a->K; k++) acc = acc + qb_bf16_to_f32(w[k]) * x[k];
            *qb_y_at(a, n, m) = acc;
        }
    }
}

/* gemv is the N = 1 case of the same loops; separate names keep the registry's op column honest. */
#define QB_GEMV_ALIAS(w, x)                                                                  \
    void qb_gemv_##w##_##x##_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_##w##_##x##_scalar(a, m0, m1); }
QB_GEMV_ALIAS(q8_0, q8_0)
QB_GEMV_ALIAS(q4_0, q8_0)
QB_GEMV_ALIAS(q4_1, q8_1)
QB_GEMV_ALIAS(i8_pc, i8_pt)
QB_GEMV_ALIAS(i4_gN, i8_pt)
QB_GEMV_ALIAS(u4_gN, i8_pt)
QB_GEMV_ALIAS(f32, f32)
QB_GEMV_ALIAS(f16, f32)
QB_GEMV_ALIAS(bf16, bf16)
QB_GEMV_ALIAS(bf16, f32)

/* ---- the shared conversion helpers, exported for exhaustive tests (qbench_kernels.h) ---- */
float qb_ref_f16_to_f32(uint16_t h) { return qb_f16_to_f32(h); }
uint16_t qb_ref_f32_to_f16(float f) { return qb_f32_to_f16(f); }
float qb_ref_bf16_to_f32(uint16_t h) { return qb_bf16_to_f32(h); }
uint16_t qb_ref_f32_to_bf16(float f) { return qb_f32_to_bf16(f); }
