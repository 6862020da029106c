// AArch64 integer gemm on the int8 matrix-multiply extension (FEAT_I8MM: smmla). smmla multiplies a
// 2x8 by an 8x2 int8 tile into 2x2 int32, so a tile here is 4 weight rows by 4 activation rows (2x2 of
// those), each 32-element block contributing exact int32 sums and then the scalar reference's float
// epilogue lane by lane. Nibble and zero-point formats fit smmla's signed operands because 0..15 is in
// int8 range. Only gemm: with one activation row smmla would waste half its work, and sdot does better.
// Requires "asimd,i8mm" (Neoverse V1/N2, Cortex-A710+, Apple M2+).
#if defined(__aarch64__)
#include "arm_common.h"

QB_ARM_NO_CONTRACT

QB_ARM_INLINE int32x4_t rows_s(int32x4_t v, int p) { return p ? vzip2q_s32(v, v) : vzip1q_s32(v, v); }
QB_ARM_INLINE int32x4_t cols_s(int32x4_t v, int q) {
    return q ? vcombine_s32(vget_high_s32(v), vget_high_s32(v)) : vcombine_s32(vget_low_s32(v), vget_low_s32(v));
}

QB_ARM_INLINE QB_ARM_I8MM void mm_block_kernel(const int fmt, const qb_mat_args *a, int m0, int m1) {
    qf_geom g_;
    if (!qf_begin(fmt, a, m0, m1, &g_)) return;
    const int grouped = g_.grouped, ng = g_.ng, nsub = g_.nsub;
    const size_t wb = g_.wb, wqo = g_.wqo, xb = g_.xb, xqo = g_.xqo;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;

    for (int n = 0; n < a->N; n += 4) {
        const uint8_t *xr[4];
        int nn[4];
        for (int j = 0; j < 4; j++) {
            nn[j] = qb_arm_min(n + j, a->N - 1);
            xr[j] = X + (size_t)nn[j] * a->x_stride;
        }
        for (int m = m0; m < m1; m += 4) {
            const uint8_t *wr[4];
            int mm[4];
            for (int i = 0; i < 4; i++) {
                mm[i] = qb_arm_min(m + i, m1 - 1);
                wr[i] = W + (size_t)mm[i] * a->w_stride;
            }
            float32x4_t acc[2][2];
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++) acc[p][q] = vdupq_n_f32(0.0f);

            for (int g = 0; g < ng; g++) {
                int32x4_t is[2][2];
                int32_t xsum[4] = {0, 0, 0, 0};
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < 2; q++) is[p][q] = vdupq_n_s32(0);
                for (int sb = 0; sb < nsub; sb++) {
                    const size_t b = (size_t)g * nsub + sb;
                    int8x16_t wl[4], wh[4], xl[4], xh[4];
                    for (int i = 0; i < 4; i++) qf_decode_w(fmt, wr[i] + b * wb + wqo, &wl[i], &wh[i]);
                    for (int j = 0; j < 4; j++) {
                        const int8_t *xq = (const int8_t *)(xr[j] + b * xb + xqo);
                        xl[j] = vld1q_s8(xq);
                        xh[j] = vld1q_s8(xq + 16);
                        if (fmt == QF_U4 && a->x_sums == NULL) xsum[j] += vaddlvq_s8(xl[j]) + vaddlvq_s8(xh[j]);
                    }
                    int8x16_t wz[2][4], xz[2][4];
                    for (int p = 0; p < 2; p++) {
                        wz[p][0] = qb_arm_zip_lo(wl[2 * p], wl[2 * p + 1]);
                        wz[p][1] = qb_arm_zip_hi(wl[2 * p], wl[2 * p + 1]);
                        wz[p][2] = qb_arm_zip_lo(wh[2 * p], wh[2 * p + 1]);
                        wz[p][3] = qb_arm_zip_hi(wh[2 * p], wh[2 * p + 1]);
                        xz[p][0] = qb_arm_zip_lo(xl[2 * p], xl[2 * p + 1]);
                        xz[p][1] = qb_arm_zip_hi(xl[2 * p], xl[2 * p + 1]);
                        xz[p][2] = qb_arm_zip_lo(xh[2 * p], xh[2 * p + 1]);
                        xz[p][3] = qb_arm_zip_hi(xh[2 * p], xh[2 * p + 1]);
                    }
                    for (int p = 0; p < 2; p++)
                        for (int q = 0; q < 2; q++)
                            for (int c = 0; c < 4; c++) is[p][q] = vmmlaq_s32(is[p][q], wz[p][c], xz[q][c]);
                }
                float32x4_t wd4, xd4, wm4 = vdupq_n_f32(0.0f), xs4 = vdupq_n_f32(0.0f);
                int32x4_t wz4 = vdupq_n_s32(0), xsum4 = vdupq_n_s32(0);
                if (grouped) {
                    const size_t rs = (size_t)ng;
                    const float ws[4] = {a->w_scales[mm[0] * rs + g], a->w_scales[mm[1] * rs + g],
                                         a->w_scales[mm[2] * rs + g], a->w_scales[mm[3] * rs + g]};
                    const float xs[4] = {a->x_scales[nn[0]], a->x_scales[nn[1]],
                                         a->x_scales[nn[2]], a->x_scales[nn[3]]};
                    wd4 = vld1q_f32(ws);
                    xd4 = vld1q_f32(xs);
                    if (fmt == QF_U4) {
                        const int32_t zs[4] = {a->w_zeros[mm[0] * rs + g], a->w_zeros[mm[1] * rs + g],
                                               a->w_zeros[mm[2] * rs + g], a->w_zeros[mm[3] * rs + g]};
                        wz4 = vld1q_s32(zs);
                        if (a->x_sums)
                            for (int j = 0; j < 4; j++) xsum[j] = a->x_sums[(size_t)nn[j] * ng + g];
                        xsum4 = vld1q_s32(xsum);
                    }
                } else {
                    const size_t o = (size_t)g * wb, ox = (size_t)g * xb;
                    wd4 = qb_arm_f16x4(wr[0] + o, wr[1] + o, wr[2] + o, wr[3] + o);
                    xd4 = qb_arm_f16x4(xr[0] + ox, xr[1] + ox, xr[2] + ox, xr[3] + ox);
                    if (fmt == QF_Q4_1) {
                        const size_t om = o + offsetof(qb_block_q4_1, m), os = ox + offsetof(qb_block_q8_1, s);
                        wm4 = qb_arm_f16x4(wr[0] + om, wr[1] + om, wr[2] + om, wr[3] + om);
                        xs4 = qb_arm_f16x4(xr[0] + os, xr[1] + os, xr[2] + os, xr[3] + os);
                    }
                }
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < 2; q++) {
                        int32x4_t isum = is[p][q];
                        if (fmt == QF_U4) isum = vsubq_s32(isum, vmulq_s32(rows_s(wz4, p), cols_s(xsum4, q)));
                        if (fmt == QF_Q4_1)
                            acc[p][q] = vfmaq_f32(acc[p][q], qb_arm_rows_f(wm4, p), qb_arm_cols_f(xs4, q));
                        acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(isum),
                                              vmulq_f32(qb_arm_rows_f(wd4, p), qb_arm_cols_f(xd4, q)));
                    }
            }
            qb_arm_store_tile(a, acc, m, m1, n);
        }
    }
}

