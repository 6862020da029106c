// Plain-C helpers shared by the scalar reference and the x86 files: exact fp16/bf16 conversions (the
// software versions are the truth the F16C/AVX-512 instructions are checked against), rounding, shape checks.
// Everything is static inline and target-neutral, so any variant may inline it.
#ifndef QBENCH_QB_REF_H
#define QBENCH_QB_REF_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "qbench_kernels.h"

#define QB_INLINE static inline __attribute__((always_inline))

static inline uint32_t qb_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float qb_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/// IEEE binary16 bits to f32, exact (NaNs come back quiet, as vcvtph2ps returns them).
static inline float qb_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0) {
        const float v = (float)man * 5.9604644775390625e-8f; /* man * 2^-24, exact */
        return qb_bits_f32(qb_f32_bits(v) | sign);
    }
    if (exp == 31) return qb_bits_f32(sign | 0x7f800000u | (man << 13) | (man ? 0x400000u : 0));
#ifdef QB_PLANT_F16_BUG /* test-only mutant (`make mutants`): one mantissa pattern decoded one ulp off */
    if (man == 0x155u) return qb_bits_f32(sign | ((exp + 112u) << 23) | ((man ^ 1u) << 13));
#endif
    return qb_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

/// f32 to IEEE binary16 bits, round to nearest even, subnormals kept (what F16C's vcvtps2ph imm 0 does and
/// what ggml stores as `d`).
static inline uint16_t qb_f32_to_f16(float f) {
    const uint32_t x = qb_f32_bits(f);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu)); /* NaN, quiet */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);                        /* rounds to inf */
    if (ax < 0x38800000u) {                                                         /* f16 subnormal or 0 */
        /* units of 2^-24: v < 1024 exactly representable before rounding; 1.5*2^23 leaves RNE(v). */
        const float v = qb_bits_f32(ax) * 16777216.0f;
        const float t = v + 12582912.0f;
        const uint32_t q = (qb_f32_bits(t) & 0x7fffffu) - 0x400000u;
        return (uint16_t)(sign | q);
    }
    const uint32_t r = ax + 0xfffu + ((ax >> 13) & 1u);
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
}

/// bf16 bits to f32 (exact).
static inline float qb_bf16_to_f32(uint16_t h) { return qb_bits_f32((uint32_t)h << 16); }

/// f32 to bf16, round to nearest even, NaN kept quiet (ggml_compute_fp32_to_bf16).
static inline uint16_t qb_f32_to_bf16(float f) {
    const uint32_t u = qb_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64u);
    return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

static inline uint16_t qb_load_u16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline float qb_load_f16(const void *p) { return qb_f16_to_f32(qb_load_u16(p)); }

static inline int qb_imin(int a, int b) { return a < b ? a : b; }
static inline int qb_imax(int a, int b) { return a > b ? a : b; }

/// The 6-bit scale and min of sub-block j (0..7) of a q4_k/q5_k super-block from its packed scales[12]
/// (ggml's get_scale_min_k4): j < 4 in the low 6 bits of bytes j and j+4; else 4 bits of byte j+4 and the top
/// 2 bits of bytes j-4 (scale) and j (min).
static inline void qb_scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *mn) {
    if (j < 4) {
        *sc = q[j] & 63;
        *mn = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *mn = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/// The 256 signed quants (-32..31) of a q6_k super-block in element order.
static inline void qb_unpack_q6_k(const qb_block_q6_k *w, int8_t *q) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = w->ql + 64 * h, *qh = w->qh + 32 * h;
        int8_t *o = q + 128 * h;
        for (int l = 0; l < 32; l++) {
            o[l] = (int8_t)(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            o[l + 32] = (int8_t)(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            o[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            o[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

/// Format codes shared by the x86 kernels and the repack routines.
enum { QB_F_Q8_0, QB_F_Q4_0, QB_F_Q4_1, QB_F_I8_PC, QB_F_I4, QB_F_U4, QB_F_F16, QB_F_BF16, QB_F_F32, QB_F_Q5_0 };

/// Whether the shape fits the format: blocks need K % 32 == 0, groups a multiple of 32 dividing K.
static inline int qb_shape_ok(int fmt, int K, int group) {
    if (K < 0) return 0;
    switch (fmt) {
    case QB_F_Q8_0: case QB_F_Q4_0: case QB_F_Q4_1: case QB_F_Q5_0: return K % QB_QK == 0;
    case QB_F_I4: case QB_F_U4: return group > 0 && group % QB_QK == 0 && K % group == 0;
    default: return 1;
    }
}

/// Rejected shapes get NaN outputs so a caller bug cannot pass for a result.
static inline void qb_fill_nan(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) a->y[(size_t)n * a->ldy + m] = __builtin_nanf("");
}

/// Outputs of an empty reduction (K = 0) are 0, as the scalar loops leave them.
static inline void qb_fill_zero(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1 && m < a->M; m++) a->y[(size_t)n * a->ldy + m] = 0.0f;
}

#endif
