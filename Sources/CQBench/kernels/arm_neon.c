// Baseline AArch64 Advanced SIMD (asimd) kernels: every integer format through widening multiplies,
// the float formats (f32, f16 widened by fcvtl, bf16 widened by shift) with f32 FMA, and the activation
// quantizers. Requires only "asimd", which every AArch64 Linux system has.
#if defined(__aarch64__)
#include "arm_common.h"

QB_ARM_NO_CONTRACT

#define QB_V neon
#define QB_VATTR
#define QB_DOT16(c, a, b) qb_neon_dot16(c, a, b)
#include "arm_int_template.h"

/* ---------------- float weights ---------------- */

enum { QT_F32, QT_F16, QT_BF16 };

QB_ARM_INLINE float32x4_t qt_load4(int t, const void *row, int k) {
    if (t == QT_F32) return vld1q_f32((const float *)row + k);
    const uint16x4_t h = vld1_u16((const uint16_t *)row + k);
    if (t == QT_F16) return vcvt_f32_f16(vreinterpret_f16_u16(h));
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
}
QB_ARM_INLINE float qt_load1(int t, const void *row, int k) {
    if (t == QT_F32) return ((const float *)row)[k];
    if (t == QT_F16) return qb_arm_f16((const uint16_t *)row + k);
    const uint32_t u = (uint32_t)((const uint16_t *)row)[k] << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/// Float dot products, 4 weight rows by NR activation rows, k in steps of 4 with f32 FMA. The summation
/// order differs from the scalar loop, so these are verified with a tolerance, not bit for bit.
QB_ARM_INLINE void qt_float_kernel(const int wt, const int xt, const int NR, const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    const int K = a->K, K4 = K & ~3;
    const uint8_t *W = (const uint8_t *)a->w;
    const uint8_t *X = (const uint8_t *)a->x;
    for (int n = 0; n < a->N; n += NR) {
        const void *xr[NR];
        for (int j = 0; j < NR; j++) xr[j] = X + (size_t)qb_arm_min(n + j, a->N - 1) * a->x_stride;
        for (int m = m0; m < m1; m += 4) {
            const void *wr[4];
            for (int i = 0; i < 4; i++) wr[i] = W + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride;
            float32x4_t acc[NR][4];
            for (int j = 0; j < NR; j++)
                for (int i = 0; i < 4; i++) acc[j][i] = vdupq_n_f32(0.0f);
            for (int k = 0; k < K4; k += 4) {
                float32x4_t w[4];
                for (int i = 0; i < 4; i++) w[i] = qt_load4(wt, wr[i], k);
                for (int j = 0; j < NR; j++) {
                    const float32x4_t x = qt_load4(xt, xr[j], k);
                    for (int i = 0; i < 4; i++) acc[j][i] = vfmaq_f32(acc[j][i], w[i], x);
                }
            }
            for (int j = 0; j < NR; j++) {
                if (n + j >= a->N) break;
                float out[4];
                vst1q_f32(out, qb_arm_hsum4_f32(acc[j][0], acc[j][1], acc[j][2], acc[j][3]));
                for (int i = 0; i < 4; i++)
                    for (int k = K4; k < K; k++) out[i] += qt_load1(wt, wr[i], k) * qt_load1(xt, xr[j], k);
                float *y = a->y + (size_t)(n + j) * a->ldy;
                for (int i = 0; i < 4 && m + i < m1; i++) y[m + i] = out[i];
            }
        }
    }
}

void qb_gemv_f32_f32_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_F32, QT_F32, 1, a, m0, m1); }
void qb_gemm_f32_f32_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_F32, QT_F32, 4, a, m0, m1); }
void qb_gemv_f16_f32_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_F16, QT_F32, 1, a, m0, m1); }
void qb_gemm_f16_f32_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_F16, QT_F32, 4, a, m0, m1); }
void qb_gemv_bf16_f32_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_BF16, QT_F32, 1, a, m0, m1); }
void qb_gemm_bf16_f32_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_BF16, QT_F32, 4, a, m0, m1); }
void qb_gemv_bf16_bf16_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_BF16, QT_BF16, 1, a, m0, m1); }
void qb_gemm_bf16_bf16_neon(const qb_mat_args *a, int m0, int m1) { qt_float_kernel(QT_BF16, QT_BF16, 4, a, m0, m1); }

/* ---------------- activation quantizers (bit-exact with the scalar reference) ---------------- */

static inline float qb_neon_absmax(const float *x, int n) {
    float32x4_t m = vdupq_n_f32(0.0f);
    int k = 0;
    for (; k + 4 <= n; k += 4) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + k)));
    float r = vmaxvq_f32(m); // max is order-free, so this equals the scalar loop
    for (; k < n; k++) {
        const float v = x[k] < 0 ? -x[k] : x[k];
        r = v > r ? v : r;
    }
    return r;
}

/// 32 values times `id`, rounded half away from zero (fcvtas = roundf), as int8 into q; returns their sum.
static inline int32_t qb_neon_round32(const float *x, float id, int8_t *q) {
    int32_t sum = 0;
    for (int j = 0; j < 32; j += 8) {
        const int32x4_t a = vcvtaq_s32_f32(vmulq_n_f32(vld1q_f32(x + j), id));
        const int32x4_t b = vcvtaq_s32_f32(vmulq_n_f32(vld1q_f32(x + j + 4), id));
        const int16x8_t h = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b));
        vst1_s8(q + j, vqmovn_s16(h));
        sum += vaddvq_s32(vaddq_s32(a, b));
    }
    return sum;
}

