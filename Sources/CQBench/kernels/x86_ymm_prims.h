// 256-bit primitives for the x86 templates (8 output rows per vector: each 64-byte x16 row is read as two
// 32-byte halves). Included inside a target pragma that enables at least AVX2, FMA and F16C.
#ifndef QBENCH_X86_YMM_PRIMS_H
#define QBENCH_X86_YMM_PRIMS_H

typedef __m256i qvi;
typedef __m256 qvf;
typedef __m256i qvm;
#define QV_L 8

QB_INLINE qvm qv_mask(int lo, int hi) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(lo - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), idx));
}
QB_INLINE qvi qv_set1_i32(int32_t v) { return _mm256_set1_epi32(v); }
QB_INLINE qvi qv_set1_i8(char v) { return _mm256_set1_epi8(v); }
QB_INLINE qvi qv_bcast4(const void *p) { return _mm256_set1_epi32(*(const int32_t *)p); }
QB_INLINE qvi qv_loadw(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
QB_INLINE qvi qv_and(qvi a, qvi b) { return _mm256_and_si256(a, b); }
QB_INLINE qvi qv_srli16_4(qvi a) { return _mm256_srli_epi16(a, 4); }
QB_INLINE qvi qv_mullo(qvi a, qvi b) { return _mm256_mullo_epi32(a, b); }
QB_INLINE qvi qv_load_u8_i32(const void *p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)); }
QB_INLINE qvf qv_cvt(qvi a) { return _mm256_cvtepi32_ps(a); }
QB_INLINE qvf qv_mul(qvf a, qvf b) { return _mm256_mul_ps(a, b); }
QB_INLINE qvf qv_add(qvf a, qvf b) { return _mm256_add_ps(a, b); }
QB_INLINE qvf qv_fma(qvf a, qvf b, qvf c) { return _mm256_fmadd_ps(a, b, c); }
QB_INLINE qvf qv_set1_ps(float v) { return _mm256_set1_ps(v); }
QB_INLINE qvf qv_zero_ps(void) { return _mm256_setzero_ps(); }
QB_INLINE qvf qv_loadf(const void *p) { return _mm256_loadu_ps((const float *)p); }
QB_INLINE qvf qv_load_ph(const void *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
QB_INLINE qvf qv_maskload_f(const float *p, qvm m) { return _mm256_maskload_ps(p, m); }
QB_INLINE void qv_maskstore_f(float *p, qvm m, qvf v) { _mm256_maskstore_ps(p, m, v); }
QB_INLINE qvi qv_castf_i(qvf v) { return _mm256_castps_si256(v); }
QB_INLINE qvf qv_casti_f(qvi v) { return _mm256_castsi256_ps(v); }

QB_INLINE qvi qv_slli32_16(qvi a) { return _mm256_slli_epi32(a, 16); }

QB_INLINE void qv_storew(void *p, qvi v) { _mm256_storeu_si256((__m256i *)p, v); }

QB_INLINE void qv_storef(float *p, qvf v) { _mm256_storeu_ps(p, v); }

#endif
