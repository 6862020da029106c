// The x86 k-quant gemm (q4_k, q5_k, q6_k with q8_k activations) over the "kx16" layout (x86_repack.c), stamped out
// per ISA by the including file, after x86_int_template.h (it uses the same qv_* primitives, QV_L and
// qv_dot_small, which must take u8 weights up to 63). Lanes are output rows: per 16-row unit and super-block the
// quants are widened to u8 (q4_k 0..15, q5_k 0..31, q6_k 0..63) 16 rows x 4 bytes at a time, so each sub-block's
// dot product lands whole in a lane; the lane is multiplied by the row's sub-block scale (exact int32), the mins
// term comes from the activation's per-sub-block sums through vpmaddwd, q6_k's offset 32 starts each sub-block's
// accumulator at -32 * sum x. The f32 epilogue is the scalar reference's, per lane, super-block by super-block:
// every entry is bit-exact with scalar_kquant.c. Only gemm uses it: widening more than doubles the bytes a gemv
// would stream (gemv runs the stored blocks, avx2_kquant.c).
#include "qb_kx16.h"

#ifndef QB_KQ_MV
#define QB_KQ_MV 2
#endif
#ifndef QB_KQ_NR
#define QB_KQ_NR 3
#endif

#if QV_L == 16
QB_INLINE qvi kx_madd16(qvi acc, qvi a, qvi b) { return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b)); }
QB_INLINE qvi _qv_add_i32(qvi a, qvi b) { return _mm512_add_epi32(a, b); }
QB_INLINE qvi _qv_sub_i32(qvi a, qvi b) { return _mm512_sub_epi32(a, b); }
#else
QB_INLINE qvi kx_madd16(qvi acc, qvi a, qvi b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
QB_INLINE qvi _qv_add_i32(qvi a, qvi b) { return _mm256_add_epi32(a, b); }
QB_INLINE qvi _qv_sub_i32(qvi a, qvi b) { return _mm256_sub_epi32(a, b); }
#endif

/// MV row vectors x NR activation rows over every super-block. `w[i]` is row vector i's unit, already offset to
/// its half (ymm); `xp[t]` activation row t (q8_k blocks); `mask[i]` the lanes to store.
QB_INLINE void kx_tile(const qb_kx16_geom *G, const int fmt, const int MV, const int NR, const uint8_t *const *w,
                       const uint8_t *const *xp, float *const *yp, const int *row0, const qvm *mask) {
    qvf facc[QB_KQ_MV][QB_KQ_NR];
    for (int i = 0; i < MV; i++)
        for (int t = 0; t < NR; t++) facc[i][t] = qv_zero_ps();
    for (int b = 0; b < G->nb; b++) {
        const uint8_t *xb[QB_KQ_NR];
        /* q4_k/q5_k: the activation sums of sub-blocks 2p and 2p+1 (of 32) as two int16 in one int32, the operand
           vpmaddwd pairs with the row's two mins (int32 storage: qv_bcast4 reads it as int32) */
        int32_t pairs[QB_KQ_NR][4];
        for (int t = 0; t < NR; t++) {
            xb[t] = xp[t] + (size_t)b * sizeof(qb_block_q8_k);
            if (fmt != 6) {
                const qb_block_q8_k *x = (const qb_block_q8_k *)xb[t];
                for (int p = 0; p < 4; p++) {
                    const int lo = x->bsums[4 * p] + x->bsums[4 * p + 1];
                    const int hi = x->bsums[4 * p + 2] + x->bsums[4 * p + 3];
                    pairs[t][p] = (int32_t)(((uint32_t)(uint16_t)hi << 16) | (uint16_t)lo);
                }
            }
        }
        qvi isum[QB_KQ_MV][QB_KQ_NR], msum[QB_KQ_MV][QB_KQ_NR];
        for (int i = 0; i < MV; i++)
            for (int t = 0; t < NR; t++) { isum[i][t] = qv_set1_i32(0); msum[i][t] = qv_set1_i32(0); }
        const uint8_t *sb[QB_KQ_MV];
        for (int i = 0; i < MV; i++) sb[i] = w[i] + (size_t)b * G->sb_bytes;
        for (int j = 0; j < G->nsub; j++) {
            qvi acc[QB_KQ_MV][QB_KQ_NR];
            for (int t = 0; t < NR; t++) {
                const int32_t start = fmt == 6 ? -32 * ((const qb_block_q8_k *)xb[t])->bsums[j] : 0;
                for (int i = 0; i < MV; i++) acc[i][t] = qv_set1_i32(start);
            }
            for (int q = 0; q < G->quads; q++) {
                const int quad = j * G->quads + q;
                qvi wv[QB_KQ_MV];
                for (int i = 0; i < MV; i++) wv[i] = qv_loadw(sb[i] + G->data_off + (size_t)quad * 64);
                for (int t = 0; t < NR; t++) {
                    const qvi xv = qv_bcast4(xb[t] + 4 + quad * 4);
                    for (int i = 0; i < MV; i++) acc[i][t] = qv_dot_small(acc[i][t], wv[i], xv);
                }
            }
            for (int i = 0; i < MV; i++) {
                const qvi sc = qv_loadw(sb[i] + G->sc_off + (size_t)j * 64);
                for (int t = 0; t < NR; t++) isum[i][t] = _qv_add_i32(isum[i][t], qv_mullo(acc[i][t], sc));
            }
        }
        if (fmt != 6) {
            for (int p = 0; p < 4; p++) {
                for (int i = 0; i < MV; i++) {
                    const qvi mn = qv_loadw(sb[i] + G->mn_off + (size_t)p * 64);
                    for (int t = 0; t < NR; t++) msum[i][t] = kx_madd16(msum[i][t], mn, qv_bcast4(&pairs[t][p]));
                }
            }
        }
        for (int i = 0; i < MV; i++) {
            const qvf d = qv_loadf(sb[i]);
            const qvf dmin = fmt != 6 ? qv_loadf(sb[i] + 64) : qv_zero_ps();
            for (int t = 0; t < NR; t++) {
                const qvf dx = qv_set1_ps(((const qb_block_q8_k *)xb[t])->d);
                qvf inner = facc[i][t];
                if (fmt != 6) inner = qv_fma(qv_cvt(_qv_sub_i32(qv_set1_i32(0), msum[i][t])), qv_mul(dmin, dx), inner);
                facc[i][t] = qv_fma(qv_cvt(isum[i][t]), qv_mul(d, dx), inner);
            }
        }
    }
    for (int i = 0; i < MV; i++)
        for (int t = 0; t < NR; t++) qv_maskstore_f(yp[t] + row0[i], mask[i], facc[i][t]);
}

#define KX_CASE(mvc, nrc) kx_tile(&G, fmt, mvc, nrc, w, xp, yp, row0, mask)

QB_INLINE void kx_gemm(const qb_mat_args *a, int m0, int m1, const int fmt) {
    qb_kx16_geom G;
    if (m1 <= m0) return;
    if (a->K == 0) { qb_fill_zero(a, m0, m1); return; } /* the empty sum */
    if (!qb_kx16_geometry(fmt, a->M, a->K, &G)) { qb_fill_nan(a, m0, m1); return; }
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L;
    for (int vr = vr0; vr < vr1; vr += QB_KQ_MV) {
        const int mv = qb_imin(QB_KQ_MV, vr1 - vr);
        const uint8_t *w[QB_KQ_MV];
        int row0[QB_KQ_MV];
        qvm mask[QB_KQ_MV];
        for (int i = 0; i < mv; i++) {
            const int v = vr + i, u = v / QV_HALVES, h = v % QV_HALVES;
            w[i] = (const uint8_t *)a->w + (size_t)u * G.chunk + (size_t)h * (64 / QV_HALVES);
            row0[i] = v * QV_L;
            int lo = qb_imax(m0, row0[i]) - row0[i], hi = qb_imin(qb_imin(m1, a->M), row0[i] + QV_L) - row0[i];
            if (hi < lo) hi = lo;
            mask[i] = qv_mask(lo, hi);
        }
        for (int n0 = 0; n0 < a->N; n0 += QB_KQ_NR) {
            const int nr = qb_imin(QB_KQ_NR, a->N - n0);
            const uint8_t *xp[QB_KQ_NR];
            float *yp[QB_KQ_NR];
            for (int t = 0; t < nr; t++) {
                xp[t] = (const uint8_t *)a->x + (size_t)(n0 + t) * a->x_stride;
                yp[t] = a->y + (size_t)(n0 + t) * a->ldy;
            }
            if (nr == 1) { QB_SW_MV1(KX_CASE, QB_KQ_MV) }
            else { QB_SW_MV_NR(KX_CASE, QB_KQ_MV, QB_KQ_NR) }
        }
    }
}
#undef KX_CASE

void QB_EXPORT(qb_gemm_q4_k_q8_k_)(const qb_mat_args *a, int m0, int m1) { kx_gemm(a, m0, m1, 4); }
void QB_EXPORT(qb_gemm_q5_k_q8_k_)(const qb_mat_args *a, int m0, int m1) { kx_gemm(a, m0, m1, 5); }
void QB_EXPORT(qb_gemm_q6_k_q8_k_)(const qb_mat_args *a, int m0, int m1) { kx_gemm(a, m0, m1, 6); }
