// 512-bit primitives for the x86 templates (16 output rows per vector). Included inside a target pragma
// that enables at least AVX-512 F/BW/VL/DQ, so every helper here carries that target.
#ifndef QBENCH_X86_ZMM_PRIMS_H
#define QBENCH_X86_ZMM_PRIMS_H

typedef __m512i qvi;
typedef __m512 qvf;
typedef __mmask16 qvm;
#define QV_L 16

QB_INLINE qvm qv_mask(int lo, int hi) { return (qvm)(((1u << hi) - 1u) & ~((1u << lo) - 1u)); }
QB_INLINE qvi qv_set1_i32(int32_t v) { return _mm512_set1_epi32(v); }
QB_INLINE qvi qv_set1_i8(char v) { return _mm512_set1_epi8(v); }
QB_INLINE qvi qv_bcast4(const void *p) { return _mm512_set1_epi32(*(const int32_t *)p); }
QB_INLINE qvi qv_loadw(const void *p) { return _mm512_loadu_si512(p); }
QB_INLINE qvi qv_and(qvi a, qvi b) { return _mm512_and_si512(a, b); }
QB_INLINE qvi qv_srli16_4(qvi a) { return _mm512_srli_epi16(a, 4); }
QB_INLINE qvi qv_mullo(qvi a, qvi b) { return _mm512_mullo_epi32(a, b); }
QB_INLINE qvi qv_load_u8_i32(const void *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)); }
QB_INLINE qvf qv_cvt(qvi a) { return _mm512_cvtepi32_ps(a); }
QB_INLINE qvf qv_mul(qvf a, qvf b) { return _mm512_mul_ps(a, b); }
QB_INLINE qvf qv_add(qvf a, qvf b) { return _mm512_add_ps(a, b); }
QB_INLINE qvf qv_fma(qvf a, qvf b, qvf c) { return _mm512_fmadd_ps(a, b, c); }
QB_INLINE qvf qv_set1_ps(float v) { return _mm512_set1_ps(v); }
QB_INLINE qvf qv_zero_ps(void) { return _mm512_setzero_ps(); }
QB_INLINE qvf qv_loadf(const void *p) { return _mm512_loadu_ps(p); }
QB_INLINE qvf qv_load_ph(const void *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
QB_INLINE qvf qv_maskload_f(const float *p, qvm m) { return _mm512_maskz_loadu_ps(m, p); }
QB_INLINE void qv_maskstore_f(float *p, qvm m, qvf v) { _mm512_mask_storeu_ps(p, m, v); }
QB_INLINE qvi qv_castf_i(qvf v) { return _mm512_castps_si512(v); }
QB_INLINE qvf qv_casti_f(qvi v) { return _mm512_castsi512_ps(v); }

QB_INLINE qvi qv_slli32_16(qvi a) { return _mm512_slli_epi32(a, 16); }

QB_INLINE void qv_storew(void *p, qvi v) { _mm512_storeu_si512(p, v); }

QB_INLINE void qv_storef(float *p, qvf v) { _mm512_storeu_ps(p, v); }

#endif
