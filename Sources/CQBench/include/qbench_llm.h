// Elementwise activations of the LLM forward pass (QBenchLLM): gated FFN activations over whole rows. Vectorised
// C with a polynomial exp (relative error below 5e-7 over the float range, checked by a test), so prefill does
// not spend a fifth of its time in libm's scalar tanhf/expf. On x86-64 Linux each function is cloned for AVX-512,
// AVX2 and the baseline, chosen at load time by the CPU's features (the clones compute the same polynomial).
#ifndef QBENCH_LLM_H
#define QBENCH_LLM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = gelu_tanh(g[i]) * u[i], gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void qb_llm_gelu_tanh_mul(const float *g, const float *u, float *y, size_t n);

/// y[i] = silu(g[i]) * u[i], silu(x) = x / (1 + exp(-x)).
void qb_llm_silu_mul(const float *g, const float *u, float *y, size_t n);

/// exp(x[i]) into y[i] (the same polynomial; for the attention softmax).
void qb_llm_exp(const float *x, float *y, size_t n);

/// Causal attention of `nq` query heads that share one key/value head, over the cached positions lo...hi:
/// out[g] = softmax_j(scale * q[g] . K[j]) V[j] for g < nq. q[g] starts at q + g * head_dim; K[j] at
/// k + j * k_stride, V[j] at v + j * v_stride; out[g] at out + g * value_dim. `scores` holds nq * (hi - lo + 1)
/// floats of scratch. nq is 1 to 8 (nothing is written otherwise). Dimensions run 16 at a time, then the rest one
/// by one; the sums run in a fixed order, so every clone gives the same bits.
void qb_llm_attend(const float *q, int nq, const float *k, size_t k_stride, const float *v, size_t v_stride, int lo,
                   int hi, int head_dim, int value_dim, float scale, float *scores, float *out);

#ifdef __cplusplus
}
#endif

#endif
