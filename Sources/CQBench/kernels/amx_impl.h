// AMX kernels (i8_pc, q8_0, bf16 gemm), written once over tile operations that the includer defines:
//   amx.c       the real _tile_* intrinsics (needs amx-tile/amx-int8/amx-bf16; never executed on a machine
//               without AMX, so these entries report `unverified` there)
//   amx_emul.c  a plain-C tile emulator with the same register file semantics, so the tiling, packing and
//               epilogue logic below is verified against scalar on any machine.
// The includer defines QB_AMX_SUFFIX(name), QB_AMX_PREPARE() (permission; returns 0 when tiles are usable),
// and QB_TCFG(cfg), QB_TZERO(t), QB_TLOAD(t, p, stride), QB_TSTORE(t, p, stride), QB_TDPBSSD(c, a, b),
// QB_TDPBF16PS(c, a, b), QB_TRELEASE() with literal tile numbers.
//
// Tiles: A = 16 weight rows x 64 bytes (weights used as stored: row-major int8 / bf16, or q8_0 block quants),
// B = activations packed per call in the VNNI order (B[k/4][n][4] for int8, B[k/2][n][2] for bf16),
// C = 16 x 16 int32 / f32 accumulators: C[m][n] is output y[n][m]. Two A and two B tiles feed four C tiles.
// Ragged edges use zero-padded copies (rows past M, k past K), so no tile load reads outside its buffer.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qb_ref.h"

#if defined(__clang__) /* gcc has no STDC pragmas; the build passes -ffp-contract=off too */
#pragma STDC FP_CONTRACT OFF
#endif

typedef struct __attribute__((packed)) {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} qb_amx_cfg;

/// Tiles 0-3: C (16 x 64 bytes); 4-5: A (16 rows x acolsb); 6-7: B (brows x 64 bytes).
static void qb_amx_cfg_init(qb_amx_cfg *c, int acolsb, int brows) {
    memset(c, 0, sizeof(*c));
    c->palette = 1;
    for (int t = 0; t < 4; t++) { c->rows[t] = 16; c->colsb[t] = 64; }
    for (int t = 4; t < 6; t++) { c->rows[t] = 16; c->colsb[t] = (uint16_t)acolsb; }
    for (int t = 6; t < 8; t++) { c->rows[t] = (uint8_t)brows; c->colsb[t] = 64; }
}

/// A tile source for rows [r0, r0+16) and bytes [c0, c0+cb) of a row-major matrix: the matrix itself when
/// the block is inside it, else a zero-padded copy in `pad` (16 x cb bytes).
static const uint8_t *qb_amx_a_src(const uint8_t *w, size_t stride, int rows, size_t row_bytes, int r0, size_t c0,
                                   int cb, uint8_t *pad, size_t *out_stride) {
    if (r0 + 16 <= rows && c0 + (size_t)cb <= row_bytes) {
        *out_stride = stride;
        return w + (size_t)r0 * stride + c0;
    }
    memset(pad, 0, (size_t)16 * cb);
    for (int r = 0; r < 16 && r0 + r < rows; r++) {
        const size_t n = c0 < row_bytes ? (row_bytes - c0 < (size_t)cb ? row_bytes - c0 : (size_t)cb) : 0;
        memcpy(pad + (size_t)r * cb, w + (size_t)(r0 + r) * stride + c0, n);
    }
    *out_stride = (size_t)cb;
    return pad;
}

static void qb_amx_store_rows(const qb_mat_args *a, int m0, int m1, int mt, int nt, const float *c /*[16][16]*/) {
    for (int r = 0; r < 16; r++) {
        const int m = mt + r;
        if (m < m0 || m >= m1 || m >= a->M) continue;
        for (int j = 0; j < 16 && nt + j < a->N; j++) a->y[(size_t)(nt + j) * a->ldy + m] = c[r * 16 + j];
    }
}

/* ------------------------------------------------------------------ i8_pc x i8_pt */