/// i8_pc x i8_pt: exact int32 row sums by smmla over k in 16s (zero-padded tail), then 0 + isum*(sw*sx).
QB_ARM_INLINE QB_ARM_I8MM void mm_i8pc_kernel(const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, K16 = K & ~15, tail = K - K16;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;
    for (int n = 0; n < a->N; n += 4) {
        const int8_t *xr[4];
        int nn[4];
        for (int j = 0; j < 4; j++) {
            nn[j] = qb_arm_min(n + j, a->N - 1);
            xr[j] = (const int8_t *)(X + (size_t)nn[j] * a->x_stride);
        }
        for (int m = m0; m < m1; m += 4) {
            const int8_t *wr[4];
            int mm[4];
            for (int i = 0; i < 4; i++) {
                mm[i] = qb_arm_min(m + i, m1 - 1);
                wr[i] = (const int8_t *)(W + (size_t)mm[i] * a->w_stride);
            }
            int32x4_t is[2][2];
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++) is[p][q] = vdupq_n_s32(0);
            int8_t wt[4][16], xt[4][16];
            const int kend = K16 + (tail ? 16 : 0);
            for (int k = 0; k < kend; k += 16) {
                int8x16_t w[4], x[4];
                if (k < K16) {
                    for (int i = 0; i < 4; i++) w[i] = vld1q_s8(wr[i] + k);
                    for (int j = 0; j < 4; j++) x[j] = vld1q_s8(xr[j] + k);
                } else { // zero-padded copies: the padding multiplies to 0
                    for (int i = 0; i < 4; i++) {
                        memset(wt[i], 0, 16);
                        memcpy(wt[i], wr[i] + k, (size_t)tail);
                        w[i] = vld1q_s8(wt[i]);
                    }
                    for (int j = 0; j < 4; j++) {
                        memset(xt[j], 0, 16);
                        memcpy(xt[j], xr[j] + k, (size_t)tail);
                        x[j] = vld1q_s8(xt[j]);
                    }
                }
                for (int p = 0; p < 2; p++) {
                    const int8x16_t w0 = qb_arm_zip_lo(w[2 * p], w[2 * p + 1]);
                    const int8x16_t w1 = qb_arm_zip_hi(w[2 * p], w[2 * p + 1]);
                    for (int q = 0; q < 2; q++) {
                        is[p][q] = vmmlaq_s32(is[p][q], w0, qb_arm_zip_lo(x[2 * q], x[2 * q + 1]));
                        is[p][q] = vmmlaq_s32(is[p][q], w1, qb_arm_zip_hi(x[2 * q], x[2 * q + 1]));
                    }
                }
            }
            const float ws[4] = {a->w_scales[mm[0]], a->w_scales[mm[1]], a->w_scales[mm[2]], a->w_scales[mm[3]]};
            const float xs[4] = {a->x_scales[nn[0]], a->x_scales[nn[1]], a->x_scales[nn[2]], a->x_scales[nn[3]]};
            const float32x4_t wd4 = vld1q_f32(ws), xd4 = vld1q_f32(xs);
            float32x4_t r[2][2];
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++)
                    r[p][q] = vaddq_f32(vdupq_n_f32(0.0f),
                                        vmulq_f32(vcvtq_f32_s32(is[p][q]),
                                                  vmulq_f32(qb_arm_rows_f(wd4, p), qb_arm_cols_f(xd4, q))));
            qb_arm_store_tile(a, r, m, m1, n);
        }
    }
}

