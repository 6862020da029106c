// AVX-VNNI (Alder Lake, Sapphire Rapids, Zen 5): the VEX-encoded vpdpbusd on ymm, for parts without AVX-512
// (hybrid client chips). Same x16 layouts and template as avx512_vnni, 8 output rows per instruction.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qb_x16.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avxvnni"))), apply_to = function)

#define QB_VARIANT avx_vnni
#define QB_KX_DPWSSD 1 /* vpdpwssd applies the k-quant sub-block scales (x86_kquant_template.h) */
#define QB_GEMV_MV 4
#define QB_GEMM_MV 2
#define QB_GEMM_NR 3
#include "x86_ymm_prims.h"

QB_INLINE qvi qv_dot_big(qvi acc, qvi w, qvi x) { return _mm256_dpbusd_avx_epi32(acc, w, x); }
QB_INLINE qvi qv_dot_small(qvi acc, qvi w, qvi x) { return _mm256_dpbusd_avx_epi32(acc, w, x); }

#include "x86_int_template.h"
#include "x86_kquant_template.h"

#pragma clang attribute pop
#endif