void QB_AMX_SUFFIX(qb_gemm_i8_pc_i8_pt)(const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    if (QB_AMX_PREPARE() != 0) { qb_fill_nan(a, m0, m1); return; }
    const int K = a->K, kb = (K + 63) / 64, nt = (a->N + 15) / 16;
    /* B[nt][kb][16 k-quads][16 n][4] */
    uint8_t *B = (uint8_t *)calloc((size_t)nt * kb, 1024);
    if (!B && (size_t)nt * kb) { qb_fill_nan(a, m0, m1); return; }
    for (int n = 0; n < a->N; n++) {
        const int8_t *x = (const int8_t *)a->x + (size_t)n * a->x_stride;
        for (int k = 0; k < K; k++)
            B[((size_t)(n / 16) * kb + k / 64) * 1024 + (size_t)((k % 64) / 4) * 64 + (n % 16) * 4 + (k % 4)] =
                (uint8_t)x[k];
    }
    uint8_t pad[2][16 * 64];
    int32_t cbuf[4][256];
    float out[256];
    qb_amx_cfg cfg;
    qb_amx_cfg_init(&cfg, 64, 16);
    QB_TCFG(&cfg);
    const int mt0 = m0 / 16 * 16, mlim = qb_imin(m1, a->M);
    for (int n0 = 0; n0 < nt; n0 += 2) {
        for (int mt = mt0; mt < mlim; mt += 32) {
            QB_TZERO(0); QB_TZERO(1); QB_TZERO(2); QB_TZERO(3);
            for (int b = 0; b < kb; b++) {
                size_t s0, s1;
                const uint8_t *A0 = qb_amx_a_src((const uint8_t *)a->w, a->w_stride, a->M,
                                                 (size_t)K, mt, (size_t)b * 64, 64, pad[0], &s0);
                const uint8_t *A1 = qb_amx_a_src((const uint8_t *)a->w, a->w_stride, a->M,
                                                 (size_t)K, mt + 16, (size_t)b * 64, 64, pad[1], &s1);
                const uint8_t *B0 = B + ((size_t)n0 * kb + b) * 1024;
                const uint8_t *B1 = n0 + 1 < nt ? B + ((size_t)(n0 + 1) * kb + b) * 1024 : B0;
                QB_TLOAD(4, A0, s0); QB_TLOAD(5, A1, s1);
                QB_TLOAD(6, B0, 64); QB_TLOAD(7, B1, 64);
                QB_TDPBSSD(0, 4, 6); QB_TDPBSSD(1, 4, 7); QB_TDPBSSD(2, 5, 6); QB_TDPBSSD(3, 5, 7);
            }
            QB_TSTORE(0, cbuf[0], 64); QB_TSTORE(1, cbuf[1], 64); QB_TSTORE(2, cbuf[2], 64); QB_TSTORE(3, cbuf[3], 64);
            for (int t = 0; t < 4; t++) {
                const int m_base = mt + (t >> 1) * 16, n_base = (n0 + (t & 1)) * 16;
                if (n_base >= a->N || (t & 1 && n0 + 1 >= nt)) continue;
                for (int r = 0; r < 16; r++)
                    for (int j = 0; j < 16; j++) {
                        const int m = m_base + r, n = n_base + j;
                        float acc = 0.0f;
                        if (m < a->M && n < a->N)
                            acc = acc + (float)cbuf[t][r * 16 + j] * (a->w_scales[m] * a->x_scales[n]);
                        out[r * 16 + j] = acc;
                    }
                qb_amx_store_rows(a, m0, m1, m_base, n_base, out);
            }
        }
    }
    QB_TRELEASE();
    free(B);
}

/* ------------------------------------------------------------------ q8_0 x q8_0: one 32-k tile step per block */

