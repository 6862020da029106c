// The NEON integer kernels, written once and stamped out per dot-product instruction. Included by
// arm_neon.c (widening multiply + pairwise add) and arm_dotprod.c (sdot) with:
//   QB_V            variant token in the exported names (neon, neon_dotprod)
//   QB_VATTR        target attribute of every function here
//   QB_DOT16(c,a,b) c + the four 4-element dot products of int8x16 a and b, as int32x4
// Tiles are 4 weight rows by NR activation rows; row and column tails reuse the last valid row
// (computed, not stored) so every output goes through the same lane-wise epilogue.
// Exactness: int32 sums per 32-element block (summed per group), then per output
// acc = fma((float)isum, dw*dx, acc) in increasing k, vectorised across outputs, never across k.

#define QB_CAT_(a, b) a##b
#define QB_CAT(a, b) QB_CAT_(a, b)
#define QB_NAME(op, fmt) QB_CAT(QB_CAT(qb_, op), QB_CAT(_##fmt##_, QB_V))

QB_ARM_INLINE QB_VATTR void qf_block_kernel(const int fmt, const int NR, const qb_mat_args *a, int m0, int m1) {
    qf_geom g_;
    if (!qf_begin(fmt, a, m0, m1, &g_)) return;
    const int grouped = g_.grouped, ng = g_.ng, nsub = g_.nsub;
    const size_t wb = g_.wb, wqo = g_.wqo, xb = g_.xb, xqo = g_.xqo;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;

    for (int n = 0; n < a->N; n += NR) {
        const uint8_t *xr[NR];
        int nn[NR];
        for (int j = 0; j < NR; j++) {
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
            float32x4_t acc[NR];
            for (int j = 0; j < NR; j++) acc[j] = vdupq_n_f32(0.0f);

            for (int g = 0; g < ng; g++) {
                int32x4_t p[NR][4];
                int32_t xsum[NR];
                for (int j = 0; j < NR; j++) {
                    xsum[j] = 0;
                    for (int i = 0; i < 4; i++) p[j][i] = vdupq_n_s32(0);
                }
                for (int sb = 0; sb < nsub; sb++) {
                    const size_t b = (size_t)g * nsub + sb;
                    int8x16_t wl[4], wh[4];
                    for (int i = 0; i < 4; i++) qf_decode_w(fmt, wr[i] + b * wb + wqo, &wl[i], &wh[i]);
                    for (int j = 0; j < NR; j++) {
                        const int8_t *xq = (const int8_t *)(xr[j] + b * xb + xqo);
                        const int8x16_t xl = vld1q_s8(xq), xh = vld1q_s8(xq + 16);
                        if (fmt == QF_U4 && a->x_sums == NULL)
                            xsum[j] += vaddlvq_s8(xl) + vaddlvq_s8(xh);
                        for (int i = 0; i < 4; i++) p[j][i] = QB_DOT16(QB_DOT16(p[j][i], wl[i], xl), wh[i], xh);
                    }
                }
                // Per-row (lane) weight scale, and the format's extra term.
                float32x4_t wd, wm = vdupq_n_f32(0.0f);
                int32x4_t wz = vdupq_n_s32(0);
                if (grouped) {
                    const float *s = a->w_scales + g;
                    const size_t rs = (size_t)ng;
                    const float ws[4] = {s[mm[0] * rs], s[mm[1] * rs], s[mm[2] * rs], s[mm[3] * rs]};
                    wd = vld1q_f32(ws);
                    if (fmt == QF_U4) {
                        const uint8_t *z = a->w_zeros + g;
                        const int32_t zs[4] = {z[mm[0] * rs], z[mm[1] * rs], z[mm[2] * rs], z[mm[3] * rs]};
                        wz = vld1q_s32(zs);
                    }
                } else {
                    const size_t o = (size_t)g * wb;
                    wd = qb_arm_f16x4(wr[0] + o, wr[1] + o, wr[2] + o, wr[3] + o);
                    if (fmt == QF_Q4_1) {
                        const size_t om = o + offsetof(qb_block_q4_1, m);
                        wm = qb_arm_f16x4(wr[0] + om, wr[1] + om, wr[2] + om, wr[3] + om);
                    }
                }
                for (int j = 0; j < NR; j++) {
                    int32x4_t isum = qb_arm_hsum4_s32(p[j][0], p[j][1], p[j][2], p[j][3]);
                    float xd;
                    if (grouped) {
                        xd = a->x_scales[nn[j]];
                        if (fmt == QF_U4) { // sum (q - z) x = sum q x - z sum x, exactly, in int32
                            const int32_t xs = a->x_sums ? a->x_sums[(size_t)nn[j] * ng + g] : xsum[j];
                            isum = vsubq_s32(isum, vmulq_n_s32(wz, xs));
                        }
                    } else {
                        xd = qb_arm_f16(xr[j] + (size_t)g * xb);
                    }
                    if (fmt == QF_Q4_1) // ggml's m*s term first, fused into the accumulator
                        acc[j] = vfmaq_n_f32(acc[j], wm,
                                             qb_arm_f16(xr[j] + (size_t)g * xb + offsetof(qb_block_q8_1, s)));
                    acc[j] = vfmaq_f32(acc[j], vcvtq_f32_s32(isum), vmulq_n_f32(wd, xd));
                }
            }
            for (int j = 0; j < NR; j++) {
                if (n + j >= a->N) break;
                float out[4];
                vst1q_f32(out, acc[j]);
                float *y = a->y + (size_t)(n + j) * a->ldy;
                for (int i = 0; i < 4 && m + i < m1; i++) y[m + i] = out[i];
            }
        }
    }
}