QB_ARM_I8MM void qb_gemm_q8_0_q8_0_neon_i8mm(const qb_mat_args *a, int m0, int m1) {
    mm_block_kernel(QF_Q8_0, a, m0, m1);
}
QB_ARM_I8MM void qb_gemm_q4_0_q8_0_neon_i8mm(const qb_mat_args *a, int m0, int m1) {
    mm_block_kernel(QF_Q4_0, a, m0, m1);
}
QB_ARM_I8MM void qb_gemm_q4_1_q8_1_neon_i8mm(const qb_mat_args *a, int m0, int m1) {
    mm_block_kernel(QF_Q4_1, a, m0, m1);
}
QB_ARM_I8MM void qb_gemm_i4_g32_i8_pt_neon_i8mm(const qb_mat_args *a, int m0, int m1) {
    mm_block_kernel(QF_I4, a, m0, m1);
}
QB_ARM_I8MM void qb_gemm_u4_g32_i8_pt_neon_i8mm(const qb_mat_args *a, int m0, int m1) {
    mm_block_kernel(QF_U4, a, m0, m1);
}
QB_ARM_I8MM void qb_gemm_i8_pc_i8_pt_neon_i8mm(const qb_mat_args *a, int m0, int m1) { mm_i8pc_kernel(a, m0, m1); }
#endif