void QB_AMX_SUFFIX(qb_gemm_q8_0_q8_0)(const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    if (a->K % QB_QK != 0) { qb_fill_nan(a, m0, m1); return; }
    if (QB_AMX_PREPARE() != 0) { qb_fill_nan(a, m0, m1); return; }
    const int nb = a->K / QB_QK, nt = (a->N + 15) / 16;
    /* B[nt][nb][8 k-quads][16 n][4], and the activation scales dx[nt][nb][16] */
    uint8_t *B = (uint8_t *)calloc((size_t)nt * nb, 512);
    float *dx = (float *)calloc((size_t)nt * nb * 16, sizeof(float));
    if ((!B || !dx) && (size_t)nt * nb) { free(B); free(dx); qb_fill_nan(a, m0, m1); return; }
    for (int n = 0; n < a->N; n++) {
        const qb_block_q8_0 *x = (const qb_block_q8_0 *)((const uint8_t *)a->x + (size_t)n * a->x_stride);
        for (int b = 0; b < nb; b++) {
            uint8_t *t = B + ((size_t)(n / 16) * nb + b) * 512;
            for (int k = 0; k < 32; k++) t[(k / 4) * 64 + (n % 16) * 4 + (k % 4)] = (uint8_t)x[b].qs[k];
            dx[((size_t)(n / 16) * nb + b) * 16 + n % 16] = qb_f16_to_f32(x[b].d);
        }
    }
    uint8_t pad[2][16 * 32];
    int32_t cbuf[4][256];
    float facc[4][256];
    qb_amx_cfg cfg;
    qb_amx_cfg_init(&cfg, 32, 8);
    QB_TCFG(&cfg);
    const size_t row_bytes = (size_t)nb * sizeof(qb_block_q8_0);
    const int mt0 = m0 / 16 * 16, mlim = qb_imin(m1, a->M);
    for (int n0 = 0; n0 < nt; n0 += 2) {
        for (int mt = mt0; mt < mlim; mt += 32) {
            memset(facc, 0, sizeof(facc));
            for (int b = 0; b < nb; b++) {
                size_t s0, s1;
                const size_t qo = (size_t)b * sizeof(qb_block_q8_0) + 2;
                const uint8_t *A0 = qb_amx_a_src((const uint8_t *)a->w, a->w_stride, a->M,
                                                 row_bytes, mt, qo, 32, pad[0], &s0);
                const uint8_t *A1 = qb_amx_a_src((const uint8_t *)a->w, a->w_stride, a->M,
                                                 row_bytes, mt + 16, qo, 32, pad[1], &s1);
                const uint8_t *B0 = B + ((size_t)n0 * nb + b) * 512;
                const uint8_t *B1 = n0 + 1 < nt ? B + ((size_t)(n0 + 1) * nb + b) * 512 : B0;
                QB_TZERO(0); QB_TZERO(1); QB_TZERO(2); QB_TZERO(3);
                QB_TLOAD(4, A0, s0); QB_TLOAD(5, A1, s1);
                QB_TLOAD(6, B0, 64); QB_TLOAD(7, B1, 64);
                QB_TDPBSSD(0, 4, 6); QB_TDPBSSD(1, 4, 7); QB_TDPBSSD(2, 5, 6); QB_TDPBSSD(3, 5, 7);
                QB_TSTORE(0, cbuf[0], 64); QB_TSTORE(1, cbuf[1], 64);
                QB_TSTORE(2, cbuf[2], 64); QB_TSTORE(3, cbuf[3], 64);
                for (int t = 0; t < 4; t++) {
                    const int m_base = mt + (t >> 1) * 16, ntile = n0 + (t & 1);
                    if (ntile >= nt) continue;
                    const float *dxt = dx + ((size_t)ntile * nb + b) * 16;
                    for (int r = 0; r < 16; r++) {
                        const int m = m_base + r;
                        const float dw = m < a->M ? qb_load_f16((const uint8_t *)a->w + (size_t)m * a->w_stride
                                                                + (size_t)b * sizeof(qb_block_q8_0))
                                                  : 0.0f;
                        for (int j = 0; j < 16; j++)
                            facc[t][r * 16 + j] = fmaf((float)cbuf[t][r * 16 + j], dw * dxt[j], facc[t][r * 16 + j]);
                    }
                }
            }
            for (int t = 0; t < 4; t++) {
                const int ntile = n0 + (t & 1);
                if (ntile < nt) qb_amx_store_rows(a, m0, m1, mt + (t >> 1) * 16, ntile * 16, facc[t]);
            }
        }
    }
    QB_TRELEASE();
    free(B);
    free(dx);
}

