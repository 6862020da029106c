// AVX-512 BF16 (Cooper Lake, Sapphire Rapids, Zen 4): vdpbf16ps over the bf16 x16 pair layout, for bf16
// weights with bf16 activations. One instruction: 16 output rows x one k pair, accumulated in f32.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qb_x16.h"

#pragma clang attribute push( \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16"))), \
    apply_to = function)

#define QB_VARIANT avx512_bf16
#include "x86_zmm_prims.h"

#define QB_BF16_DOT 1
QB_INLINE qvf qv_dot_bf16(qvf acc, qvi w, qvi x) { return _mm512_dpbf16_ps(acc, (__m512bh)w, (__m512bh)x); }

#define QB_FLOAT_FORMATS 0
#ifndef QB_FGEMV_MV
#define QB_FGEMV_MV 4
#endif
#define QB_FGEMM_MV 2
#define QB_FGEMM_NR 12
#include "x86_float_template.h"

#pragma clang attribute pop
#endif
