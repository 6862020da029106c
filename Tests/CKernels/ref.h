// A deliberately plain second scalar reference, written from docs/layouts.md and the numeric contract of
// qbench_kernels.h / docs/kernels.md, not from the shared scalar.c. The ARM driver checks that it agrees with
// scalar.c bit for bit on every format (the ARM kernels themselves are checked against scalar.c), so a
// divergence between the two readings of the contract fails the test; it also supplies sum|w*x|, the scale
// of the per-output float bound. No SIMD, no reordering: one output at a time, blocks in increasing k, and
// `acc = fmaf((float)isum, dw*dx, acc)`, one fused multiply-add per block (i8_pc: `0 + isum*(sw*sx)`, no
// FMA); NaN for shapes a format cannot hold.
#ifndef QB_TEST_REF_H
#define QB_TEST_REF_H
#include <stdint.h>
#include "qbench_kernels.h"

float ref_f16_to_f32(uint16_t h);
uint16_t ref_f32_to_f16(float f);
float ref_bf16_to_f32(uint16_t h);
uint16_t ref_f32_to_bf16(float f);

void ref_quantize_q8_0(const float *x, void *out, int K);
void ref_quantize_q8_1(const float *x, void *out, int K);
void ref_quantize_i8_pt(const float *x, int8_t *q, float *scale, int32_t *sums, int group, int K);
void ref_quantize_bf16(const float *x, uint16_t *out, int K);
void ref_quantize_q8_k(const float *x, void *out, int K); /* 256-element blocks; a partial last one zero-padded */

void ref_mat_q8_0(const qb_mat_args *a, int m0, int m1);  /* q8_0 weights, q8_0 activations */
void ref_mat_q4_0(const qb_mat_args *a, int m0, int m1);  /* q4_0 weights, q8_0 activations */
void ref_mat_q4_1(const qb_mat_args *a, int m0, int m1);  /* q4_1 weights, q8_1 activations */
void ref_mat_i8_pc(const qb_mat_args *a, int m0, int m1); /* i8_pc weights, i8_pt activations */
void ref_mat_i4_g(const qb_mat_args *a, int m0, int m1);  /* i4_gN weights (N = a->group), i8_pt */
void ref_mat_u4_g(const qb_mat_args *a, int m0, int m1);  /* u4_gN weights, i8_pt (+ x_sums unused) */
void ref_mat_q5_0(const qb_mat_args *a, int m0, int m1);  /* q5_0 weights, q8_0 activations */
/* k-quants: 256-element super-blocks, q8_k activations; one epilogue per super-block (K % 256 != 0: NaN) */
void ref_mat_q4_k(const qb_mat_args *a, int m0, int m1);
void ref_mat_q5_k(const qb_mat_args *a, int m0, int m1);
void ref_mat_q6_k(const qb_mat_args *a, int m0, int m1);

/// Float weights/activations: kinds 0 f32, 1 f16, 2 bf16. Also writes sum_k |w*x| per output into
/// `abs_out` (same layout as y) when non-NULL, the scale for float tolerances.
enum { REF_F32 = 0, REF_F16 = 1, REF_BF16 = 2 };
void ref_mat_float(int wkind, int xkind, const qb_mat_args *a, int m0, int m1, float *abs_out);
#endif
