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

/// q8_k, from ggml's definition (quantize_row_q8_K_ref): per 256 elements the value of largest magnitude (the
/// first such on a tie) becomes -127, d = 1/(-127/max) as f32, q = round-to-nearest-even(x * (-127/max)) capped
/// at 127, and int16 sums of each 16 q's. An all-zero block stores zeros. Layout: f32 d, int8 q[256], int16 s[16].
void ref_quantize_q8_k(const float *x, void *out, int K) {
    uint8_t *y = out;
    for (int b = 0; b < (K + 255) / 256; b++, y += 292) {
        float v[256], max = 0.0f, amax = 0.0f;
        for (int j = 0; j < 256; j++) {
            v[j] = b * 256 + j < K ? x[b * 256 + j] : 0.0f;
            if (fabsf(v[j]) > amax) {
                amax = fabsf(v[j]);
                max = v[j];
            }
        }
        int8_t q[256];
        float d = 0.0f;
        if (amax > 0.0f) {
            const float iscale = -127.0f / max;
            for (int j = 0; j < 256; j++) {
                const float r = nearbyintf(iscale * v[j]); /* the default rounding: to nearest, ties to even */
                q[j] = (int8_t)(r > 127.0f ? 127.0f : r);
            }
            d = 1.0f / iscale;
        } else {
            memset(q, 0, sizeof q);
        }
        memcpy(y, &d, 4);
        memcpy(y + 4, q, 256);
        for (int g = 0; g < 16; g++) {
            int16_t t = 0;
            for (int j = 0; j < 16; j++) t = (int16_t)(t + q[16 * g + j]);
            memcpy(y + 260 + 2 * g, &t, 2);
        }
    }
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

void ref_mat_q5_0(const qb_mat_args *a, int m0, int m1) {
    if (bad_shape(a, m0, m1, 0)) return;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            float acc = 0.0f;
            for (int b = 0; b < a->K / 32; b++) {
                const uint8_t *w = wrow(a, m) + b * 22, *x = xrow(a, n) + b * 34; /* d, qh[4], qs[16] */
                const uint32_t qh = (uint32_t)w[2] | (uint32_t)w[3] << 8 | (uint32_t)w[4] << 16 | (uint32_t)w[5] << 24;
                int32_t isum = 0;
                for (int j = 0; j < 32; j++)
                    isum += (nib(w + 6, j) + 16 * (int)((qh >> j) & 1) - 16) * (int8_t)x[2 + j];
                acc = fmaf((float)isum, ref_f16_to_f32(rd16(w)) * ref_f16_to_f32(rd16(x)), acc);
            }
            *yat(a, n, m) = acc;
        }
}

/* ---- k-quants: 256-element super-blocks against q8_k (f32 d at 0, q[256] at 4, int16 bsums[16] at 260) ---- */

static int bad_shape_k(const qb_mat_args *a, int m0, int m1) {
    if (a->K % 256 == 0) return 0;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) *yat(a, n, m) = NAN;
    return 1;
}
static float q8k_d(const uint8_t *x) {
    float d;
    memcpy(&d, x, 4);
    return d;
}
static int q8k_bsum(const uint8_t *x, int g) {
    int16_t s;
    memcpy(&s, x + 260 + 2 * g, 2);
    return s;
}

/// Scale (which = 0) or min (1) of sub-block j of q4_k/q5_k, 6 bits, from the 12 packed bytes `s`: sub-blocks
/// 0-3 keep theirs in the low 6 bits of s[j] (scale) and s[4+j] (min); sub-blocks 4-7 take the low (scale) or
/// high (min) nibble of s[8+(j-4)] and, as bits 4-5, the top two bits of s[j-4] (scale) or s[j] (min).
static int k4_scale(const uint8_t *s, int j, int which) {
    if (j < 4) return s[j + 4 * which] & 63;
    const int low = which ? s[j + 4] >> 4 : s[j + 4] & 15;
    return low | (s[j - 4 * (1 - which)] >> 6) << 4;
}

