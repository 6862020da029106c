// The NEON k-quant and q5_0 kernels, written once and stamped out per dot-product instruction; included by
// arm_kquant.c (twice: baseline widening multiply + pairwise add, and sdot) with:
//   QB_V            variant token in the exported names (neon, neon_dotprod)
//   QB_VATTR        target attribute of every function here
//   QB_DOT16(c,a,b) c + the four 4-element dot products of int8x16 a and b, as int32x4
// Tiles are 4 weight rows (the lanes of the f32 accumulator) by NR activation rows; row and activation tails reuse
// the last valid row (computed, not stored). Each row keeps an int32x4 of partial sums per super-block: the
// sub-blocks' dot products (QB_DOT16 into zero), pairwise-reduced so that each lane holds parts of one sub-block
// only, times a vector of the matching integer scales (vmla; scales widened once per super-block), so the lanes
// add up to exactly the scalar isum (integer sums, any order); one pairwise reduction of 4 rows per super-block,
// then the scalar epilogue lane-wise.

/// q4_k / q5_k x q8_k: isum = sum_j sc_j * dot_j over 8 sub-blocks of 32, msum = sum_j m_j * bsum32_j.
QB_ARM_INLINE QB_VATTR void KQ_FN(kq_q45k)(const int five, const int NR, const qb_mat_args *a, int m0, int m1) {
    if (!kq_begin(a, m0, m1, QB_QKK)) return;
    const int nb = a->K / QB_QKK;
    const size_t bb = five ? sizeof(qb_block_q5_k) : sizeof(qb_block_q4_k);
    const size_t qso = five ? offsetof(qb_block_q5_k, qs) : offsetof(qb_block_q4_k, qs);
    for (int n = 0; n < a->N; n += NR) {
        const uint8_t *xr[NR];
        for (int j = 0; j < NR; j++) xr[j] = (const uint8_t *)a->x + (size_t)qb_arm_min(n + j, a->N - 1) * a->x_stride;
        for (int m = m0; m < m1; m += 4) {
            const uint8_t *wr[4];
            for (int i = 0; i < 4; i++) wr[i] = (const uint8_t *)a->w + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride;
            float32x4_t acc[NR];
            for (int j = 0; j < NR; j++) acc[j] = vdupq_n_f32(0.0f);
            for (int b = 0; b < nb; b++) {
                const uint8_t *w[4], *qh[4];
                uint8_t sc[4][8], mn[4][8];
                int32x4_t scv[4][4];
                for (int i = 0; i < 4; i++) {
                    w[i] = wr[i] + (size_t)b * bb;
                    qh[i] = five ? w[i] + offsetof(qb_block_q5_k, qh) : NULL;
                    kq_scales_k4(w[i] + offsetof(qb_block_q4_k, scales), sc[i], mn[i]);
                    kq_scales_pairs(sc[i], scv[i]);
                }
                const qb_block_q8_k *x[NR];
                int32x4_t is[NR][4];
                for (int j = 0; j < NR; j++) {
                    x[j] = (const qb_block_q8_k *)(xr[j] + (size_t)b * sizeof(qb_block_q8_k));
                    for (int i = 0; i < 4; i++) is[j][i] = vdupq_n_s32(0);
                }
                for (int p = 0; p < 4; p++) { // sub-blocks 2p (low nibbles) and 2p+1 (high) share 32 bytes
                    int8x16_t q[4][4];
                    for (int i = 0; i < 4; i++) {
                        q[i][0] = kq_q45_vec(w[i] + qso, qh[i], 2 * p, 0);
                        q[i][1] = kq_q45_vec(w[i] + qso, qh[i], 2 * p, 1);
                        q[i][2] = kq_q45_vec(w[i] + qso, qh[i], 2 * p + 1, 0);
                        q[i][3] = kq_q45_vec(w[i] + qso, qh[i], 2 * p + 1, 1);
                    }
                    for (int j = 0; j < NR; j++) {
                        const int8_t *xq = x[j]->qs + 64 * p;
                        const int8x16_t x0 = vld1q_s8(xq), x1 = vld1q_s8(xq + 16);
                        const int8x16_t x2 = vld1q_s8(xq + 32), x3 = vld1q_s8(xq + 48);
                        for (int i = 0; i < 4; i++) {
                            const int32x4_t d0 = QB_DOT16(QB_DOT16(vdupq_n_s32(0), q[i][0], x0), q[i][1], x1);
                            const int32x4_t d1 = QB_DOT16(QB_DOT16(vdupq_n_s32(0), q[i][2], x2), q[i][3], x3);
                            is[j][i] = vmlaq_s32(is[j][i], vpaddq_s32(d0, d1), scv[i][p]);
                        }
                    }
                }
                const float32x4_t d4 = qb_arm_f16x4(w[0], w[1], w[2], w[3]);
                const float32x4_t dm4 = qb_arm_f16x4(w[0] + 2, w[1] + 2, w[2] + 2, w[3] + 2);
                for (int j = 0; j < NR; j++) {
                    const int16x8_t bs = kq_bsums32(x[j]);
                    const int32x4_t isum = qb_arm_hsum4_s32(is[j][0], is[j][1], is[j][2], is[j][3]);
                    const int32x4_t msum = qb_arm_hsum4_s32(kq_mins_dot(mn[0], bs), kq_mins_dot(mn[1], bs),
                                                            kq_mins_dot(mn[2], bs), kq_mins_dot(mn[3], bs));
                    const float dx = x[j]->d;
                    acc[j] = vfmaq_f32(acc[j], vcvtq_f32_s32(vnegq_s32(msum)), vmulq_n_f32(dm4, dx));
                    acc[j] = vfmaq_f32(acc[j], vcvtq_f32_s32(isum), vmulq_n_f32(d4, dx));
                }
            }
            for (int j = 0; j < NR && n + j < a->N; j++) kq_store4(a, acc[j], n + j, m, m1);
        }
    }
}

