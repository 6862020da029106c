// ref.c: see ref.h. Cross-checked against the shared scalar.c by the driver on every format.
#include "ref.h"
#include <math.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* gcc: the build passes -ffp-contract=off */
#endif

float ref_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t e = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t bits;
    if (e == 0) {
        const float v = (float)man * 0x1p-24f; // subnormal (or zero): exact
        return sign ? -v : v;
    } else if (e == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((e - 15 + 127) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ref_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00 | (uint16_t)((ax >> 13) & 0x3ff);
    if (ax >= 0x477ff000u) return sign | 0x7c00; /* >= 65520 rounds to inf */
    if (ax < 0x38800000u) {                      /* below 2^-14: fp16 subnormal */
        float v;
        memcpy(&v, &ax, 4);
        return sign | (uint16_t)nearbyintf(v * 0x1p24f); /* exact scaling, then round to even */
    }
    return sign | (uint16_t)((ax - 0x38000000u + 0xfffu + ((ax >> 13) & 1)) >> 13);
}

float ref_bf16_to_f32(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t ref_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

static float absmax(const float *x, int n) {
    float a = 0.0f;
    for (int i = 0; i < n; i++) a = fabsf(x[i]) > a ? fabsf(x[i]) : a;
    return a;
}

/// Block b of a row as 32 floats; a partial last block (K not a multiple of 32) is zero-padded, never
/// read past K (docs/kernels.md).
static void block32(const float *x, int K, int b, float out[32]) {
    for (int j = 0; j < 32; j++) out[j] = b * 32 + j < K ? x[b * 32 + j] : 0.0f;
}

void ref_quantize_q8_0(const float *x, void *out, int K) {
    qb_block_q8_0 *y = out;
    for (int b = 0; b < (K + 31) / 32; b++) {
        float v[32];
        block32(x, K, b, v);
        const float d = absmax(v, 32) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t dh = ref_f32_to_f16(d);
        memcpy(&y[b].d, &dh, 2);
        for (int j = 0; j < 32; j++) y[b].qs[j] = (int8_t)roundf(v[j] * id);
    }
}

void ref_quantize_q8_1(const float *x, void *out, int K) {
    qb_block_q8_1 *y = out;
    for (int b = 0; b < (K + 31) / 32; b++) {
        float v[32];
        block32(x, K, b, v);
        const float d = absmax(v, 32) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            y[b].qs[j] = (int8_t)roundf(v[j] * id);
            sum += y[b].qs[j];
        }
        const uint16_t dh = ref_f32_to_f16(d), sh = ref_f32_to_f16((float)sum * d);
        memcpy(&y[b].d, &dh, 2);
        memcpy(&y[b].s, &sh, 2);
    }
}

void ref_quantize_i8_pt(const float *x, int8_t *q, float *scale, int32_t *sums, int group, int K) {
    const float s = absmax(x, K) / 127.0f;
    if (scale) *scale = s;
    for (int k = 0; k < K; k++) {
        const float r = s != 0.0f ? roundf(x[k] / s) : 0.0f;
        q[k] = (int8_t)(r < -127.0f ? -127.0f : r > 127.0f ? 127.0f : r);
    }
    if (sums && group > 0)
        for (int g = 0; g < K / group; g++) {
            int32_t t = 0;
            for (int j = 0; j < group; j++) t += q[g * group + j];
            sums[g] = t;
        }
}

void ref_quantize_bf16(const float *x, uint16_t *out, int K) {
    for (int k = 0; k < K; k++) out[k] = ref_f32_to_bf16(x[k]);
}

static uint16_t rd16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static const uint8_t *wrow(const qb_mat_args *a, int m) { return (const uint8_t *)a->w + (size_t)m * a->w_stride; }
static const uint8_t *xrow(const qb_mat_args *a, int n) { return (const uint8_t *)a->x + (size_t)n * a->x_stride; }
static float *yat(const qb_mat_args *a, int n, int m) { return a->y + (size_t)n * a->ldy + m; }

/// Element e (0..31) of a q4-style 16-byte nibble block: low nibbles are 0..15, high nibbles 16..31.
static int nib(const uint8_t *qs, int e) { return e < 16 ? (qs[e] & 15) : (qs[e - 16] >> 4); }

/// Shapes a format cannot hold (K not a multiple of the 32-element block, or group not a multiple of 32
/// dividing K) get NaN outputs: qbench_kernels.h makes that binding so a caller bug cannot pass for a result.
static int bad_shape(const qb_mat_args *a, int m0, int m1, int grouped) {
    const int ok = grouped ? (a->K >= 0 && a->group > 0 && a->group % 32 == 0 && a->K % a->group == 0)
                           : (a->K >= 0 && a->K % 32 == 0);
    if (ok) return 0;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) *yat(a, n, m) = NAN;
    return 1;
}

