// The x86 k-quant gemm (q4_k, q5_k, q6_k with q8_k activations) over the "kx16" layout (x86_repack.c), stamped out
// per ISA by the including file, after x86_int_template.h (it uses the same qv_* primitives, QV_L and
// qv_dot_small, which must take u8 up to 31 against s8, and u8 up to 255 against s8 in -32..31). Lanes are output
// rows: per 16-row unit and super-block the quants are widened to bytes (q4_k 0..15, q5_k 0..31, q6_k -32..31)
// 16 rows x 4 bytes at a time, so each sub-block's dot product lands whole in a lane; the lane is multiplied by the
// row's sub-block scale (exact int32: the sum's bytes shuffled to the words {low byte, sum >> 8}, which vpmaddwd /
// vpdpwssd takes against {sc, 256 sc}; one shuffle and one multiply-add where vpmulld is two multiply uops on Intel
// and needs an add), the mins term comes from the activation's per-sub-block sums through vpmaddwd. q6_k swaps the
// operands' signs: its quants are stored signed (q - 32) and the activations are made unsigned (x + 128, one xor per
// 16 bytes of a super-block, into a buffer the tile's rows share), so a sub-block's accumulator starts at zero (a
// zeroing idiom, where a start of -32 * sum x cost a broadcast and a copy per accumulator) and the row's
// 128 * sum_j sc_j sum (q - 32), stored with the weights, comes off once per super-block: the same int32 exactly.
// The f32 epilogue is the scalar reference's, per lane, super-block by super-block: every entry is bit-exact with
// scalar_kquant.c. Only gemm uses it: widening more than doubles the bytes a gemv would stream (gemv runs the stored
// blocks, avx2_kquant.c).
#include "qb_kx16.h"

#ifndef QB_KQ_MV
#define QB_KQ_MV 2
#endif
#ifndef QB_KQ_NR
#define QB_KQ_NR 3
#endif

#if QV_L == 16
QB_INLINE qvi kx_load_i8_i32(const void *p) { return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)); }
QB_INLINE qvi kx_srli16_2(qvi a) { return _mm512_srli_epi16(a, 2); }
QB_INLINE qvi kx_sl16(qvi a, int n) { return _mm512_slli_epi16(a, (unsigned)n); }
QB_INLINE qvi kx_sr16(qvi a, int n) { return _mm512_srli_epi16(a, (unsigned)n); }
/* q6_k kn16: the quant that lines a, b, c carry in their bits 7..6 (low bits in a); 16-bit shifts, the bits they
   pull across bytes masked off. Two bitwise selects (vpternlogd: m ? x : y) and a mask. */
QB_INLINE qvi kx_q6_top(qvi a, qvi b, qvi c) {
    const qvi t = _mm512_ternarylogic_epi32(_mm512_set1_epi8(0x03), _mm512_srli_epi16(a, 6), _mm512_srli_epi16(b, 4),
                                            0xCA);
    const qvi u = _mm512_ternarylogic_epi32(_mm512_set1_epi8(0x0F), t, _mm512_srli_epi16(c, 2), 0xCA);
    return _mm512_and_si512(u, _mm512_set1_epi8(0x3F));
}
QB_INLINE qvi kx_slli16_2(qvi a) { return _mm512_slli_epi16(a, 2); }
QB_INLINE qvi kx_slli16_4(qvi a) { return _mm512_slli_epi16(a, 4); }
QB_INLINE qvi kx_or(qvi a, qvi b) { return _mm512_or_si512(a, b); }
QB_INLINE qvi kx_madd16(qvi acc, qvi a, qvi b) { return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b)); }
QB_INLINE qvi _qv_add_i32(qvi a, qvi b) { return _mm512_add_epi32(a, b); }
QB_INLINE qvi _qv_sub_i32(qvi a, qvi b) { return _mm512_sub_epi32(a, b); }
/* int32 lanes (|a| < 2^23) as two int16 words {a & 255, a >> 8}: a = lo + 256 * hi, so vpmaddwd against the row's
   {sc, 256 sc} gives sc * a exactly */
