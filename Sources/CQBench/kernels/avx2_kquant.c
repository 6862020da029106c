// AVX2 kernels for the k-quants (q4_k, q5_k, q6_k with q8_k activations) over the weights as stored (ggml's
// blocks, no repack), and the q8_k activation routine. These are the gemv of every x86 level (the gemm of the
// wider levels is x86_kquant_template.h; q5_0 runs on the x16 q8_0 kernels). Products of u8 weights and s8
// activations through vpmaddubsw (no saturation is possible: at most 2*63*128), sub-block scales applied exactly
// by vpmaddwd, so each super-block ends as the same int32 the scalar reference computes; the f32 epilogue of
// qbench_kernels.h follows in increasing k, vectorised across activation rows, never reassociated: every entry
// here is bit-exact with scalar_kquant.c.
#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "qb_ref.h"
#include "qb_protos.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

/* k-quant gemm register tile: activation rows per tile (int32 accumulators live across a super-block) */
#define KQ_NR 4
/* weight rows per gemm panel: the panel stays in L2 while every activation tile passes over it */
#define KQ_PANEL 16

/// Four int32x8 vectors to their four horizontal sums, in order, in one xmm (wrapping adds: exact while the
/// true sums fit, which the formats' ranges guarantee).
QB_INLINE __m128i kq_hsum4(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

/// Four int32x4 vectors to their four horizontal sums.
QB_INLINE __m128i kq_hsum4x4(__m128i a, __m128i b, __m128i c, __m128i d) {
    return _mm_hadd_epi32(_mm_hadd_epi32(a, b), _mm_hadd_epi32(c, d));
}

/// q4_k/q5_k scales and mins of one super-block as int16: sc (the 8 scales, in both 128-bit lanes) and mn.
QB_INLINE void kq_scales_mins(const uint8_t *packed, __m256i *sc, __m128i *mn) {
    uint32_t u[4];
    memcpy(u, packed, 12);
    const uint32_t k1 = 0x3f3f3f3fu, k2 = 0x0f0f0f0fu, k3 = 0x03030303u;
    u[3] = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4);
    const uint32_t m01 = u[1] & k1;
    u[1] = (u[2] & k2) | (((u[0] >> 6) & k3) << 4);
    u[2] = m01;
    u[0] &= k1;
    /* bytes 0..7: scales 0..7, bytes 8..15: mins 0..7 */
    const __m128i b = _mm_loadu_si128((const __m128i *)u);
    const __m128i s16 = _mm_cvtepu8_epi16(b);
    *sc = _mm256_broadcastsi128_si256(s16);
    *mn = _mm_cvtepu8_epi16(_mm_srli_si128(b, 8));
}

/// int16 lane j of a 128-bit lane, replicated (vpshufb mask).
QB_INLINE __m256i kq_pick16(int j) { return _mm256_set1_epi16((short)(((2 * j + 1) << 8) | (2 * j))); }

/// The sums of each sub-block of 32 of a q8_k block (pairs of its per-16 sums), as 8 int16.
QB_INLINE __m128i kq_bsums32(const qb_block_q8_k *x) {
    return _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)x->bsums), _mm_loadu_si128((const __m128i *)x->bsums + 1));
}

/* ------------------------------------------------------------------ q4_k and q5_k */

/// One weight row against NR activation rows over super-blocks [0, nb): y[t] = the row's dot with row t.
/// `five` selects q5_k (the 5th bit from qh). acc lanes are activation rows, so the f32 epilogue runs once per
/// super-block for all NR rows with exactly the scalar order.
QB_INLINE void kq_q45k_row(const uint8_t *w, size_t bb, const qb_block_q8_k *const *x, int nb, int nr, int five,
                            float *out) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m128 acc = _mm_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = w + (size_t)b * bb;
        const uint8_t *qs = blk + (five ? 48 : 16);
        __m256i sc;
        __m128i mn;
        kq_scales_mins(blk + 4, &sc, &mn);
        __m256i hb = _mm256_setzero_si256();
        if (five) hb = _mm256_loadu_si256((const __m256i *)(blk + 16));
        __m256i a[KQ_NR];
        for (int t = 0; t < KQ_NR; t++) a[t] = _mm256_setzero_si256();
        for (int p = 0; p < 4; p++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * p));
            __m256i wl = _mm256_and_si256(q, m4);
            __m256i wh = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            if (five) {
                const __m256i bl = _mm256_set1_epi8((char)(1 << (2 * p))), bh = _mm256_set1_epi8((char)(2 << (2 * p)));
                const __m256i sixteen = _mm256_set1_epi8(16);
                wl = _mm256_or_si256(wl, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hb, bl), bl), sixteen));
                wh = _mm256_or_si256(wh, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hb, bh), bh), sixteen));
            }
            const __m256i sl = _mm256_shuffle_epi8(sc, kq_pick16(2 * p));
            const __m256i sh = _mm256_shuffle_epi8(sc, kq_pick16(2 * p + 1));
            for (int t = 0; t < nr; t++) {
                const int8_t *xq = x[t][b].qs + 64 * p;
                const __m256i pl = _mm256_maddubs_epi16(wl, _mm256_loadu_si256((const __m256i *)xq));
                const __m256i ph = _mm256_maddubs_epi16(wh, _mm256_loadu_si256((const __m256i *)(xq + 32)));
                a[t] = _mm256_add_epi32(a[t], _mm256_add_epi32(_mm256_madd_epi16(sl, pl), _mm256_madd_epi16(sh, ph)));
            }
        }
        __m128i m[KQ_NR];
        float dx[KQ_NR];
        for (int t = 0; t < KQ_NR; t++) {
            m[t] = t < nr ? _mm_madd_epi16(mn, kq_bsums32(&x[t][b])) : _mm_setzero_si128();
            dx[t] = t < nr ? x[t][b].d : 0.0f;
        }
        const __m128i isum = kq_hsum4(a[0], a[1], a[2], a[3]);
        const __m128i msum = kq_hsum4x4(m[0], m[1], m[2], m[3]);
        const __m128 dx4 = _mm_loadu_ps(dx);
        const __m128 d = _mm_set1_ps(_cvtsh_ss(qb_load_u16(blk))), dmin = _mm_set1_ps(_cvtsh_ss(qb_load_u16(blk + 2)));
        const __m128 inner = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_setzero_si128(), msum)),
                                          _mm_mul_ps(dmin, dx4), acc);
        acc = _mm_fmadd_ps(_mm_cvtepi32_ps(isum), _mm_mul_ps(d, dx4), inner);
    }
    _mm_storeu_ps(out, acc);
}

