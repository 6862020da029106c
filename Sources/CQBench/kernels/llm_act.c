// Gated FFN activations and exp for the LLM forward pass (include/qbench_llm.h).
#include "qbench_llm.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define QB_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define QB_CLONES
#endif

/// exp(x): x = n ln2 + r with |r| <= ln2/2, e^r by its degree-6 Taylor polynomial (Horner), times 2^n built in the
/// exponent bits. Inputs are clamped to [-87.3, 88.3] (so 2^n is a normal float), so it never makes inf or a
/// denormal; every step is branch-free so loops over it vectorise.
static inline float qb_expf_poly(float x) {
    x = x < -87.3f ? -87.3f : x > 88.3f ? 88.3f : x; /* n stays in [-126, 127]: a normal 2^n */
    const float t = x * 1.44269504088896341f + 12582912.0f; /* 1.5 * 2^23: rounds to an integer in the low bits */
    const float n = t - 12582912.0f;
    const float r = (x - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t tb;
    memcpy(&tb, &t, 4);
    const int32_t bits = (tb - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

QB_CLONES void qb_llm_gelu_tanh_mul(const float *g, const float *u, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float x = g[i];
        const float z = 0.797884560802865f * x * (1.0f + 0.044715f * x * x);
        /* tanh z = 1 - 2 / (e^(2z) + 1): exact at both ends (e^(2z) clamps to 0 or a huge value) */
        const float th = 1.0f - 2.0f / (qb_expf_poly(2.0f * z) + 1.0f);
        y[i] = 0.5f * x * (1.0f + th) * u[i];
    }
}

QB_CLONES void qb_llm_silu_mul(const float *g, const float *u, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float x = g[i];
        y[i] = x / (1.0f + qb_expf_poly(-x)) * u[i];
    }
}

QB_CLONES void qb_llm_exp(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = qb_expf_poly(x[i]);
}
