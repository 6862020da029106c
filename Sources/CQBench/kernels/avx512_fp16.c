// AVX-512 FP16 (Sapphire Rapids and later): f16 weights times f32 activations computed in fp16 arithmetic.
//
// Why a separate numeric recipe: vfmadd231ph does 32 fp16 multiply-adds per instruction, twice the f32 rate,
// but fp16 sums lose precision fast. So products and short partial sums (QB_FP16_FOLD k pairs per lane) are
// fp16, then folded into f32 accumulators. Activations are rounded to fp16 (saturated at +-65504) on staging.
// Verified by NMSE against scalar (registry tolerance); weights use the k-pair x16 layout (the bf16 repack,
// which only moves 16-bit values). 16 output rows per vector, even/odd k in adjacent lanes.
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdlib.h>

#include "qb_protos.h"
#include "qb_x16.h"

#pragma clang attribute push( \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512fp16"))), \
    apply_to = function)

enum { QB_FP16_FOLD = 64, QB_FP16_GEMV_KC = 2048, QB_FP16_GEMM_KC = 256, QB_FP16_MV = 4, QB_FP16_NR = 12 };
#ifndef QB_FP16_GMV
#define QB_FP16_GMV 2
#endif
#ifndef QB_FP16_GNR
#define QB_FP16_GNR 10
#endif

