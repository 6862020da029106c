// f16 weights with fp16 arithmetic (FEAT_FP16 vector: fmla .8h), the way ggml runs f16 on ARM:
// activations are rounded to fp16 as they are loaded, products accumulate in fp16 for at most 64 k per
// lane, then widen into f32 accumulators. This trades accuracy for twice the lanes of the f32 path
// (qb_gemv_f16_f32_neon): expect relative error up to ~1e-2 of sum|w*x|, and inf if |x| or a 64-term
// partial sum exceeds 65504. Requires "asimd,fphp,asimdhp".
#if defined(__aarch64__)
#include "arm_common.h"

QB_ARM_NO_CONTRACT

enum { QH_CHUNK = 64 }; // k per fp16 accumulation run before widening to f32

QB_ARM_INLINE QB_ARM_FP16 void fp16_kernel(const int NR, const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, K8 = K & ~7;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;
    for (int n = 0; n < a->N; n += NR) {
        const float *xr[NR];
        for (int j = 0; j < NR; j++) xr[j] = (const float *)(X + (size_t)qb_arm_min(n + j, a->N - 1) * a->x_stride);
        for (int m = m0; m < m1; m += 4) {
            const float16_t *wr[4];
            for (int i = 0; i < 4; i++)
                wr[i] = (const float16_t *)(W + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride);
            float32x4_t facc[NR][4];
            for (int j = 0; j < NR; j++)
                for (int i = 0; i < 4; i++) facc[j][i] = vdupq_n_f32(0.0f);
            for (int k0 = 0; k0 < K8; k0 += QH_CHUNK) {
                const int k1 = qb_arm_min(k0 + QH_CHUNK, K8);
                float16x8_t hacc[NR][4];
                for (int j = 0; j < NR; j++)
                    for (int i = 0; i < 4; i++) hacc[j][i] = vdupq_n_f16(0);
                for (int k = k0; k < k1; k += 8) {
                    float16x8_t w[4];
                    for (int i = 0; i < 4; i++) w[i] = vld1q_f16(wr[i] + k);
                    for (int j = 0; j < NR; j++) {
                        const float16x8_t x = vcombine_f16(vcvt_f16_f32(vld1q_f32(xr[j] + k)),
                                                           vcvt_f16_f32(vld1q_f32(xr[j] + k + 4)));
                        for (int i = 0; i < 4; i++) hacc[j][i] = vfmaq_f16(hacc[j][i], w[i], x);
                    }
                }
                for (int j = 0; j < NR; j++)
                    for (int i = 0; i < 4; i++)
                        facc[j][i] = vaddq_f32(vaddq_f32(facc[j][i], vcvt_f32_f16(vget_low_f16(hacc[j][i]))),
                                               vcvt_high_f32_f16(hacc[j][i]));
            }
            for (int j = 0; j < NR; j++) {
                if (n + j >= a->N) break;
                float out[4];
                vst1q_f32(out, qb_arm_hsum4_f32(facc[j][0], facc[j][1], facc[j][2], facc[j][3]));
                for (int i = 0; i < 4; i++)
                    for (int k = K8; k < K; k++) out[i] += qb_arm_f16(wr[i] + k) * xr[j][k];
                float *y = a->y + (size_t)(n + j) * a->ldy;
                for (int i = 0; i < 4 && m + i < m1; i++) y[m + i] = out[i];
            }
        }
    }
}

QB_ARM_FP16 void qb_gemv_f16_f32_neon_fp16(const qb_mat_args *a, int m0, int m1) { fp16_kernel(1, a, m0, m1); }
QB_ARM_FP16 void qb_gemm_f16_f32_neon_fp16(const qb_mat_args *a, int m0, int m1) { fp16_kernel(2, a, m0, m1); }
#endif