/// q4_k (144 bytes: fp16 d, fp16 dmin, scales[12], qs[128]) and q5_k (176: the same head, qh[32], qs[128]).
/// Element e = 32j + l (sub-block j) is nibble (j odd: high) of qs[32*(j/2) + l], q5_k adding 16 * bit j of
/// qh[l]; w = d*sc_j*q - dmin*m_j. isum = sum_j sc_j * sum_l q*x and msum = sum_j m_j * (bsums 2j and 2j+1),
/// then acc = fmaf((float)isum, d*dx, fmaf((float)-msum, dmin*dx, acc)).
static void ref_mat_q45_k(const qb_mat_args *a, int m0, int m1, int five) {
    if (bad_shape_k(a, m0, m1)) return;
    const int bb = five ? 176 : 144;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            float acc = 0.0f;
            for (int b = 0; b < a->K / 256; b++) {
                const uint8_t *w = wrow(a, m) + b * bb, *x = xrow(a, n) + b * 292;
                const uint8_t *qh = w + 16, *qs = w + (five ? 48 : 16);
                int32_t isum = 0, msum = 0;
                for (int j = 0; j < 8; j++) {
                    int32_t dot = 0;
                    for (int l = 0; l < 32; l++) {
                        const int byte = qs[32 * (j / 2) + l];
                        const int q = ((j & 1) ? byte >> 4 : byte & 15) + (five ? 16 * ((qh[l] >> j) & 1) : 0);
                        dot += q * (int8_t)x[4 + 32 * j + l];
                    }
                    isum += k4_scale(w + 4, j, 0) * dot;
                    msum += k4_scale(w + 4, j, 1) * (q8k_bsum(x, 2 * j) + q8k_bsum(x, 2 * j + 1));
                }
                const float d = ref_f16_to_f32(rd16(w)), dmin = ref_f16_to_f32(rd16(w + 2)), dx = q8k_d(x);
                acc = fmaf((float)isum, d * dx, fmaf((float)-msum, dmin * dx, acc));
            }
            *yat(a, n, m) = acc;
        }
}
void ref_mat_q4_k(const qb_mat_args *a, int m0, int m1) { ref_mat_q45_k(a, m0, m1, 0); }
void ref_mat_q5_k(const qb_mat_args *a, int m0, int m1) { ref_mat_q45_k(a, m0, m1, 1); }

/// q6_k (210 bytes: ql[128], qh[64], int8 scales[16], fp16 d). Element e: half h = e/128, r = e%128, quarter
/// t = r/32, l = r%32: low 4 bits from qs byte ql[64h + 32*(t&1) + l] (t >= 2: its high nibble), bits 4-5 from
/// bits 2t, 2t+1 of qh[32h + l]; q - 32 is the signed quant. isum = sum over the 16 sub-blocks of 16 of
/// scales[j] * dot_j, then acc = fmaf((float)isum, d*dx, acc).
void ref_mat_q6_k(const qb_mat_args *a, int m0, int m1) {
    if (bad_shape_k(a, m0, m1)) return;
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) {
            float acc = 0.0f;
            for (int b = 0; b < a->K / 256; b++) {
                const uint8_t *w = wrow(a, m) + b * 210, *x = xrow(a, n) + b * 292;
                int32_t isum = 0;
                for (int j = 0; j < 16; j++) {
                    int32_t dot = 0;
                    for (int e = 16 * j; e < 16 * j + 16; e++) {
                        const int h = e / 128, t = (e % 128) / 32, l = e % 32;
                        const int lo = w[64 * h + 32 * (t & 1) + l], hi = w[128 + 32 * h + l];
                        const int q = ((t >= 2 ? lo >> 4 : lo & 15) | ((hi >> (2 * t)) & 3) << 4) - 32;
                        dot += q * (int8_t)x[4 + e];
                    }
                    isum += (int8_t)w[192 + j] * dot;
                }
                acc = fmaf((float)isum, ref_f16_to_f32(rd16(w + 208)) * q8k_d(x), acc);
            }
            *yat(a, n, m) = acc;
        }
}