/// q6_k x q8_k: isum = sum_j scales_j * dot_j over 16 sub-blocks of 16 (quants q - 32).
QB_ARM_INLINE QB_VATTR void KQ_FN(kq_q6k)(const int NR, const qb_mat_args *a, int m0, int m1) {
    if (!kq_begin(a, m0, m1, QB_QKK)) return;
    const int nb = a->K / QB_QKK;
    for (int n = 0; n < a->N; n += NR) {
        const uint8_t *xr[NR];
        for (int j = 0; j < NR; j++) xr[j] = (const uint8_t *)a->x + (size_t)qb_arm_min(n + j, a->N - 1) * a->x_stride;
        for (int m = m0; m < m1; m += 4) {
            const uint8_t *wr[4];
            for (int i = 0; i < 4; i++) wr[i] = (const uint8_t *)a->w + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride;
            float32x4_t acc[NR];
            for (int j = 0; j < NR; j++) acc[j] = vdupq_n_f32(0.0f);
            for (int b = 0; b < nb; b++) {
                const uint8_t *w[4];
                int32x4_t scv[4][4];
                for (int i = 0; i < 4; i++) {
                    w[i] = wr[i] + (size_t)b * sizeof(qb_block_q6_k);
                    kq_scales_q6((const int8_t *)(w[i] + offsetof(qb_block_q6_k, scales)), scv[i]);
                }
                const qb_block_q8_k *x[NR];
                int32x4_t is[NR][4];
                for (int j = 0; j < NR; j++) {
                    x[j] = (const qb_block_q8_k *)(xr[j] + (size_t)b * sizeof(qb_block_q8_k));
                    for (int i = 0; i < 4; i++) is[j][i] = vdupq_n_s32(0);
                }
                for (int hc = 0; hc < 4; hc++) { // half h, ql bytes 32c..: sub-blocks 8h+2c, +1 and 8h+2c+4, +5
                    const int h = hc >> 1, c = hc & 1, s0 = 8 * h + 2 * c; // scv[i][hc] matches that order
                    int8x16_t q[4][4];
                    for (int i = 0; i < 4; i++) kq_q6_quad(w[i], h, c, q[i]);
                    for (int j = 0; j < NR; j++) {
                        const int8_t *xq = x[j]->qs + 16 * s0;
                        const int8x16_t x0 = vld1q_s8(xq), x1 = vld1q_s8(xq + 16);
                        const int8x16_t x2 = vld1q_s8(xq + 64), x3 = vld1q_s8(xq + 80);
                        for (int i = 0; i < 4; i++) {
                            const int32x4_t d = qb_arm_hsum4_s32(
                                QB_DOT16(vdupq_n_s32(0), q[i][0], x0), QB_DOT16(vdupq_n_s32(0), q[i][1], x1),
                                QB_DOT16(vdupq_n_s32(0), q[i][2], x2), QB_DOT16(vdupq_n_s32(0), q[i][3], x3));
                            is[j][i] = vmlaq_s32(is[j][i], d, scv[i][hc]); // lane k: sub-block dot k times its scale
                        }
                    }
                }
                const size_t od = offsetof(qb_block_q6_k, d);
                const float32x4_t d4 = qb_arm_f16x4(w[0] + od, w[1] + od, w[2] + od, w[3] + od);
                for (int j = 0; j < NR; j++) {
                    const int32x4_t isum = qb_arm_hsum4_s32(is[j][0], is[j][1], is[j][2], is[j][3]);
                    acc[j] = vfmaq_f32(acc[j], vcvtq_f32_s32(isum), vmulq_n_f32(d4, x[j]->d));
                }
            }
            for (int j = 0; j < NR && n + j < a->N; j++) kq_store4(a, acc[j], n + j, m, m1);
        }
    }
}

