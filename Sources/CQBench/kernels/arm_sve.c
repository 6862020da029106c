// Kernels on SVE (vector-length agnostic: 128- to 2048-bit vectors): the integer formats with sdot on whole
// vectors, and the float formats (f32; f16 and bf16 widened to f32) with f32 FMA (end of file).
// A 32-element block is walked in whatever the vector length is (two steps at 128 bits, one at 256,
// one half-used vector beyond), with loads predicated so inactive activation lanes are zero. Each
// group's int32 sum is one svaddv; the float epilogue is the scalar reference's, in increasing k.
// Nibble formats use ld1rq (16 bytes replicated per quadword) and pick low nibbles for elements 0..15,
// high for 16..31, which is the q4_0 order for any vector length.
// Requires "asimd,sve" (Graviton3/Neoverse V1 at 256 bits, Neoverse N2/V2, A64FX at 512).
#if defined(__aarch64__)
#include <math.h>

#include "arm_common.h"
#include <arm_sve.h>

QB_ARM_NO_CONTRACT

/// Weights k in [i, i + VL) of a 32-element block, as int8 (lanes past 32 are don't-care: x is 0 there).
QB_ARM_INLINE QB_ARM_SVE svint8_t sv_decode_w(int fmt, const uint8_t *qs, int i, svbool_t pg) {
    if (fmt == QF_Q8_0) return svld1_s8(pg, (const int8_t *)qs + i);
    const svbool_t all = svptrue_b8();
    const svuint8_t r = svld1rq_u8(all, qs);
    const svuint8_t v = svsel_u8(svwhilelt_b8_s32(i, 16), svand_n_u8_x(all, r, 0x0F), svlsr_n_u8_x(all, r, 4));
    svint8_t s = svreinterpret_s8_u8(v);
    if (fmt == QF_Q4_0 || fmt == QF_I4) s = svsub_n_s8_x(all, s, 8);
    return s;
}

/// Exact int32 sums of one weight row's group against NR (<= 4) activation rows; the weights are decoded
/// once per vector and shared. xsum receives the activations' own sums (for u4 without x_sums).
QB_ARM_INLINE QB_ARM_SVE void sv_group_dots(const int fmt, const int NR, const uint8_t *wrow,
                                            const uint8_t *const xr[4], size_t b0, int nsub, int32_t isum[4],
                                            int32_t xsum[4], int want_xsum) {
    const size_t wb = qf_wblock_bytes(fmt), wqo = qf_wqs_offset(fmt);
    const size_t xb = qf_xblock_bytes(fmt), xqo = qf_xqs_offset(fmt);
    const int vl = (int)svcntb();
    svint32_t a0 = svdup_n_s32(0), a1 = svdup_n_s32(0), a2 = svdup_n_s32(0), a3 = svdup_n_s32(0);
    svint32_t s0 = svdup_n_s32(0), s1 = svdup_n_s32(0), s2 = svdup_n_s32(0), s3 = svdup_n_s32(0);
    const svint8_t ones = svdup_n_s8(1);
    for (int sb = 0; sb < nsub; sb++) {
        const size_t b = b0 + (size_t)sb;
        const uint8_t *wq = wrow + b * wb + wqo;
        for (int i = 0; i < QB_QK; i += vl) {
            const svbool_t pg = svwhilelt_b8_s32(i, QB_QK);
            const svint8_t w = sv_decode_w(fmt, wq, i, pg);
#define QB_SV_ACT(j, acc, sacc)                                                         \
            if (NR > j) {                                                                \
                const svint8_t x = svld1_s8(pg, (const int8_t *)(xr[j] + b * xb + xqo) + i); \
                acc = svdot_s32(acc, w, x);                                              \
                if (want_xsum) sacc = svdot_s32(sacc, ones, x);                          \
            }
            QB_SV_ACT(0, a0, s0)
            QB_SV_ACT(1, a1, s1)
            QB_SV_ACT(2, a2, s2)
            QB_SV_ACT(3, a3, s3)
#undef QB_SV_ACT
        }
    }
    const svbool_t all = svptrue_b32();
    isum[0] = (int32_t)svaddv_s32(all, a0);
    if (NR > 1) isum[1] = (int32_t)svaddv_s32(all, a1);
    if (NR > 2) isum[2] = (int32_t)svaddv_s32(all, a2);
    if (NR > 3) isum[3] = (int32_t)svaddv_s32(all, a3);
    if (want_xsum) {
        xsum[0] = (int32_t)svaddv_s32(all, s0);
        if (NR > 1) xsum[1] = (int32_t)svaddv_s32(all, s1);
        if (NR > 2) xsum[2] = (int32_t)svaddv_s32(all, s2);
        if (NR > 3) xsum[3] = (int32_t)svaddv_s32(all, s3);
    }
}

