// The scalar reference for ggml's 256-element k-quants (q4_k, q5_k, q6_k, with q8_k activations) and for q5_0
// (with q8_0 activations), and the q8_k activation routine. Same rules as scalar.c: clarity over speed, blocks in
// increasing k, the epilogue exactly as qbench_kernels.h states it.
#include <math.h>
#include <string.h>

#include "qb_ref.h"
#include "qb_protos.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif

_Static_assert(sizeof(qb_block_q5_0) == 22, "q5_0 block");
_Static_assert(sizeof(qb_block_q4_k) == 144, "q4_k block");
_Static_assert(sizeof(qb_block_q5_k) == 176, "q5_k block");
_Static_assert(sizeof(qb_block_q6_k) == 210, "q6_k block");
_Static_assert(sizeof(qb_block_q8_k) == 292, "q8_k block");

/// ggml's nearest_int: round to nearest, ties to even, for |v| < 2^22 (the 1.5*2^23 trick).
static inline int qb_nearest_int(float v) {
    const float t = v + 12582912.0f;
    return (int)(qb_f32_bits(t) & 0x7fffffu) - 0x400000;
}

/// q8_k as ggml's quantize_row_q8_K_ref writes it: the element of largest magnitude maps to -127 (its sign
/// kept in d), every other q = nearest_int(-127/max * x) capped at 127, and per-16 sums of q. An all-zero block
/// has d = 0, q = 0 and zero sums. Elements past K (K not a multiple of 256) are taken as 0.
void qb_quantize_row_q8_k_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    qb_block_q8_k *y = (qb_block_q8_k *)out;
    const int nb = (K + QB_QKK - 1) / QB_QKK;
    for (int b = 0; b < nb; b++) {
        float v[QB_QKK];
        for (int j = 0; j < QB_QKK; j++) v[j] = b * QB_QKK + j < K ? x[b * QB_QKK + j] : 0.0f;
        float vmax = 0.0f, amax = 0.0f;
        for (int j = 0; j < QB_QKK; j++) {
            const float ax = fabsf(v[j]);
            if (ax > amax) { amax = ax; vmax = v[j]; }
        }
        if (amax == 0.0f) {
            y[b].d = 0.0f;
            memset(y[b].qs, 0, sizeof y[b].qs);
        } else {
            const float iscale = -127.0f / vmax;
            for (int j = 0; j < QB_QKK; j++) {
                const int q = qb_nearest_int(iscale * v[j]);
                y[b].qs[j] = (int8_t)(q < 127 ? q : 127);
            }
            y[b].d = 1.0f / iscale;
        }
        for (int j = 0; j < QB_QKK / 16; j++) {
            int s = 0;
            for (int i = 0; i < 16; i++) s += y[b].qs[16 * j + i];
            y[b].bsums[j] = (int16_t)s;
        }
    }
}

/* ---------------------------------------------------------------- weights */

static const uint8_t *qb_kw_row(const qb_mat_args *a, int m) {
    return (const uint8_t *)a->w + (size_t)m * a->w_stride;
}
static const uint8_t *qb_kx_row(const qb_mat_args *a, int n) {
    return (const uint8_t *)a->x + (size_t)n * a->x_stride;
}

/// q4_k/q5_k: isum = sum_j sc_j * dot_j over the 8 sub-blocks of 32 (unsigned quants), msum = sum_j m_j * (the
/// activation sum of sub-block j, two bsums), both exact int32; then
/// acc = fmaf((float)isum, d * dx, fmaf((float)-msum, dmin * dx, acc)).
static void qb_gemm_q45k_scalar(const qb_mat_args *a, int m0, int m1, int five) {
    if (a->K % QB_QKK != 0) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QKK;
    const size_t bb = five ? sizeof(qb_block_q5_k) : sizeof(qb_block_q4_k);
    for (int n = 0; n < a->N; n++) {
        const qb_block_q8_k *x = (const qb_block_q8_k *)qb_kx_row(a, n);
        for (int m = m0; m < m1; m++) {
            const uint8_t *row = qb_kw_row(a, m);
            float acc = 0.0f;
            for (int b = 0; b < nb; b++) {
                const uint8_t *blk = row + (size_t)b * bb;
                /* q4_k and q5_k share the head {d, dmin, scales[12]}; q5_k then has qh[32] before qs[128] */
                const uint8_t *sc = blk + 4, *qh = blk + 16, *qs = blk + (five ? 48 : 16);
                int32_t isum = 0, msum = 0;
                for (int j = 0; j < 8; j++) {
                    uint8_t s, mn;
                    qb_scale_min_k4(j, sc, &s, &mn);
                    int32_t dot = 0;
                    for (int l = 0; l < 32; l++) {
                        const uint8_t byte = qs[32 * (j / 2) + l];
                        int q = (j & 1) ? byte >> 4 : byte & 15;
                        if (five && (qh[l] >> j) & 1) q += 16;
                        dot += q * (int32_t)x[b].qs[32 * j + l];
                    }
                    isum += (int32_t)s * dot;
                    msum += (int32_t)mn * ((int32_t)x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
                }
                const float d = qb_load_f16(blk), dmin = qb_load_f16(blk + 2);
                acc = fmaf((float)isum, d * x[b].d, fmaf((float)-msum, dmin * x[b].d, acc));
            }
            a->y[(size_t)n * a->ldy + m] = acc;
        }
    }
}

void qb_gemm_q4_k_q8_k_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_q45k_scalar(a, m0, m1, 0); }
void qb_gemm_q5_k_q8_k_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_q45k_scalar(a, m0, m1, 1); }

