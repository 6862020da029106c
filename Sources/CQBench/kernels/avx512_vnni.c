// AVX-512 VNNI (Cascade Lake and later, Zen 4): vpdpbusd on zmm for every integer format, over the x16
// layouts (qb_x16.h). These are the fast integer paths: 16 output rows per instruction, exact int32 per lane.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qb_x16.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif
#pragma clang attribute push( \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), \
    apply_to = function)

#define QB_VARIANT avx512_vnni
#define QB_KX_DPWSSD 1 /* vpdpwssd applies the k-quant sub-block scales (x86_kquant_template.h) */
#ifndef QB_GEMV_MV
#define QB_GEMV_MV 4
#endif
/* Tiles measured on Sapphire/Emerald Rapids (docs/kernels.md): block formats 48 rows x 4 tokens keep 12 int32
   and 12 f32 accumulators in registers; i8_pc needs no f32 accumulators, so 64 rows x 5 tokens. */
#ifndef QB_GEMM_MV
#define QB_GEMM_MV 3
#endif
#ifndef QB_GEMM_NR
#define QB_GEMM_NR 4
#endif
/* k-quant gemm (x86_kquant_template.h): 48 rows x 4 tokens; measured best of 2x3, 2x4, 3x3, 3x4 on Emerald Rapids
   (single thread, 256x4096x512: q4_k 374 -> 426 GOP/s, q6_k 367 -> 397 GOP/s; the f32 accumulators spill, but they
   are touched once per super-block) */
#ifndef QB_KQ_MV
#define QB_KQ_MV 3
#endif
#ifndef QB_KQ_NR
#define QB_KQ_NR 4
#endif
#ifndef QB_I8_MV
#define QB_I8_MV 4
#endif
#ifndef QB_I8_NR
#define QB_I8_NR 5
#endif
#include "x86_zmm_prims.h"

QB_INLINE qvi qv_dot_big(qvi acc, qvi w, qvi x) { return _mm512_dpbusd_epi32(acc, w, x); }
QB_INLINE qvi qv_dot_small(qvi acc, qvi w, qvi x) { return _mm512_dpbusd_epi32(acc, w, x); }

#include "x86_int_template.h"
#include "x86_kquant_template.h"

#pragma clang attribute pop
#endif