QB_ARM_INLINE QB_ARM_SVE void sv_block_kernel(const int fmt, const int NR, const qb_mat_args *a, int m0, int m1) {
    qf_geom g_;
    if (!qf_begin(fmt, a, m0, m1, &g_)) return;
    const int grouped = g_.grouped, ng = g_.ng, nsub = g_.nsub;
    const size_t wb = g_.wb, xb = g_.xb;
    const int want_xsum = (fmt == QF_U4 && a->x_sums == NULL);
    for (int n = 0; n < a->N; n += NR) {
        const uint8_t *xr[4];
        int nn[4];
        for (int j = 0; j < 4; j++) {
            nn[j] = qb_arm_min(n + j, a->N - 1);
            xr[j] = (const uint8_t *)a->x + (size_t)nn[j] * a->x_stride;
        }
        for (int m = m0; m < m1; m++) {
            const uint8_t *wrow = (const uint8_t *)a->w + (size_t)m * a->w_stride;
            float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (int g = 0; g < ng; g++) {
                int32_t isum[4] = {0, 0, 0, 0}, xsum[4] = {0, 0, 0, 0};
                sv_group_dots(fmt, NR, wrow, xr, (size_t)g * nsub, nsub, isum, xsum, want_xsum);
                float wd, wm = 0.0f;
                int32_t z = 0;
                if (grouped) {
                    wd = a->w_scales[(size_t)m * ng + g];
                    if (fmt == QF_U4) z = a->w_zeros[(size_t)m * ng + g];
                } else {
                    wd = qb_arm_f16(wrow + (size_t)g * wb);
                    if (fmt == QF_Q4_1) wm = qb_arm_f16(wrow + (size_t)g * wb + offsetof(qb_block_q4_1, m));
                }
                for (int j = 0; j < NR; j++) {
                    int32_t is = isum[j];
                    float xd;
                    if (grouped) {
                        xd = a->x_scales[nn[j]];
                        if (fmt == QF_U4) is -= z * (a->x_sums ? a->x_sums[(size_t)nn[j] * ng + g] : xsum[j]);
                    } else {
                        xd = qb_arm_f16(xr[j] + (size_t)g * xb);
                    }
                    if (fmt == QF_Q4_1)
                        acc[j] = fmaf(wm, qb_arm_f16(xr[j] + (size_t)g * xb + offsetof(qb_block_q8_1, s)), acc[j]);
                    acc[j] = fmaf((float)is, wd * xd, acc[j]);
                }
            }
            for (int j = 0; j < NR && n + j < a->N; j++) a->y[(size_t)(n + j) * a->ldy + m] = acc[j];
        }
    }
}