/// Block b of the row: in place, or (the partial last block when K is not a multiple of 32) a zero-padded
/// copy in `pad`, so the row is never read past K and the block is still written (docs/kernels.md).
static inline const float *qb_neon_block(const float *x, int K, int b, float pad[QB_QK]) {
    const int k0 = b * QB_QK;
    if (k0 + QB_QK <= K) return x + k0;
    memset(pad, 0, QB_QK * sizeof(float));
    memcpy(pad, x + k0, (size_t)(K - k0) * sizeof(float));
    return pad;
}

/// q8_0 activations exactly as ggml's quantize_row_q8_0_ref: d = amax/127, q = roundf(x * (1/d)); a
/// partial last block is zero-padded (ggml asserts K % 32 == 0 instead).
void qb_quantize_row_q8_0_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    qb_block_q8_0 *y = (qb_block_q8_0 *)out;
    float pad[QB_QK];
    for (int b = 0; b < (K + QB_QK - 1) / QB_QK; b++) {
        const float *xb = qb_neon_block(x, K, b, pad);
        const float d = qb_neon_absmax(xb, QB_QK) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t dh = qb_arm_f32_to_f16(d);
        memcpy(&y[b].d, &dh, 2);
        (void)qb_neon_round32(xb, id, y[b].qs);
    }
}

/// q8_1 activations as ggml's quantize_row_q8_1_ref: q8_0 plus s = fp16(sum(q) * d); partial block as q8_0.
void qb_quantize_row_q8_1_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    qb_block_q8_1 *y = (qb_block_q8_1 *)out;
    float pad[QB_QK];
    for (int b = 0; b < (K + QB_QK - 1) / QB_QK; b++) {
        const float *xb = qb_neon_block(x, K, b, pad);
        const float d = qb_neon_absmax(xb, QB_QK) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const int32_t sum = qb_neon_round32(xb, id, y[b].qs);
        const uint16_t dh = qb_arm_f32_to_f16(d), sh = qb_arm_f32_to_f16((float)sum * d);
        memcpy(&y[b].d, &dh, 2);
        memcpy(&y[b].s, &sh, 2);
    }
}

/// Per-token int8 (docs/layouts.md): s = absmax/127, q = round_half_away(x/s) (a true division, as the
/// layout states), per-group sums of q when asked.
void qb_quantize_row_i8_pt_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    int8_t *q = (int8_t *)out;
    const float s = qb_neon_absmax(x, K) / 127.0f;
    if (scale) *scale = s;
    int k = 0;
    if (s != 0.0f) {
        const float32x4_t sv = vdupq_n_f32(s);
        const int32x4_t lo = vdupq_n_s32(-127), hi = vdupq_n_s32(127);
        for (; k + 8 <= K; k += 8) {
            const int32x4_t a = vminq_s32(vmaxq_s32(vcvtaq_s32_f32(vdivq_f32(vld1q_f32(x + k), sv)), lo), hi);
            const int32x4_t b = vminq_s32(vmaxq_s32(vcvtaq_s32_f32(vdivq_f32(vld1q_f32(x + k + 4), sv)), lo), hi);
            vst1_s8(q + k, vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b))));
        }
        for (; k < K; k++) {
            int32_t v = vcvtas_s32_f32(x[k] / s);
            q[k] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
        }
    } else {
        memset(q, 0, (size_t)K);
    }
    if (sums && group > 0) {
        for (int g = 0; g < K / group; g++) {
            int32_t t = 0;
            int j = 0;
            for (; j + 16 <= group; j += 16) t += vaddlvq_s8(vld1q_s8(q + (size_t)g * group + j));
            for (; j < group; j++) t += q[(size_t)g * group + j];
            sums[g] = t;
        }
    }
}

/// f32 -> bf16 bits, round to nearest even; NaN stays NaN (quieted), as ggml and gguf-py do.
void qb_quantize_row_bf16_neon(const float *x, void *out, float *scale, int32_t *sums, int group, int K) {
    (void)scale; (void)sums; (void)group;
    uint16_t *h = (uint16_t *)out;
    int k = 0;
    for (; k + 4 <= K; k += 4) {
        const uint32x4_t u = vreinterpretq_u32_f32(vld1q_f32(x + k));
        const uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
        const uint32x4_t rne = vshrq_n_u32(vaddq_u32(u, vaddq_u32(vdupq_n_u32(0x7fff), lsb)), 16);
        const uint32x4_t nan = vorrq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x40));
        const uint32x4_t isnan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7fffffff)), vdupq_n_u32(0x7f800000));
        vst1_u16(h + k, vmovn_u32(vbslq_u32(isnan, nan, rne)));
    }
    for (; k < K; k++) {
        uint32_t u;
        memcpy(&u, x + k, 4);
        h[k] = (u & 0x7fffffff) > 0x7f800000 ? (uint16_t)((u >> 16) | 0x40)
                                             : (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
    }
}
#endif
