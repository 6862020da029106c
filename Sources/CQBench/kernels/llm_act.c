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

typedef float qb_v16 __attribute__((ext_vector_type(16)));

/* Macros, not functions: a 64-byte vector passed or returned by value would change the ABI between the clones. */
#define QB_LD16(p)                                                                                                \
    ({                                                                                                            \
        qb_v16 v_;                                                                                                \
        memcpy(&v_, (p), sizeof v_);                                                                              \
        v_;                                                                                                       \
    })

/// Lanes of `vec` summed pairwise (8 + 8, 4 + 4, 2 + 2, 1 + 1) into float `dst`: a fixed order.
#define QB_HSUM16(dst, vec)                                                                                       \
    do {                                                                                                          \
        float h_[16];                                                                                             \
        memcpy(h_, &(vec), sizeof h_);                                                                            \
        for (int w_ = 8; w_ >= 1; w_ /= 2)                                                                        \
            for (int i_ = 0; i_ < w_; i_++) h_[i_] += h_[i_ + w_];                                                \
        (dst) = h_[0];                                                                                            \
    } while (0)

QB_CLONES void qb_llm_attend(const float *q, int nq, const float *k, size_t k_stride, const float *v, size_t v_stride,
                             int lo, int hi, int head_dim, int value_dim, float scale, float *scores, float *out) {
    const int n = hi - lo + 1, hc = head_dim / 16, vc = value_dim / 16;
    if (nq < 1 || nq > 8 || n < 1) return;
    /* scores: each key is loaded once for all nq queries; 16 dimensions at a time, then the rest one by one */
    for (int j = 0; j < n; j++) {
        const float *kj = k + (size_t)(lo + j) * k_stride;
        qb_v16 acc[8];
        for (int g = 0; g < nq; g++) acc[g] = (qb_v16)0.0f;
        for (int c = 0; c < hc; c++) {
            const qb_v16 kv = QB_LD16(kj + c * 16);
            for (int g = 0; g < nq; g++) acc[g] += QB_LD16(q + (size_t)g * head_dim + c * 16) * kv;
        }
        for (int g = 0; g < nq; g++) {
            float d;
            QB_HSUM16(d, acc[g]);
            for (int i = hc * 16; i < head_dim; i++) d += q[(size_t)g * head_dim + i] * kj[i];
            scores[(size_t)g * n + j] = d * scale;
        }
    }
    /* softmax per query: max, exp, sum in index order */
    for (int g = 0; g < nq; g++) {
        float *s = scores + (size_t)g * n;
        float mx = s[0];
        for (int j = 1; j < n; j++) mx = s[j] > mx ? s[j] : mx;
        for (int j = 0; j < n; j++) s[j] = qb_expf_poly(s[j] - mx);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += s[j];
        const float inv = 1.0f / sum;
        for (int j = 0; j < n; j++) s[j] *= inv;
    }
    /* out = P V, 16 columns at a time (each value chunk loaded once for all nq queries), then the rest */
    for (int c = 0; c < vc; c++) {
        qb_v16 acc[8];
        for (int g = 0; g < nq; g++) acc[g] = (qb_v16)0.0f;
        for (int j = 0; j < n; j++) {
            const qb_v16 vv = QB_LD16(v + (size_t)(lo + j) * v_stride + c * 16);
            for (int g = 0; g < nq; g++) acc[g] += scores[(size_t)g * n + j] * vv;
        }
        for (int g = 0; g < nq; g++) memcpy(out + (size_t)g * value_dim + c * 16, &acc[g], sizeof acc[g]);
    }
    for (int i = vc * 16; i < value_dim; i++)
        for (int g = 0; g < nq; g++) {
            float a = 0;
            for (int j = 0; j < n; j++) a += scores[(size_t)g * n + j] * v[(size_t)(lo + j) * v_stride + i];
            out[(size_t)g * value_dim + i] = a;
        }
}