/* ------------------------------------------------------------------ q6_k */

QB_INLINE void kq_q6k_row(const uint8_t *w, const qb_block_q8_k *const *x, int nb, int nr, float *out) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m128 acc = _mm_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const qb_block_q6_k *blk = (const qb_block_q6_k *)(w + (size_t)b * sizeof(qb_block_q6_k));
        /* the offset 32 of every quant, folded out exactly: isum = sum sc*q*x - 32 * sum_j sc_j * bsum_j */
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)blk->scales));
        __m256i a[KQ_NR];
        for (int t = 0; t < KQ_NR; t++) {
            a[t] = _mm256_setzero_si256();
            if (t < nr) {
                const __m256i bs = _mm256_loadu_si256((const __m256i *)x[t][b].bsums);
                a[t] = _mm256_sub_epi32(a[t], _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
            }
        }
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = blk->ql + 64 * h, *qh = blk->qh + 32 * h;
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)ql);
            const __m256i l2 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            const __m256i hi = _mm256_loadu_si256((const __m256i *)qh);
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(hi, _mm256_set1_epi8(0x03)), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(l2, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(hi, _mm256_set1_epi8(0x0c)), 2));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                   _mm256_and_si256(hi, _mm256_set1_epi8(0x30)));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l2, 4), m4),
                                   _mm256_srli_epi16(_mm256_and_si256(hi, _mm256_set1_epi8((char)0xc0)), 2));
            const __m256i sh = _mm256_broadcastsi128_si256(
                _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(blk->scales + 8 * h))));
            for (int g = 0; g < 4; g++) {
                /* elements 32g..32g+31 of this half: sub-blocks 2g (low 128-bit lane) and 2g+1 (high lane) */
                const __m256i s = _mm256_shuffle_epi8(
                    sh, _mm256_set_m128i(_mm256_castsi256_si128(kq_pick16(2 * g + 1)),
                                         _mm256_castsi256_si128(kq_pick16(2 * g))));
                for (int t = 0; t < nr; t++) {
                    const __m256i xv = _mm256_loadu_si256((const __m256i *)(x[t][b].qs + 128 * h + 32 * g));
                    a[t] = _mm256_add_epi32(a[t], _mm256_madd_epi16(s, _mm256_maddubs_epi16(q[g], xv)));
                }
            }
        }
        float dx[KQ_NR];
        for (int t = 0; t < KQ_NR; t++) dx[t] = t < nr ? x[t][b].d : 0.0f;
        const __m128i isum = kq_hsum4(a[0], a[1], a[2], a[3]);
        const __m128 d = _mm_set1_ps(_cvtsh_ss(blk->d));
        acc = _mm_fmadd_ps(_mm_cvtepi32_ps(isum), _mm_mul_ps(d, _mm_loadu_ps(dx)), acc);
    }
    _mm_storeu_ps(out, acc);
}

