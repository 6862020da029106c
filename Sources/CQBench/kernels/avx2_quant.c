// AVX2 activation quantizers (quantize_row q8_0, q8_1, i8_pt), bit-exact with scalar.c: same single-rounding
// multiply or true division per element, roundf (half away from zero) rebuilt from truncation, the same scalar
// scale arithmetic per block. Prefill quantizes N x K activations per call, where a libm roundf per element
// would cost as much as the matrix product it feeds.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qb_ref.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

/// roundf(v) for 8 lanes: trunc, then one step away from zero when the dropped fraction is at least 1/2.
/// (v - trunc(v) is exact, so no double rounding, unlike adding 0.5 first.)
QB_INLINE __m256 qb_roundf8(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(v, t);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 big = _mm256_cmp_ps(_mm256_and_ps(frac, absmask), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_andnot_ps(absmask, v)); /* copysign(1, v) */
    return _mm256_add_ps(t, _mm256_and_ps(big, one));
}

/// Rounded lanes (exact small integers) to int8, 32 of them from four vectors, in element order.
QB_INLINE void qb_store_i8x32(int8_t *q, __m256 r0, __m256 r1, __m256 r2, __m256 r3) {
    const __m256i a = _mm256_packs_epi32(_mm256_cvttps_epi32(r0), _mm256_cvttps_epi32(r1));
    const __m256i b = _mm256_packs_epi32(_mm256_cvttps_epi32(r2), _mm256_cvttps_epi32(r3));
    __m256i p = _mm256_packs_epi16(a, b);
    p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)); /* undo the lane interleave */
    _mm256_storeu_si256((__m256i *)q, p);
}

QB_INLINE float qb_hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/// One 32-element q8 block: amax, d, id as scalar.c computes them; returns the sum of q (for q8_1).
QB_INLINE int32_t qb_q8_block(const float *x, uint16_t *dh, int8_t *qs, float *dout) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 v[4], m = _mm256_setzero_ps();
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_loadu_ps(x + 8 * i);
        m = _mm256_max_ps(_mm256_and_ps(v[i], absmask), m); /* NaN lanes lose, as with fmaxf */
    }
    const float amax = qb_hmax8(m);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    *dh = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT); /* F16C, not the scalar's software qb_f32_to_f16 */
    *dout = d;
    const __m256 idv = _mm256_set1_ps(id);
    __m256 r[4];
    for (int i = 0; i < 4; i++) r[i] = qb_roundf8(_mm256_mul_ps(v[i], idv));
    qb_store_i8x32(qs, r[0], r[1], r[2], r[3]);
    int32_t s = 0;
    for (int j = 0; j < 32; j++) s += qs[j];
    return s;
}

/// Block b of a row of K floats, zero-padded past K into `tmp` when it is the partial last block.
QB_INLINE const float *qb_block_src(const float *x, int K, int b, float *tmp) {
    if ((b + 1) * QB_QK <= K) return x + b * QB_QK;
    for (int j = 0; j < QB_QK; j++) tmp[j] = b * QB_QK + j < K ? x[b * QB_QK + j] : 0.0f;
    return tmp;
}

void qb_quantize_row_q8_0_avx2(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    qb_block_q8_0 *y = (qb_block_q8_0 *)out;
    float tmp[QB_QK], d;
    for (int b = 0; b < (K + QB_QK - 1) / QB_QK; b++) qb_q8_block(qb_block_src(x, K, b, tmp), &y[b].d, y[b].qs, &d);
}

void qb_quantize_row_q8_1_avx2(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    qb_block_q8_1 *y = (qb_block_q8_1 *)out;
    float tmp[QB_QK], d;
    for (int b = 0; b < (K + QB_QK - 1) / QB_QK; b++) {
        const int32_t s = qb_q8_block(qb_block_src(x, K, b, tmp), &y[b].d, y[b].qs, &d);
        y[b].s = _cvtss_sh((float)s * d, _MM_FROUND_TO_NEAREST_INT);
    }
}

void qb_quantize_row_i8_pt_avx2(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    int8_t *q = (int8_t *)out;
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 m = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= K; k += 8) m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + k), absmask), m);
    float amax = qb_hmax8(m);
    for (; k < K; k++) amax = fmaxf(amax, fabsf(x[k]));
    const float s = amax / 127.0f;
    if (s == 0.0f) {
        memset(q, 0, (size_t)K);
    } else {
        const __m256 sv = _mm256_set1_ps(s), lim = _mm256_set1_ps(127.0f), nlim = _mm256_set1_ps(-127.0f);
        k = 0;
        for (; k + 32 <= K; k += 32) {
            __m256 r[4];
            for (int i = 0; i < 4; i++) {
                r[i] = qb_roundf8(_mm256_div_ps(_mm256_loadu_ps(x + k + 8 * i), sv)); /* a true division */
                r[i] = _mm256_min_ps(_mm256_max_ps(r[i], nlim), lim);
            }
            qb_store_i8x32(q + k, r[0], r[1], r[2], r[3]);
        }
        for (; k < K; k++) {
            float r = roundf(x[k] / s);
            r = r > 127.0f ? 127.0f : (r < -127.0f ? -127.0f : r);
            q[k] = (int8_t)r;
        }
    }
    if (scale) *scale = s;
    if (sums && group > 0)
        for (int g = 0; g < K / group; g++) {
            int32_t t = 0;
            for (int j = 0; j < group; j++) t += q[g * group + j];
            sums[g] = t;
        }
}

#pragma clang attribute pop
#endif