QB_INLINE qvi kx_split(qvi a) {
    const __m128i c = _mm_setr_epi8(0, -128, 1, 2, 4, -128, 5, 6, 8, -128, 9, 10, 12, -128, 13, 14);
    return _mm512_shuffle_epi8(a, _mm512_broadcast_i32x4(c));
}
#if defined(QB_KX_DPWSSD)
QB_INLINE qvi kx_dotw(qvi acc, qvi a, qvi b) { return _mm512_dpwssd_epi32(acc, a, b); }
#else
QB_INLINE qvi kx_dotw(qvi acc, qvi a, qvi b) { return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b)); }
#endif
#else
QB_INLINE qvi kx_load_i8_i32(const void *p) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)); }
QB_INLINE qvi kx_srli16_2(qvi a) { return _mm256_srli_epi16(a, 2); }
QB_INLINE qvi kx_sl16(qvi a, int n) { return _mm256_slli_epi16(a, n); }
QB_INLINE qvi kx_sr16(qvi a, int n) { return _mm256_srli_epi16(a, n); }
QB_INLINE qvi kx_q6_top(qvi a, qvi b, qvi c) {
    const __m256i lo = _mm256_and_si256(_mm256_srli_epi16(a, 6), _mm256_set1_epi8(0x03));
    const __m256i mid = _mm256_and_si256(_mm256_srli_epi16(b, 4), _mm256_set1_epi8(0x0C));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(c, 2), _mm256_set1_epi8(0x30));
    return _mm256_or_si256(_mm256_or_si256(lo, mid), hi);
}
QB_INLINE qvi kx_slli16_2(qvi a) { return _mm256_slli_epi16(a, 2); }
QB_INLINE qvi kx_slli16_4(qvi a) { return _mm256_slli_epi16(a, 4); }
QB_INLINE qvi kx_or(qvi a, qvi b) { return _mm256_or_si256(a, b); }
QB_INLINE qvi kx_madd16(qvi acc, qvi a, qvi b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
QB_INLINE qvi _qv_add_i32(qvi a, qvi b) { return _mm256_add_epi32(a, b); }
QB_INLINE qvi _qv_sub_i32(qvi a, qvi b) { return _mm256_sub_epi32(a, b); }
QB_INLINE qvi kx_split(qvi a) {
    const __m128i c = _mm_setr_epi8(0, -128, 1, 2, 4, -128, 5, 6, 8, -128, 9, 10, 12, -128, 13, 14);
    return _mm256_shuffle_epi8(a, _mm256_broadcastsi128_si256(c));
}
#if defined(QB_KX_DPWSSD)
QB_INLINE qvi kx_dotw(qvi acc, qvi a, qvi b) { return _mm256_dpwssd_avx_epi32(acc, a, b); }
#else
QB_INLINE qvi kx_dotw(qvi acc, qvi a, qvi b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
#endif
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
        /* q6_k: the super-block's activation quants as u8 (x + 128 = x ^ 0x80) */
        _Alignas(64) uint8_t xu[QB_KQ_NR][QB_QKK];
        for (int t = 0; t < NR; t++) {
            xb[t] = xp[t] + (size_t)b * sizeof(qb_block_q8_k);
            if (fmt == 6) {
                const __m128i flip = _mm_set1_epi8((char)0x80);
                for (int c = 0; c < QB_QKK; c += 16)
                    _mm_store_si128((__m128i *)(xu[t] + c),
                                    _mm_xor_si128(_mm_loadu_si128((const __m128i *)(xb[t] + 4 + c)), flip));
            } else {
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
            for (int t = 0; t < NR; t++)
                for (int i = 0; i < MV; i++) acc[i][t] = qv_set1_i32(0);
            for (int q = 0; q < G->quads; q++) {
                const int quad = j * G->quads + q;
                qvi wv[QB_KQ_MV];
                for (int i = 0; i < MV; i++) wv[i] = qv_loadw(sb[i] + G->data_off + (size_t)quad * 64);
                for (int t = 0; t < NR; t++) {
                    if (fmt == 6) {
                        /* u8 activations x s8 quants */
                        const qvi xv = qv_bcast4(xu[t] + quad * 4);
                        for (int i = 0; i < MV; i++) acc[i][t] = qv_dot_small(acc[i][t], xv, wv[i]);
                    } else {
                        const qvi xv = qv_bcast4(xb[t] + 4 + quad * 4);
                        for (int i = 0; i < MV; i++) acc[i][t] = qv_dot_small(acc[i][t], wv[i], xv);
                    }
                }
            }
            for (int i = 0; i < MV; i++) {
                const qvi sc = qv_loadw(sb[i] + G->sc_off + (size_t)j * 64);
                for (int t = 0; t < NR; t++) isum[i][t] = kx_dotw(isum[i][t], kx_split(acc[i][t]), sc);
            }
        }
        if (fmt == 6) {
            for (int i = 0; i < MV; i++) {
                const qvi corr = qv_loadw(sb[i] + G->corr_off);
                for (int t = 0; t < NR; t++) isum[i][t] = _qv_sub_i32(isum[i][t], corr);
            }
        } else {
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

/* ------------------------------------------------------------------ gemv over kn16 (q4_k, q5_k, q6_k) */

#ifndef QB_KN_MV
#define QB_KN_MV 4
#endif
#ifndef QB_KN_PF
#define QB_KN_PF 2 /* super-blocks ahead each row vector prefetches into L2 */
#endif
#ifndef QB_KN_HINT
#define QB_KN_HINT _MM_HINT_T1
#endif

/// Bit `s` (0..7) of each byte of `h` moved to bit 4, every other bit clear (q5_k's fifth bit; `s` folds to a
/// constant once the pair loop is unrolled).
QB_INLINE qvi kn_bit4(qvi h, int s) {
    const qvi m = qv_set1_i8(0x10);
    return qv_and(s <= 4 ? kx_sl16(h, 4 - s) : kx_sr16(h, s - 4), m);
}

/// One row vector (16 or 8 rows) of a kn16 unit: its super-block records start at `base` (+ the half's offsets).
typedef struct { const uint8_t *base; size_t hd, hf, hb; int row0; qvm mask; } kn_vrow;

/// MV row vectors against one activation row `x` (q8_k), over every super-block; lanes are output rows.
QB_INLINE void kn_tile(const qb_kn16_geom *G, const int fmt, const int MV, const kn_vrow *vv, const uint8_t *x,
                       float *y) {
    qvf facc[QB_KN_MV];
    for (int i = 0; i < MV; i++) facc[i] = qv_zero_ps();
    const qvi m4 = qv_set1_i8(0x0F);
    for (int b = 0; b < G->nb; b++) {
        const qb_block_q8_k *xb = (const qb_block_q8_k *)(x + (size_t)b * sizeof(qb_block_q8_k));
        const uint8_t *qs = (const uint8_t *)xb->qs;
        const uint8_t *sb[QB_KN_MV];
        const uint8_t *pf[QB_KN_MV];
        for (int i = 0; i < MV; i++) {
            sb[i] = vv[i].base + (size_t)b * G->sb_bytes;
            pf[i] = sb[i] + (size_t)QB_KN_PF * G->sb_bytes;
        }
        qvi isum[QB_KN_MV];
        for (int i = 0; i < MV; i++) isum[i] = qv_set1_i32(0);
        if (fmt != 6) {
            qvi msum[QB_KN_MV];
            for (int i = 0; i < MV; i++) msum[i] = qv_set1_i32(0);
            for (int p = 0; p < 4; p++) {
                qvi al[QB_KN_MV], ah[QB_KN_MV];
                for (int i = 0; i < MV; i++) { al[i] = qv_set1_i32(0); ah[i] = qv_set1_i32(0); }
                for (int v = 0; v < 8; v++) {
                    for (int i = 0; i < MV; i++) {
                        _mm_prefetch((const char *)pf[i] + (size_t)(p * 8 + v) * 128, QB_KN_HINT);
                        _mm_prefetch((const char *)pf[i] + (size_t)(p * 8 + v) * 128 + 64, QB_KN_HINT);
                    }
                    const qvi xl = qv_bcast4(qs + 64 * p + 4 * v), xh = qv_bcast4(qs + 64 * p + 32 + 4 * v);
                    for (int i = 0; i < MV; i++) {
                        const qvi raw = qv_loadw(sb[i] + G->ql_off + (size_t)(p * 8 + v) * 64 + vv[i].hd);
                        qvi lo = qv_and(raw, m4), hi = qv_and(qv_srli16_4(raw), m4);
                        if (fmt == 5) { /* element 64p + l's fifth bit is bit 2p of qh[l], 64p + 32 + l's bit 2p+1 */
                            const qvi h = qv_loadw(sb[i] + G->qh_off + (size_t)v * 64 + vv[i].hd);
                            lo = kx_or(lo, kn_bit4(h, 2 * p));
                            hi = kx_or(hi, kn_bit4(h, 2 * p + 1));
                        }
                        al[i] = qv_dot_small(al[i], lo, xl);
                        ah[i] = qv_dot_small(ah[i], hi, xh);
                    }
                }
                for (int i = 0; i < MV; i++) {
                    const uint8_t *sc = sb[i] + G->sc_off + vv[i].hb;
                    isum[i] = _qv_add_i32(isum[i], qv_mullo(al[i], qv_load_u8_i32(sc + (size_t)(2 * p) * 16)));
                    isum[i] = _qv_add_i32(isum[i], qv_mullo(ah[i], qv_load_u8_i32(sc + (size_t)(2 * p + 1) * 16)));
                }
            }
            for (int j = 0; j < 8; j++) {
                const qvi bs = qv_set1_i32(xb->bsums[2 * j] + xb->bsums[2 * j + 1]);
                for (int i = 0; i < MV; i++)
                    msum[i] = _qv_add_i32(
                        msum[i], qv_mullo(qv_load_u8_i32(sb[i] + G->mn_off + vv[i].hb + (size_t)j * 16), bs));
            }
            const qvf dx = qv_set1_ps(xb->d);
            for (int i = 0; i < MV; i++) {
                const qvf d = qv_load_ph(sb[i] + vv[i].hf), dmin = qv_load_ph(sb[i] + 32 + vv[i].hf);
                const qvf inner = qv_fma(qv_cvt(_qv_sub_i32(qv_set1_i32(0), msum[i])), qv_mul(dmin, dx), facc[i]);
                facc[i] = qv_fma(qv_cvt(isum[i]), qv_mul(d, dx), inner);
            }
        } else {
            /* per sub-block j, three lines: quads 0..2 are their bits 5..0, quad 3 gathers their bits 7..6 */
            const qvi m6 = qv_set1_i8(0x3F);
            for (int j = 0; j < 16; j++) {
                const qvi start = qv_set1_i32(-32 * xb->bsums[j]);
                const qvi x0 = qv_bcast4(qs + 16 * j), x1 = qv_bcast4(qs + 16 * j + 4), x2 = qv_bcast4(qs + 16 * j + 8),
                          x3 = qv_bcast4(qs + 16 * j + 12);
                for (int i = 0; i < MV; i++) {
                    for (int l = 0; l < 4; l++)
                        _mm_prefetch((const char *)pf[i] + (size_t)(4 * j + l) * 64, QB_KN_HINT);
                    const uint8_t *d0 = sb[i] + G->ql_off + vv[i].hd + (size_t)(3 * j) * 64;
                    const qvi la = qv_loadw(d0), lb = qv_loadw(d0 + 64), lc = qv_loadw(d0 + 128);
                    const qvi q3 = kx_q6_top(la, lb, lc);
                    qvi acc = qv_dot_small(start, qv_and(la, m6), x0);
                    acc = qv_dot_small(acc, qv_and(lb, m6), x1);
                    acc = qv_dot_small(acc, qv_and(lc, m6), x2);
                    acc = qv_dot_small(acc, q3, x3);
                    isum[i] = _qv_add_i32(isum[i], qv_mullo(acc, kx_load_i8_i32(sb[i] + G->sc_off + vv[i].hb +
                                                                                 (size_t)j * 16)));
                }
            }
            const qvf dx = qv_set1_ps(xb->d);
            for (int i = 0; i < MV; i++)
                facc[i] = qv_fma(qv_cvt(isum[i]), qv_mul(qv_load_ph(sb[i] + vv[i].hf), dx), facc[i]);
        }
    }
    for (int i = 0; i < MV; i++) qv_maskstore_f(y + vv[i].row0, vv[i].mask, facc[i]);
}

#define KN_CASE(mvc, nrc) kn_tile(&G, fmt, mvc, vv, xr, yr)

QB_INLINE void kn_gemv(const qb_mat_args *a, int m0, int m1, const int fmt) {
    qb_kn16_geom G;
    if (m1 <= m0) return;
    if (a->K == 0) { qb_fill_zero(a, m0, m1); return; } /* the empty sum */
    if (!qb_kn16_geometry(fmt, a->M, a->K, &G)) { qb_fill_nan(a, m0, m1); return; }
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L;
    for (int n = 0; n < a->N; n++) {
        const uint8_t *xr = (const uint8_t *)a->x + (size_t)n * a->x_stride;
        float *yr = a->y + (size_t)n * a->ldy;
        for (int vr = vr0; vr < vr1; vr += QB_KN_MV) {
            const int mv = qb_imin(QB_KN_MV, vr1 - vr);
            kn_vrow vv[QB_KN_MV];
            for (int i = 0; i < mv; i++) {
                const int v = vr + i, u = v / QV_HALVES, h = v % QV_HALVES;
                vv[i].base = (const uint8_t *)a->w + (size_t)u * G.chunk;
                vv[i].hd = (size_t)h * 32; vv[i].hf = (size_t)h * 16; vv[i].hb = (size_t)h * 8;
                vv[i].row0 = v * QV_L;
                int lo = qb_imax(m0, vv[i].row0) - vv[i].row0;
                int hi = qb_imin(qb_imin(m1, a->M), vv[i].row0 + QV_L) - vv[i].row0;
                if (hi < lo) hi = lo;
                vv[i].mask = qv_mask(lo, hi);
            }
            QB_SW_MV1(KN_CASE, QB_KN_MV)
        }
    }
}
#undef KN_CASE

void QB_EXPORT(qb_gemv_q4_k_q8_k_)(const qb_mat_args *a, int m0, int m1) { kn_gemv(a, m0, m1, 4); }
void QB_EXPORT(qb_gemv_q5_k_q8_k_)(const qb_mat_args *a, int m0, int m1) { kn_gemv(a, m0, m1, 5); }
void QB_EXPORT(qb_gemv_q6_k_q8_k_)(const qb_mat_args *a, int m0, int m1) { kn_gemv(a, m0, m1, 6); }
