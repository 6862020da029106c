// AVX-512 VNNI (Cascade Lake and later, Zen 4): vpdpbusd on zmm for every integer format, over the x16
// layouts (qb_x16.h). These are the fast integer paths: 16 output rows per instruction, exact int32 per lane.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qb_x16.h"

#pragma STDC FP_CONTRACT OFF
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), apply_to = function)

#define QB_VARIANT avx512_vnni
#define QB_GEMV_MV 4
#define QB_GEMM_MV 2
#define QB_GEMM_NR 6
#include "x86_zmm_prims.h"

QB_INLINE qvi qv_dot_big(qvi acc, qvi w, qvi x) { return _mm512_dpbusd_epi32(acc, w, x); }
QB_INLINE qvi qv_dot_small(qvi acc, qvi w, qvi x) { return _mm512_dpbusd_epi32(acc, w, x); }

#include "x86_int_template.h"

#pragma clang attribute pop
#endif