/// Pairs (f16(x[2p]), f16(x[2p+1])) for k in [k0, k1), x past K as 0: x saturated to +-65504 and rounded to
/// nearest even, 16 at a time (a pair array is the fp16 row itself, little-endian). NaN stays NaN: max/min
/// return their second operand when one is NaN, and x is passed second. The gemm drivers stage every
/// activation chunk once per row block, so this must not be scalar (it was: about as long as the FMAs).
QB_INLINE void qb_fp16_stage(const float *x, int K, int k0, int k1, uint32_t *out) {
    uint16_t *o = (uint16_t *)out;
    const __m512 lo = _mm512_set1_ps(-65504.0f), hi = _mm512_set1_ps(65504.0f);
    const int kend = k1 + ((k1 - k0) & 1); /* whole pairs: the odd tail's partner is 0 */
    for (int k = k0; k < kend; k += 16) {
        const int n = qb_imin(16, kend - k), valid = qb_imax(0, qb_imin(n, K - k));
        const __m512 v = _mm512_maskz_loadu_ps((__mmask16)((1u << valid) - 1u), x + k);
        const __m512 c = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
        _mm256_mask_storeu_epi16(o + (k - k0), (__mmask16)((1u << n) - 1u),
                                 _mm512_cvtps_ph(c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
}

/// 32 fp16 lanes (row r at lanes 2r, 2r+1 = even, odd k) -> 16 f32 row sums.
QB_INLINE __m512 qb_fp16_fold(__m512h h) {
    const __m512i v = _mm512_castph_si512(h);
    const __m512 lo = _mm512_cvtph_ps(_mm512_castsi512_si256(v));
    const __m512 hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(v, 1));
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_add_ps(_mm512_permutex2var_ps(lo, ie, hi), _mm512_permutex2var_ps(lo, io, hi));
}

typedef struct { const uint8_t *data; __mmask16 mask; int row0; } qb_h_vrow;

QB_INLINE qb_h_vrow qb_h_vrow_at(const qb_mat_args *a, const qb_x16_geom *G, int u, int m0, int m1) {
    qb_h_vrow v;
    v.data = (const uint8_t *)a->w + (size_t)u * G->chunk;
    v.row0 = u * 16;
    int lo = qb_imax(m0, v.row0) - v.row0, hi = qb_imin(qb_imin(m1, a->M), v.row0 + 16) - v.row0;
    if (hi < lo) hi = lo;
    v.mask = (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
    return v;
}

#define QB_H_STEP(p, c)                                                                                    \
    do {                                                                                                   \
        __m512h w_[QB_FP16_MV];                                                                            \
        for (int i = 0; i < MV; i++) w_[i] = _mm512_castsi512_ph(_mm512_loadu_si512(vv[i].data + (size_t)(p) * 64)); \
        for (int j = 0; j < NR; j++) {                                                                     \
            const __m512h x_ = _mm512_castsi512_ph(_mm512_set1_epi32((int32_t)xs[j][(p) - pbase]));         \
            for (int i = 0; i < MV; i++) h[i][j][c] = _mm512_fmadd_ph(w_[i], x_, h[i][j][c]);               \
        }                                                                                                  \
    } while (0)

/// MV units x NR activation rows over pairs [p0, p1) of a staged chunk (xs[j] indexed from the chunk start).
QB_INLINE void qb_fp16_tile(const int MV, const int NR, const qb_h_vrow *vv, const uint32_t *const *xs,
                            float *const *yp, int p0, int p1, int pbase, int first) {
    /* The f32 sums live in y (L1/L2-resident within a cache block), so all registers go to fp16 accumulators:
       at most 4 x 12 of them with one chain each, or two chains per unit in gemv. */
    for (int f0 = p0; f0 < p1; f0 += QB_FP16_FOLD) {
        const int f1 = qb_imin(p1, f0 + QB_FP16_FOLD);
        __m512h h[QB_FP16_MV][QB_FP16_NR][2];
        for (int i = 0; i < MV; i++)
            for (int j = 0; j < NR; j++) { h[i][j][0] = _mm512_setzero_ph(); h[i][j][1] = _mm512_setzero_ph(); }
        int p = f0;
        for (; p + 1 < f1; p += 2) { /* unrolled by two: constant chain indices keep h in registers */
            if (NR == 1)
                for (int i = 0; i < MV; i++)
                    _mm_prefetch((const char *)vv[i].data + (size_t)p * 64 + 1024, _MM_HINT_T0);
            QB_H_STEP(p, 0);
            QB_H_STEP(p + 1, (NR == 1 ? 1 : 0));
        }
        if (p < f1) QB_H_STEP(p, 0);
        const int start = first && f0 == p0;
        for (int i = 0; i < MV; i++)
            for (int j = 0; j < NR; j++) {
                const __m512h t = NR == 1 ? _mm512_add_ph(h[i][j][0], h[i][j][1]) : h[i][j][0];
                const __m512 sum = qb_fp16_fold(t);
                float *y = yp[j] + vv[i].row0;
                _mm512_mask_storeu_ps(y, vv[i].mask,
                                      start ? sum : _mm512_add_ps(_mm512_maskz_loadu_ps(vv[i].mask, y), sum));
            }
    }
}

#define QB_VARIANT avx512_fp16
#define QV_L 16
#include "x86_template_common.h"
#define QB_H_CASE(mvc, nrc) qb_fp16_tile(mvc, nrc, vv, xs, yp, p0, p1, pbase, first)

QB_INLINE void qb_fp16_dispatch(int mv, int nr, const qb_h_vrow *vv, const uint32_t *const *xs, float *const *yp,
                                int p0, int p1, int pbase, int first) {
    if (nr == 1) { QB_SW_MV1(QB_H_CASE, QB_FP16_MV) }
    else { QB_SW_MV_NR(QB_H_CASE, QB_FP16_GMV, QB_FP16_GNR) }
}

void qb_gemv_f16_f32_avx512_fp16(const qb_mat_args *a, int m0, int m1) {
    qb_x16_geom G;
    if (m1 <= m0) return;
    if (!qb_x16_geometry(QB_F_BF16, a->M, a->K, 0, &G)) { qb_fill_nan(a, m0, m1); return; }
    uint32_t xsbuf[QB_FP16_GEMV_KC / 2];
    const int u0 = m0 / 16, u1 = (qb_imin(m1, a->M) + 15) / 16;
    for (int n = 0; n < a->N; n++) {
        const float *x = (const float *)((const uint8_t *)a->x + (size_t)n * a->x_stride);
        float *yp[1] = {a->y + (size_t)n * a->ldy};
        const uint32_t *xs[1] = {xsbuf};
        if (a->K == 0)
            for (int m = m0; m < qb_imin(m1, a->M); m++) yp[0][m] = 0.0f;
        for (int k0 = 0; k0 < a->K; k0 += QB_FP16_GEMV_KC) {
            const int k1 = qb_imin(a->K, k0 + QB_FP16_GEMV_KC);
            qb_fp16_stage(x, a->K, k0, k1, xsbuf);
            for (int u = u0; u < u1; u += QB_FP16_MV) {
                const int mv = qb_imin(QB_FP16_MV, u1 - u);
                qb_h_vrow vv[QB_FP16_MV];
                for (int i = 0; i < mv; i++) vv[i] = qb_h_vrow_at(a, &G, u + i, m0, m1);
                qb_fp16_dispatch(mv, 1, vv, xs, yp, k0 / 2, (k1 + 1) / 2, k0 / 2, k0 == 0);
            }
        }
    }
}

/* Blocked like the other gemm drivers: NC activation rows x MC units, K chunks inside, so partial sums stay in L2. */
enum { QB_FP16_NC = 128, QB_FP16_MCU = 5 * QB_FP16_GMV };

void qb_gemm_f16_f32_avx512_fp16(const qb_mat_args *a, int m0, int m1) {
    qb_x16_geom G;
    if (m1 <= m0 || a->N <= 0) return;
    if (!qb_x16_geometry(QB_F_BF16, a->M, a->K, 0, &G)) { qb_fill_nan(a, m0, m1); return; }
    /* small N (the canary, short prompts) stays on the stack: no allocation in a forked child */
    const int nc = qb_imin(a->N, QB_FP16_NC), small = nc <= 4;
    uint32_t stack_xs[4 * (QB_FP16_GEMM_KC / 2)];
    uint32_t *xsbuf = small ? stack_xs : (uint32_t *)malloc((size_t)nc * (QB_FP16_GEMM_KC / 2) * sizeof(uint32_t));
    if (!xsbuf) { qb_fill_nan(a, m0, m1); return; }
    const uint32_t *xs[QB_FP16_NC];
    const int u0 = m0 / 16, u1 = (qb_imin(m1, a->M) + 15) / 16;
    if (a->K == 0)
        for (int n = 0; n < a->N; n++)
            for (int m = m0; m < qb_imin(m1, a->M); m++) a->y[(size_t)n * a->ldy + m] = 0.0f;
    for (int n0 = 0; n0 < a->N; n0 += QB_FP16_NC) {
        const int n1 = qb_imin(a->N, n0 + QB_FP16_NC);
        for (int ub0 = u0; ub0 < u1; ub0 += QB_FP16_MCU) {
            const int ub1 = qb_imin(u1, ub0 + QB_FP16_MCU);
            for (int k0 = 0; k0 < a->K; k0 += QB_FP16_GEMM_KC) {
                const int k1 = qb_imin(a->K, k0 + QB_FP16_GEMM_KC);
                for (int n = n0; n < n1; n++) {
                    const float *x = (const float *)((const uint8_t *)a->x + (size_t)n * a->x_stride);
                    xs[n - n0] = xsbuf + (size_t)(n - n0) * (QB_FP16_GEMM_KC / 2);
                    qb_fp16_stage(x, a->K, k0, k1, (uint32_t *)xs[n - n0]);
                }
                for (int u = ub0; u < ub1; u += QB_FP16_GMV) {
                    const int mv = qb_imin(QB_FP16_GMV, ub1 - u);
                    qb_h_vrow vv[QB_FP16_MV];
                    for (int i = 0; i < mv; i++) vv[i] = qb_h_vrow_at(a, &G, u + i, m0, m1);
                    for (int n = n0; n < n1; n += QB_FP16_GNR) {
                        const int nr = qb_imin(QB_FP16_GNR, n1 - n);
                        float *yp[QB_FP16_NR];
                        for (int j = 0; j < nr; j++) yp[j] = a->y + (size_t)(n + j) * a->ldy;
                        qb_fp16_dispatch(mv, nr, vv, xs + (n - n0), yp, k0 / 2, (k1 + 1) / 2, k0 / 2, k0 == 0);
                    }
                }
            }
        }
    }
    if (!small) free(xsbuf);
}

#pragma clang attribute pop
#endif
