// bf16 weights with bf16 activations on FEAT_BF16: bfdot for gemv (pairs of products into f32 lanes),
// bfmmla for gemm (2x4 by 4x2 bf16 tiles into 2x2 f32), and bfcvtn for the activation quantizer.
// bfdot/bfmmla sum inside the instruction with their own rounding (round-to-odd intermediates, flushed
// denormals on cores without FEAT_EBF16), so results match the f32 reference to a tolerance, not bits.
// Requires "asimd,bf16".
#if defined(__aarch64__)
#include "arm_common.h"

QB_ARM_NO_CONTRACT

static inline float bf16_to_f32(const uint16_t *p) {
    const uint32_t u = (uint32_t)*p << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

QB_ARM_INLINE QB_ARM_BF16 float32x4_t tail_rows(float32x4_t acc, const uint16_t *const wr[4], const uint16_t *x,
                                                int k0, int K) {
    float out[4];
    vst1q_f32(out, acc);
    for (int i = 0; i < 4; i++)
        for (int k = k0; k < K; k++) out[i] += bf16_to_f32(wr[i] + k) * bf16_to_f32(x + k);
    return vld1q_f32(out);
}

/// gemv: 4 weight rows per activation row, 8 k per bfdot.
QB_ARM_BF16 void qb_gemv_bf16_bf16_neon_bf16(const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, K8 = K & ~7;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;
    for (int n = 0; n < a->N; n++) {
        const uint16_t *x = (const uint16_t *)(X + (size_t)n * a->x_stride);
        for (int m = m0; m < m1; m += 4) {
            const uint16_t *wr[4];
            for (int i = 0; i < 4; i++) wr[i] = (const uint16_t *)(W + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride);
            float32x4_t acc[4];
            for (int i = 0; i < 4; i++) acc[i] = vdupq_n_f32(0.0f);
            for (int k = 0; k < K8; k += 8) {
                const bfloat16x8_t xv = vld1q_bf16((const bfloat16_t *)(x + k));
                for (int i = 0; i < 4; i++)
                    acc[i] = vbfdotq_f32(acc[i], vld1q_bf16((const bfloat16_t *)(wr[i] + k)), xv);
            }
            float out[4];
            vst1q_f32(out, tail_rows(qb_arm_hsum4_f32(acc[0], acc[1], acc[2], acc[3]), wr, x, K8, K));
            float *y = a->y + (size_t)n * a->ldy;
            for (int i = 0; i < 4 && m + i < m1; i++) y[m + i] = out[i];
        }
    }
}

QB_ARM_INLINE QB_ARM_BF16 bfloat16x8_t zlo_bf(bfloat16x8_t a, bfloat16x8_t b) {
    return vreinterpretq_bf16_u64(vzip1q_u64(vreinterpretq_u64_bf16(a), vreinterpretq_u64_bf16(b)));
}
QB_ARM_INLINE QB_ARM_BF16 bfloat16x8_t zhi_bf(bfloat16x8_t a, bfloat16x8_t b) {
    return vreinterpretq_bf16_u64(vzip2q_u64(vreinterpretq_u64_bf16(a), vreinterpretq_u64_bf16(b)));
}

/// gemm: 4 weight rows by 4 activation rows as 2x2 bfmmla tiles; lanes (2p,2q) (2p,2q+1) (2p+1,2q) (2p+1,2q+1).
QB_ARM_BF16 void qb_gemm_bf16_bf16_neon_bf16(const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, K8 = K & ~7;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;
    for (int n = 0; n < a->N; n += 4) {
        const uint16_t *xr[4];
        for (int j = 0; j < 4; j++) xr[j] = (const uint16_t *)(X + (size_t)qb_arm_min(n + j, a->N - 1) * a->x_stride);
        for (int m = m0; m < m1; m += 4) {
            const uint16_t *wr[4];
            for (int i = 0; i < 4; i++) wr[i] = (const uint16_t *)(W + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride);
            float32x4_t acc[2][2];
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++) acc[p][q] = vdupq_n_f32(0.0f);
            for (int k = 0; k < K8; k += 8) {
                bfloat16x8_t w[4], x[4];
                for (int i = 0; i < 4; i++) w[i] = vld1q_bf16((const bfloat16_t *)(wr[i] + k));
                for (int j = 0; j < 4; j++) x[j] = vld1q_bf16((const bfloat16_t *)(xr[j] + k));
                for (int p = 0; p < 2; p++) {
                    const bfloat16x8_t w0 = zlo_bf(w[2 * p], w[2 * p + 1]), w1 = zhi_bf(w[2 * p], w[2 * p + 1]);
                    for (int q = 0; q < 2; q++) {
                        acc[p][q] = vbfmmlaq_f32(acc[p][q], w0, zlo_bf(x[2 * q], x[2 * q + 1]));
                        acc[p][q] = vbfmmlaq_f32(acc[p][q], w1, zhi_bf(x[2 * q], x[2 * q + 1]));
                    }
                }
            }
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++) {
                    float out[4];
                    vst1q_f32(out, acc[p][q]);
                    for (int l = 0; l < 4; l++) {
                        const int i = 2 * p + (l >> 1), j = 2 * q + (l & 1);
                        if (m + i >= m1 || n + j >= a->N) continue;
                        float v = out[l];
                        for (int k = K8; k < K; k++) v += bf16_to_f32(wr[i] + k) * bf16_to_f32(xr[j] + k);
                        a->y[(size_t)(n + j) * a->ldy + m + i] = v;
                    }
                }
        }
    }
}

/// f32 -> bf16 with bfcvtn: round to nearest even under the default FPCR, NaN quieted, as the scalar rule.
QB_ARM_BF16 void qb_quantize_row_bf16_neon_bf16(const float *x, void *out, float *scale, int32_t *sums,
                                                int group, int K) {
    (void)scale; (void)sums; (void)group;
    bfloat16_t *h = (bfloat16_t *)out;
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        const bfloat16x8_t v = vcvtq_high_bf16_f32(vcvtq_low_bf16_f32(vld1q_f32(x + k)), vld1q_f32(x + k + 4));
        vst1q_bf16(h + k, v);
    }
    for (; k < K; k++) h[k] = vcvth_bf16_f32(x[k]);
}
#endif