/// i8_pc x i8_pt: whole (ragged) rows under a whilelt predicate, one svaddv per output.
QB_ARM_INLINE QB_ARM_SVE void sv_i8pc_kernel(const int NR, const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, vl = (int)svcntb();
    for (int n = 0; n < a->N; n += NR) {
        const int8_t *xr[4];
        int nn[4];
        for (int j = 0; j < 4; j++) {
            nn[j] = qb_arm_min(n + j, a->N - 1);
            xr[j] = (const int8_t *)((const uint8_t *)a->x + (size_t)nn[j] * a->x_stride);
        }
        for (int m = m0; m < m1; m++) {
            const int8_t *wr = (const int8_t *)((const uint8_t *)a->w + (size_t)m * a->w_stride);
            svint32_t a0 = svdup_n_s32(0), a1 = svdup_n_s32(0), a2 = svdup_n_s32(0), a3 = svdup_n_s32(0);
            for (int k = 0; k < K; k += vl) {
                const svbool_t pg = svwhilelt_b8_s32(k, K);
                const svint8_t w = svld1_s8(pg, wr + k);
                a0 = svdot_s32(a0, w, svld1_s8(pg, xr[0] + k));
                if (NR > 1) a1 = svdot_s32(a1, w, svld1_s8(pg, xr[1] + k));
                if (NR > 2) a2 = svdot_s32(a2, w, svld1_s8(pg, xr[2] + k));
                if (NR > 3) a3 = svdot_s32(a3, w, svld1_s8(pg, xr[3] + k));
            }
            const svbool_t all = svptrue_b32();
            int32_t isum[4] = {(int32_t)svaddv_s32(all, a0), 0, 0, 0};
            if (NR > 1) isum[1] = (int32_t)svaddv_s32(all, a1);
            if (NR > 2) isum[2] = (int32_t)svaddv_s32(all, a2);
            if (NR > 3) isum[3] = (int32_t)svaddv_s32(all, a3);
            const float wd = a->w_scales[m];
            for (int j = 0; j < NR && n + j < a->N; j++)
                a->y[(size_t)(n + j) * a->ldy + m] = 0.0f + (float)isum[j] * (wd * a->x_scales[nn[j]]);
        }
    }
}