void ref_mat_q8_0(const qb_mat_args *a, int m0, int m1) {
    if (bad_shape(a, m0, m1, 0)) return;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            float acc = 0.0f;
            for (int b = 0; b < a->K / 32; b++) {
                const uint8_t *w = wrow(a, m) + b * 34, *x = xrow(a, n) + b * 34;
                int32_t isum = 0;
                for (int j = 0; j < 32; j++) isum += (int8_t)w[2 + j] * (int8_t)x[2 + j];
                acc = fmaf((float)isum, ref_f16_to_f32(rd16(w)) * ref_f16_to_f32(rd16(x)), acc);
            }
            *yat(a, n, m) = acc;
        }
}

void ref_mat_q4_0(const qb_mat_args *a, int m0, int m1) {
    if (bad_shape(a, m0, m1, 0)) return;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            float acc = 0.0f;
            for (int b = 0; b < a->K / 32; b++) {
                const uint8_t *w = wrow(a, m) + b * 18, *x = xrow(a, n) + b * 34;
                int32_t isum = 0;
                for (int j = 0; j < 32; j++) isum += (nib(w + 2, j) - 8) * (int8_t)x[2 + j];
                acc = fmaf((float)isum, ref_f16_to_f32(rd16(w)) * ref_f16_to_f32(rd16(x)), acc);
            }
            *yat(a, n, m) = acc;
        }
}

void ref_mat_q4_1(const qb_mat_args *a, int m0, int m1) {
    if (bad_shape(a, m0, m1, 0)) return;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            float acc = 0.0f;
            for (int b = 0; b < a->K / 32; b++) {
                const uint8_t *w = wrow(a, m) + b * 20, *x = xrow(a, n) + b * 36;
                int32_t isum = 0;
                for (int j = 0; j < 32; j++) isum += nib(w + 4, j) * (int8_t)x[4 + j];
                const float dw = ref_f16_to_f32(rd16(w)), mw = ref_f16_to_f32(rd16(w + 2));
                const float dx = ref_f16_to_f32(rd16(x)), sx = ref_f16_to_f32(rd16(x + 2));
                acc = fmaf((float)isum, dw * dx, fmaf(mw, sx, acc)); /* the m*s term, then the block, each fused */
            }
            *yat(a, n, m) = acc;
        }
}

void ref_mat_i8_pc(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            const int8_t *w = (const int8_t *)wrow(a, m), *x = (const int8_t *)xrow(a, n);
            int32_t isum = 0;
            for (int k = 0; k < a->K; k++) isum += w[k] * x[k];
            float acc = 0.0f;
            acc += (float)isum * (a->w_scales[m] * a->x_scales[n]);
            *yat(a, n, m) = acc;
        }
}

static void ref_mat_4bit_g(const qb_mat_args *a, int m0, int m1, int with_zero) {
    if (bad_shape(a, m0, m1, 1)) return;
    const int G = a->group, ng = a->K / G;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            const uint8_t *w = wrow(a, m);
            const int8_t *x = (const int8_t *)xrow(a, n);
            float acc = 0.0f;
            for (int g = 0; g < ng; g++) {
                const int z = with_zero ? a->w_zeros[(size_t)m * ng + g] : 8;
                int32_t isum = 0;
                for (int k = g * G; k < (g + 1) * G; k++) isum += (nib(w + (k / 32) * 16, k % 32) - z) * x[k];
                acc = fmaf((float)isum, a->w_scales[(size_t)m * ng + g] * a->x_scales[n], acc);
            }
            *yat(a, n, m) = acc;
        }
}
void ref_mat_i4_g(const qb_mat_args *a, int m0, int m1) { ref_mat_4bit_g(a, m0, m1, 0); }
void ref_mat_u4_g(const qb_mat_args *a, int m0, int m1) { ref_mat_4bit_g(a, m0, m1, 1); }

static float felem(int kind, const uint8_t *row, int k) {
    if (kind == REF_F32) {
        float f;
        memcpy(&f, row + 4 * (size_t)k, 4);
        return f;
    }
    const uint16_t h = rd16(row + 2 * (size_t)k);
    return kind == REF_F16 ? ref_f16_to_f32(h) : ref_bf16_to_f32(h);
}

void ref_mat_float(int wkind, int xkind, const qb_mat_args *a, int m0, int m1, float *abs_out) {
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            float acc = 0.0f, aacc = 0.0f;
            for (int k = 0; k < a->K; k++) {
                const float p = felem(wkind, wrow(a, m), k) * felem(xkind, xrow(a, n), k);
                acc += p;
                aacc += fabsf(p);
            }
            *yat(a, n, m) = acc;
            if (abs_out) abs_out[(size_t)n * a->ldy + m] = aacc;
        }
}