/* ------------------------------------------------------------------ bf16 x bf16 (f32 tiles, NMSE-verified) */

void QB_AMX_SUFFIX(qb_gemm_bf16_bf16)(const qb_mat_args *a, int m0, int m1) {
    if (m1 <= m0 || a->N <= 0) return;
    if (QB_AMX_PREPARE() != 0) { qb_fill_nan(a, m0, m1); return; }
    const int K = a->K, kb = (K + 31) / 32, nt = (a->N + 15) / 16;
    /* B[nt][kb][16 k-pairs][16 n][2] bf16 */
    uint16_t *B = (uint16_t *)calloc((size_t)nt * kb, 1024);
    if (!B && (size_t)nt * kb) { qb_fill_nan(a, m0, m1); return; }
    for (int n = 0; n < a->N; n++) {
        const uint16_t *x = (const uint16_t *)((const uint8_t *)a->x + (size_t)n * a->x_stride);
        for (int k = 0; k < K; k++)
            B[((size_t)(n / 16) * kb + k / 32) * 512 + (size_t)((k % 32) / 2) * 32 + (n % 16) * 2 + (k % 2)] = x[k];
    }
    uint8_t pad[2][16 * 64];
    float cbuf[4][256];
    qb_amx_cfg cfg;
    qb_amx_cfg_init(&cfg, 64, 16);
    QB_TCFG(&cfg);
    const int mt0 = m0 / 16 * 16, mlim = qb_imin(m1, a->M);
    for (int n0 = 0; n0 < nt; n0 += 2) {
        for (int mt = mt0; mt < mlim; mt += 32) {
            QB_TZERO(0); QB_TZERO(1); QB_TZERO(2); QB_TZERO(3);
            for (int b = 0; b < kb; b++) {
                size_t s0, s1;
                const uint8_t *A0 = qb_amx_a_src((const uint8_t *)a->w, a->w_stride, a->M,
                                                 (size_t)K * 2, mt, (size_t)b * 64, 64, pad[0], &s0);
                const uint8_t *A1 = qb_amx_a_src((const uint8_t *)a->w, a->w_stride, a->M,
                                                 (size_t)K * 2, mt + 16, (size_t)b * 64, 64, pad[1], &s1);
                const uint16_t *B0 = B + ((size_t)n0 * kb + b) * 512;
                const uint16_t *B1 = n0 + 1 < nt ? B + ((size_t)(n0 + 1) * kb + b) * 512 : B0;
                QB_TLOAD(4, A0, s0); QB_TLOAD(5, A1, s1);
                QB_TLOAD(6, B0, 64); QB_TLOAD(7, B1, 64);
                QB_TDPBF16PS(0, 4, 6); QB_TDPBF16PS(1, 4, 7); QB_TDPBF16PS(2, 5, 6); QB_TDPBF16PS(3, 5, 7);
            }
            QB_TSTORE(0, cbuf[0], 64); QB_TSTORE(1, cbuf[1], 64); QB_TSTORE(2, cbuf[2], 64); QB_TSTORE(3, cbuf[3], 64);
            for (int t = 0; t < 4; t++) {
                const int ntile = n0 + (t & 1);
                if (ntile < nt) qb_amx_store_rows(a, m0, m1, mt + (t >> 1) * 16, ntile * 16, cbuf[t]);
            }
        }
    }
    QB_TRELEASE();
    free(B);
}