/// q6_k: q = (4 bits of ql | 2 bits of qh << 4) - 32; isum = sum over the 16 sub-blocks of 16 of sc_j * dot_j
/// (exact int32), then acc = fmaf((float)isum, d * dx, acc).
void qb_gemm_q6_k_q8_k_scalar(const qb_mat_args *a, int m0, int m1) {
    if (a->K % QB_QKK != 0) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QKK;
    for (int n = 0; n < a->N; n++) {
        const qb_block_q8_k *x = (const qb_block_q8_k *)qb_kx_row(a, n);
        for (int m = m0; m < m1; m++) {
            const qb_block_q6_k *w = (const qb_block_q6_k *)qb_kw_row(a, m);
            float acc = 0.0f;
            for (int b = 0; b < nb; b++) {
                int8_t q[QB_QKK];
                qb_unpack_q6_k(&w[b], q);
                int32_t isum = 0;
                for (int j = 0; j < 16; j++) {
                    int32_t dot = 0;
                    for (int l = 0; l < 16; l++) dot += (int32_t)q[16 * j + l] * x[b].qs[16 * j + l];
                    isum += (int32_t)w[b].scales[j] * dot;
                }
                acc = fmaf((float)isum, qb_f16_to_f32(w[b].d) * x[b].d, acc);
            }
            a->y[(size_t)n * a->ldy + m] = acc;
        }
    }
}

/// q5_0: q = (nibble | bit of qh << 4) - 16 per element of the block of 32, then as q4_0:
/// acc = fmaf((float)isum, d_w * d_x, acc).
void qb_gemm_q5_0_q8_0_scalar(const qb_mat_args *a, int m0, int m1) {
    if (a->K % QB_QK != 0) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QK;
    for (int n = 0; n < a->N; n++) {
        const qb_block_q8_0 *x = (const qb_block_q8_0 *)qb_kx_row(a, n);
        for (int m = m0; m < m1; m++) {
            const qb_block_q5_0 *w = (const qb_block_q5_0 *)qb_kw_row(a, m);
            float acc = 0.0f;
            for (int b = 0; b < nb; b++) {
                uint32_t qh;
                memcpy(&qh, w[b].qh, 4);
                int32_t isum = 0;
                for (int j = 0; j < 16; j++) {
                    const int lo = (w[b].qs[j] & 15) | (int)(((qh >> j) & 1) << 4);
                    const int hi = (w[b].qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
                    isum += (lo - 16) * (int32_t)x[b].qs[j] + (hi - 16) * (int32_t)x[b].qs[j + 16];
                }
                acc = fmaf((float)isum, qb_f16_to_f32(w[b].d) * qb_f16_to_f32(x[b].d), acc);
            }
            a->y[(size_t)n * a->ldy + m] = acc;
        }
    }
}

void qb_gemv_q4_k_q8_k_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_q4_k_q8_k_scalar(a, m0, m1); }
void qb_gemv_q5_k_q8_k_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_q5_k_q8_k_scalar(a, m0, m1); }
void qb_gemv_q6_k_q8_k_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_q6_k_q8_k_scalar(a, m0, m1); }
void qb_gemv_q5_0_q8_0_scalar(const qb_mat_args *a, int m0, int m1) { qb_gemm_q5_0_q8_0_scalar(a, m0, m1); }