/// i8_pc x i8_pt: one int32 sum over the whole (ragged) row, then y = 0 + (float)isum * (sw*sx).
QB_ARM_INLINE QB_VATTR void qf_i8pc_kernel(const int NR, const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, K16 = K & ~15, tail = K - K16;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;
    for (int n = 0; n < a->N; n += NR) {
        const int8_t *xr[NR];
        int nn[NR];
        for (int j = 0; j < NR; j++) {
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
            int32x4_t p[NR][4];
            for (int j = 0; j < NR; j++)
                for (int i = 0; i < 4; i++) p[j][i] = vdupq_n_s32(0);
            for (int k = 0; k < K16; k += 16) {
                int8x16_t w[4];
                for (int i = 0; i < 4; i++) w[i] = vld1q_s8(wr[i] + k);
                for (int j = 0; j < NR; j++) {
                    const int8x16_t x = vld1q_s8(xr[j] + k);
                    for (int i = 0; i < 4; i++) p[j][i] = QB_DOT16(p[j][i], w[i], x);
                }
            }
            if (tail) { // zero-padded copies: the padding multiplies to 0
                int8_t wt[4][16], xt[16];
                for (int i = 0; i < 4; i++) {
                    memset(wt[i], 0, 16);
                    memcpy(wt[i], wr[i] + K16, (size_t)tail);
                }
                for (int j = 0; j < NR; j++) {
                    memset(xt, 0, 16);
                    memcpy(xt, xr[j] + K16, (size_t)tail);
                    const int8x16_t x = vld1q_s8(xt);
                    for (int i = 0; i < 4; i++) p[j][i] = QB_DOT16(p[j][i], vld1q_s8(wt[i]), x);
                }
            }
            const float ws[4] = {a->w_scales[mm[0]], a->w_scales[mm[1]], a->w_scales[mm[2]], a->w_scales[mm[3]]};
            const float32x4_t wd = vld1q_f32(ws);
            for (int j = 0; j < NR; j++) {
                if (n + j >= a->N) break;
                const int32x4_t isum = qb_arm_hsum4_s32(p[j][0], p[j][1], p[j][2], p[j][3]);
                const float32x4_t r = vaddq_f32(vdupq_n_f32(0.0f),
                                                vmulq_f32(vcvtq_f32_s32(isum), vmulq_n_f32(wd, a->x_scales[nn[j]])));
                float out[4];
                vst1q_f32(out, r);
                float *y = a->y + (size_t)(n + j) * a->ldy;
                for (int i = 0; i < 4 && m + i < m1; i++) y[m + i] = out[i];
            }
        }
    }
}

// gemv walks one activation row at a time (decode: N = 1); gemm shares each decoded weight block
// across 2 activation rows.
#define QB_INT_DEFINE(op, NR)                                                                                      \
    QB_VATTR void QB_NAME(op, q8_0_q8_0)(const qb_mat_args *a, int m0, int m1) {                                   \
        qf_block_kernel(QF_Q8_0, NR, a, m0, m1);                                                                   \
    }                                                                                                              \
    QB_VATTR void QB_NAME(op, q4_0_q8_0)(const qb_mat_args *a, int m0, int m1) {                                   \
        qf_block_kernel(QF_Q4_0, NR, a, m0, m1);                                                                   \
    }                                                                                                              \
    QB_VATTR void QB_NAME(op, q4_1_q8_1)(const qb_mat_args *a, int m0, int m1) {                                   \
        qf_block_kernel(QF_Q4_1, NR, a, m0, m1);                                                                   \
    }                                                                                                              \
    QB_VATTR void QB_NAME(op, i4_g32_i8_pt)(const qb_mat_args *a, int m0, int m1) {                                \
        qf_block_kernel(QF_I4, NR, a, m0, m1);                                                                     \
    }                                                                                                              \
    QB_VATTR void QB_NAME(op, u4_g32_i8_pt)(const qb_mat_args *a, int m0, int m1) {                                \
        qf_block_kernel(QF_U4, NR, a, m0, m1);                                                                     \
    }                                                                                                              \
    QB_VATTR void QB_NAME(op, i8_pc_i8_pt)(const qb_mat_args *a, int m0, int m1) { qf_i8pc_kernel(NR, a, m0, m1); }

QB_INT_DEFINE(gemv, 1)
QB_INT_DEFINE(gemm, 2)
