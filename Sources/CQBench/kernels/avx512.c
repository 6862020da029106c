// AVX-512 F/BW/VL/DQ without VNNI (Skylake-SP): integer dot products of 4 via vpmaddubsw + vpmaddwd on zmm;
// float formats in x86_float_template.h. All over the x16 layouts.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qb_x16.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif
#pragma clang attribute push( \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq"))), \
    apply_to = function)

#define QB_VARIANT avx512
#define QB_GEMV_MV 4
#define QB_GEMM_MV 2
#define QB_GEMM_NR 4
#define QB_BIG_OFFSET 0
#include "x86_zmm_prims.h"

QB_INLINE qvi qv_dot_small(qvi acc, qvi w, qvi x) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(w, x), _mm512_set1_epi16(1)));
}
/* No vpsignb on zmm: negate x where w < 0 under a mask, multiply by |w|. */
QB_INLINE qvi qv_dot_big(qvi acc, qvi wu, qvi x) {
    const __m512i w = _mm512_xor_si512(wu, _mm512_set1_epi8((char)0x80));
    const __mmask64 neg = _mm512_movepi8_mask(w);
    const __m512i sx = _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x);
    const __m512i p = _mm512_maddubs_epi16(_mm512_abs_epi8(w), sx);
    return _mm512_add_epi32(acc, _mm512_madd_epi16(p, _mm512_set1_epi16(1)));
}

#include "x86_int_template.h"
#include "x86_kquant_template.h"

#define QB_FGEMV_MV 4
#ifndef QB_FGEMM_MV
#define QB_FGEMM_MV 2
#endif
#ifndef QB_FGEMM_NR
#define QB_FGEMM_NR 12
#endif
#include "x86_float_template.h"

#pragma clang attribute pop
#endif