// gemv: one activation row at a time; gemm: each decoded weight vector feeds 4 activation rows.
#define QB_SV_DEFINE(op, NR)                                                                                     \
    QB_ARM_SVE void qb_##op##_q8_0_q8_0_sve(const qb_mat_args *a, int m0, int m1) {                              \
        sv_block_kernel(QF_Q8_0, NR, a, m0, m1);                                                                 \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_q4_0_q8_0_sve(const qb_mat_args *a, int m0, int m1) {                              \
        sv_block_kernel(QF_Q4_0, NR, a, m0, m1);                                                                 \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_q4_1_q8_1_sve(const qb_mat_args *a, int m0, int m1) {                              \
        sv_block_kernel(QF_Q4_1, NR, a, m0, m1);                                                                 \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_i4_g32_i8_pt_sve(const qb_mat_args *a, int m0, int m1) {                           \
        sv_block_kernel(QF_I4, NR, a, m0, m1);                                                                   \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_u4_g32_i8_pt_sve(const qb_mat_args *a, int m0, int m1) {                           \
        sv_block_kernel(QF_U4, NR, a, m0, m1);                                                                   \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_i8_pc_i8_pt_sve(const qb_mat_args *a, int m0, int m1) { sv_i8pc_kernel(NR, a, m0, m1); }

QB_SV_DEFINE(gemv, 1)
QB_SV_DEFINE(gemm, 4)

/* ---------------- float weights: f32, f16 and bf16 widened to f32, f32 FMA ---------------- */

enum { SVT_F32, SVT_F16, SVT_BF16 };

/// Elements [k, k + VL/32) of a float row as f32 under `pg` (inactive lanes 0). f16 and bf16 are loaded one
/// per 32-bit container (ld1h zero-extends), then widened exactly: fcvt takes each container's low half;
/// bf16 is the top half of an f32, so a shift by 16 is the conversion.
QB_ARM_INLINE QB_ARM_SVE svfloat32_t sv_load_f(const int t, svbool_t pg, const void *row, int k) {
    if (t == SVT_F32) return svld1_f32(pg, (const float *)row + k);
    const svuint32_t h = svld1uh_u32(pg, (const uint16_t *)row + k);
    if (t == SVT_F16) return svcvt_f32_f16_z(pg, svreinterpret_f16_u32(h));
    return svreinterpret_f32_u32(svlsl_n_u32_x(pg, h, 16));
}

/// 4 weight rows by NR (<= 4) activation rows, whole (ragged) rows under a whilelt predicate, one f32 FMA
/// per lane and k, then one svaddv per output. The lane-wise sum order differs from the scalar loop, so
/// these are verified with a tolerance (f32 FMA: ~1e-6 of sum|w*x|), not bit for bit. Rows past m1 repeat
/// the last row and are not stored (as the NEON kernel does).
QB_ARM_INLINE QB_ARM_SVE void sv_float_kernel(const int wt, const int xt, const int NR, const qb_mat_args *a,
                                              int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, vl = (int)svcntw();
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;
    for (int n = 0; n < a->N; n += NR) {
        const void *xr[4];
        for (int j = 0; j < 4; j++) xr[j] = X + (size_t)qb_arm_min(n + j, a->N - 1) * a->x_stride;
        for (int m = m0; m < m1; m += 4) {
            const void *wr[4];
            for (int i = 0; i < 4; i++) wr[i] = W + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride;
            /* SVE vectors are sizeless (no arrays of them): the 4 x 4 tile is spelled out. */
            svfloat32_t c00 = svdup_n_f32(0.0f), c01 = c00, c02 = c00, c03 = c00,
                        c10 = c00, c11 = c00, c12 = c00, c13 = c00,
                        c20 = c00, c21 = c00, c22 = c00, c23 = c00,
                        c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            for (int k = 0; k < K; k += vl) {
                const svbool_t pg = svwhilelt_b32_s32(k, K);
                const svfloat32_t w0 = sv_load_f(wt, pg, wr[0], k), w1 = sv_load_f(wt, pg, wr[1], k),
                                  w2 = sv_load_f(wt, pg, wr[2], k), w3 = sv_load_f(wt, pg, wr[3], k);
#define QB_SV_FROW(j, r0, r1, r2, r3)                                   \
                if (NR > j) {                                           \
                    const svfloat32_t x = sv_load_f(xt, pg, xr[j], k);  \
                    r0 = svmla_f32_m(pg, r0, w0, x);                    \
                    r1 = svmla_f32_m(pg, r1, w1, x);                    \
                    r2 = svmla_f32_m(pg, r2, w2, x);                    \
                    r3 = svmla_f32_m(pg, r3, w3, x);                    \
                }
                QB_SV_FROW(0, c00, c01, c02, c03)
                QB_SV_FROW(1, c10, c11, c12, c13)
                QB_SV_FROW(2, c20, c21, c22, c23)
                QB_SV_FROW(3, c30, c31, c32, c33)
#undef QB_SV_FROW
            }
            const svbool_t all = svptrue_b32();
            float out[4][4] = {{svaddv_f32(all, c00), svaddv_f32(all, c01), svaddv_f32(all, c02), svaddv_f32(all, c03)},
                               {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
            if (NR > 1) { out[1][0] = svaddv_f32(all, c10); out[1][1] = svaddv_f32(all, c11);
                          out[1][2] = svaddv_f32(all, c12); out[1][3] = svaddv_f32(all, c13); }
            if (NR > 2) { out[2][0] = svaddv_f32(all, c20); out[2][1] = svaddv_f32(all, c21);
                          out[2][2] = svaddv_f32(all, c22); out[2][3] = svaddv_f32(all, c23); }
            if (NR > 3) { out[3][0] = svaddv_f32(all, c30); out[3][1] = svaddv_f32(all, c31);
                          out[3][2] = svaddv_f32(all, c32); out[3][3] = svaddv_f32(all, c33); }
            for (int j = 0; j < NR && n + j < a->N; j++) {
                float *y = a->y + (size_t)(n + j) * a->ldy;
                for (int i = 0; i < 4 && m + i < m1; i++) y[m + i] = out[j][i];
            }
        }
    }
}

#define QB_SV_FLOAT(op, NR)                                                                                      \
    QB_ARM_SVE void qb_##op##_f32_f32_sve(const qb_mat_args *a, int m0, int m1) {                                \
        sv_float_kernel(SVT_F32, SVT_F32, NR, a, m0, m1);                                                        \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_f16_f32_sve(const qb_mat_args *a, int m0, int m1) {                                \
        sv_float_kernel(SVT_F16, SVT_F32, NR, a, m0, m1);                                                        \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_bf16_f32_sve(const qb_mat_args *a, int m0, int m1) {                               \
        sv_float_kernel(SVT_BF16, SVT_F32, NR, a, m0, m1);                                                       \
    }                                                                                                            \
    QB_ARM_SVE void qb_##op##_bf16_bf16_sve(const qb_mat_args *a, int m0, int m1) {                              \
        sv_float_kernel(SVT_BF16, SVT_BF16, NR, a, m0, m1);                                                      \
    }

QB_SV_FLOAT(gemv, 1)
QB_SV_FLOAT(gemm, 4)
#endif
