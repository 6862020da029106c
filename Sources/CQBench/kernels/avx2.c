// AVX2 + FMA + F16C (Haswell and later, Zen 1-3): the baseline x86 SIMD path. Integer dot products of 4
// via vpmaddubsw + vpmaddwd; float formats in x86_float_template.h. All over the x16 layouts.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qb_x16.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

#define QB_VARIANT avx2
#define QB_GEMV_MV 4
#define QB_GEMM_MV 1
#define QB_GEMM_NR 4
#define QB_BIG_OFFSET 0
#include "x86_ymm_prims.h"

/* u8 w in 0..15 times s8 x: pair sums stay far below int16 saturation (2*15*128). */
QB_INLINE qvi qv_dot_small(qvi acc, qvi w, qvi x) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1)));
}
/* u8 w' = w ^ 0x80: back to s8, then |w| x sign(x, w) so vpmaddubsw cannot saturate (|x| <= 127). */
QB_INLINE qvi qv_dot_big(qvi acc, qvi wu, qvi x) {
    const __m256i w = _mm256_xor_si256(wu, _mm256_set1_epi8((char)0x80));
    const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(x, w));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

#include "x86_int_template.h"

#define QB_FGEMV_MV 4
#define QB_FGEMM_MV 2
#define QB_FGEMM_NR 6
#include "x86_float_template.h"

#pragma clang attribute pop
#endif