/// q5_0 x q8_0: the int32 of each block of 32 (q - 16 by x), then acc = fma(isum, dw*dx, acc) per block.
QB_ARM_INLINE QB_VATTR void KQ_FN(kq_q50)(const int NR, const qb_mat_args *a, int m0, int m1) {
    if (!kq_begin(a, m0, m1, QB_QK)) return;
    const int nb = a->K / QB_QK;
    for (int n = 0; n < a->N; n += NR) {
        const uint8_t *xr[NR];
        for (int j = 0; j < NR; j++) xr[j] = (const uint8_t *)a->x + (size_t)qb_arm_min(n + j, a->N - 1) * a->x_stride;
        for (int m = m0; m < m1; m += 4) {
            const uint8_t *wr[4];
            for (int i = 0; i < 4; i++) wr[i] = (const uint8_t *)a->w + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride;
            float32x4_t acc[NR];
            for (int j = 0; j < NR; j++) acc[j] = vdupq_n_f32(0.0f);
            for (int b = 0; b < nb; b++) {
                const uint8_t *w[4];
                int8x16_t lo[4], hi[4];
                for (int i = 0; i < 4; i++) {
                    w[i] = wr[i] + (size_t)b * sizeof(qb_block_q5_0);
                    kq_q50_decode(w[i], &lo[i], &hi[i]);
                }
                const float32x4_t dw4 = qb_arm_f16x4(w[0], w[1], w[2], w[3]);
                for (int j = 0; j < NR; j++) {
                    const uint8_t *xb = xr[j] + (size_t)b * sizeof(qb_block_q8_0);
                    const int8_t *xq = (const int8_t *)xb + offsetof(qb_block_q8_0, qs);
                    const int8x16_t x0 = vld1q_s8(xq), x1 = vld1q_s8(xq + 16);
                    int32x4_t p[4];
                    for (int i = 0; i < 4; i++) p[i] = QB_DOT16(QB_DOT16(vdupq_n_s32(0), lo[i], x0), hi[i], x1);
                    const int32x4_t isum = qb_arm_hsum4_s32(p[0], p[1], p[2], p[3]);
                    acc[j] = vfmaq_f32(acc[j], vcvtq_f32_s32(isum), vmulq_n_f32(dw4, qb_arm_f16(xb)));
                }
            }
            for (int j = 0; j < NR && n + j < a->N; j++) kq_store4(a, acc[j], n + j, m, m1);
        }
    }
}

// gemv walks one activation row at a time (decode: N = 1); gemm shares each unpacked weight vector across 2.
QB_VATTR void KQ_NAME(gemv, q4_k_q8_k)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q45k)(0, 1, a, m0, m1); }
QB_VATTR void KQ_NAME(gemm, q4_k_q8_k)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q45k)(0, 2, a, m0, m1); }
QB_VATTR void KQ_NAME(gemv, q5_k_q8_k)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q45k)(1, 1, a, m0, m1); }
QB_VATTR void KQ_NAME(gemm, q5_k_q8_k)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q45k)(1, 2, a, m0, m1); }
QB_VATTR void KQ_NAME(gemv, q6_k_q8_k)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q6k)(1, a, m0, m1); }
QB_VATTR void KQ_NAME(gemm, q6_k_q8_k)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q6k)(2, a, m0, m1); }
QB_VATTR void KQ_NAME(gemv, q5_0_q8_0)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q50)(1, a, m0, m1); }
QB_VATTR void KQ_NAME(gemm, q5_0_q8_0)(const qb_mat_args *a, int m0, int m1) { KQ_FN(kq_q50)(2, a, m0, m1); }
