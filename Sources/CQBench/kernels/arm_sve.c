// Integer kernels on SVE (vector-length agnostic: 128- to 2048-bit vectors), sdot on whole vectors.
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
QB_ARM_INLINE QB_ARM_SVE void sv_group_dots(const int fmt, const int NR, const uint8_t *wrow, const uint8_t *const xr[4],
                                            size_t b0, int nsub, int32_t isum[4], int32_t xsum[4], int want_xsum) {
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
                    if (fmt == QF_Q4_1) acc[j] = fmaf(wm, qb_arm_f16(xr[j] + (size_t)g * xb + offsetof(qb_block_q8_1, s)), acc[j]);
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
    QB_ARM_SVE void qb_##op##_q8_0_q8_0_sve(const qb_mat_args *a, int m0, int m1) { sv_block_kernel(QF_Q8_0, NR, a, m0, m1); } \
    QB_ARM_SVE void qb_##op##_q4_0_q8_0_sve(const qb_mat_args *a, int m0, int m1) { sv_block_kernel(QF_Q4_0, NR, a, m0, m1); } \
    QB_ARM_SVE void qb_##op##_q4_1_q8_1_sve(const qb_mat_args *a, int m0, int m1) { sv_block_kernel(QF_Q4_1, NR, a, m0, m1); } \
    QB_ARM_SVE void qb_##op##_i4_g32_i8_pt_sve(const qb_mat_args *a, int m0, int m1) { sv_block_kernel(QF_I4, NR, a, m0, m1); } \
    QB_ARM_SVE void qb_##op##_u4_g32_i8_pt_sve(const qb_mat_args *a, int m0, int m1) { sv_block_kernel(QF_U4, NR, a, m0, m1); } \
    QB_ARM_SVE void qb_##op##_i8_pc_i8_pt_sve(const qb_mat_args *a, int m0, int m1) { sv_i8pc_kernel(NR, a, m0, m1); }

QB_SV_DEFINE(gemv, 1)
QB_SV_DEFINE(gemm, 4)
#endif