/// The k-quant driver: panels of KQ_PANEL weight rows, activation rows in tiles of KQ_NR, one row at a time.
QB_INLINE void kq_drive(const qb_mat_args *a, int m0, int m1, int fmt) {
    if (a->K % QB_QKK != 0) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QKK;
    const size_t bb = fmt == 6 ? sizeof(qb_block_q6_k) : fmt == 5 ? sizeof(qb_block_q5_k) : sizeof(qb_block_q4_k);
    for (int p0 = m0; p0 < m1; p0 += KQ_PANEL) {
        const int p1 = qb_imin(p0 + KQ_PANEL, m1);
        for (int n0 = 0; n0 < a->N; n0 += KQ_NR) {
            const int nr = qb_imin(KQ_NR, a->N - n0);
            const qb_block_q8_k *x[KQ_NR];
            for (int t = 0; t < KQ_NR; t++)
                x[t] = (const qb_block_q8_k *)((const uint8_t *)a->x + (size_t)(n0 + (t < nr ? t : 0)) * a->x_stride);
            for (int m = p0; m < p1; m++) {
                const uint8_t *w = (const uint8_t *)a->w + (size_t)m * a->w_stride;
                float out[4];
                /* constant tile sizes, so every accumulator stays in a register */
#define KQ_ROW(NR)                                                      \
    if (fmt == 6) kq_q6k_row(w, x, nb, NR, out);                        \
    else if (fmt == 5) kq_q45k_row(w, bb, x, nb, NR, 1, out);           \
    else kq_q45k_row(w, bb, x, nb, NR, 0, out);
                switch (nr) {
                case 4: KQ_ROW(4) break;
                case 3: KQ_ROW(3) break;
                case 2: KQ_ROW(2) break;
                default: KQ_ROW(1) break;
                }
#undef KQ_ROW
                for (int t = 0; t < nr; t++) a->y[(size_t)(n0 + t) * a->ldy + m] = out[t];
            }
        }
    }
}

void qb_gemm_q4_k_q8_k_avx2(const qb_mat_args *a, int m0, int m1) { kq_drive(a, m0, m1, 4); }
void qb_gemm_q5_k_q8_k_avx2(const qb_mat_args *a, int m0, int m1) { kq_drive(a, m0, m1, 5); }
void qb_gemm_q6_k_q8_k_avx2(const qb_mat_args *a, int m0, int m1) { kq_drive(a, m0, m1, 6); }
void qb_gemv_q4_k_q8_k_avx2(const qb_mat_args *a, int m0, int m1) { kq_drive(a, m0, m1, 4); }
void qb_gemv_q5_k_q8_k_avx2(const qb_mat_args *a, int m0, int m1) { kq_drive(a, m0, m1, 5); }
void qb_gemv_q6_k_q8_k_avx2(const qb_mat_args *a, int m0, int m1) { kq_drive(a, m0, m1, 6); }

/// q8_k activations: ggml's reference rounding (nearest, ties to even, via the 1.5*2^23 trick) on 8 lanes.
void qb_quantize_row_q8_k_avx2(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    if (K % QB_QKK != 0) { qb_quantize_row_q8_k_scalar(x, out, scale, sums, group, K); return; }
    qb_block_q8_k *y = (qb_block_q8_k *)out;
    const __m256 signbit = _mm256_set1_ps(-0.0f);
    for (int b = 0; b < K / QB_QKK; b++) {
        const float *xb = x + (size_t)b * QB_QKK;
        /* the first element of largest magnitude, as the scalar scan finds it */
        __m256 vmax = _mm256_setzero_ps();
        for (int j = 0; j < QB_QKK; j += 8)
            vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(signbit, _mm256_loadu_ps(xb + j)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        float vm = 0.0f;
        for (int j = 0; j < QB_QKK; j++) {
            if (fabsf(xb[j]) == amax) { vm = xb[j]; break; }
        }
        if (amax == 0.0f) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const float iscale = -127.0f / vm;
        const __m256 is = _mm256_set1_ps(iscale), magic = _mm256_set1_ps(12582912.0f);
        const __m256i lowbits = _mm256_set1_epi32(0x7fffff), off = _mm256_set1_epi32(0x400000);
        for (int j = 0; j < QB_QKK; j += 32) {
            __m256i q[4];
            for (int i = 0; i < 4; i++) {
                const __m256 t = _mm256_add_ps(_mm256_mul_ps(is, _mm256_loadu_ps(xb + j + 8 * i)), magic);
                q[i] = _mm256_min_epi32(_mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(t), lowbits), off),
                                        _mm256_set1_epi32(127));
            }
            /* pack 32 int32 to int8 in order (the packs interleave 128-bit lanes; the permute restores order) */
            const __m256i p01 = _mm256_packs_epi32(q[0], q[1]), p23 = _mm256_packs_epi32(q[2], q[3]);
            const __m256i p = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p01, p23),
                                                          _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(y[b].qs + j), p);
        }
        y[b].d = 1.0f / iscale;
        for (int j = 0; j < QB_QKK / 16; j++) {
            const __m128i v = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(y[b].qs + 16 * j)));
            const __m128i w = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(y[b].qs + 16 * j + 8)));
            __m128i s = _mm_add_epi16(v, w);
            s = _mm_add_epi16(s, _mm_srli_si128(s, 8));
            s = _mm_add_epi16(s, _mm_srli_si128(s, 4));
            s = _mm_add_epi16(s, _mm_srli_si128(s, 2));
            y[b].bsums[j] = (int16_t)_mm_extract_epi16(s, 0);
        }
    }
}

#pragma clang attribute pop
#endif
