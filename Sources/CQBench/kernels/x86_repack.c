// Load-time repacking into the x16 layouts (qb_x16.h). Plain C: it runs once per weight matrix, and
// keeping it target-neutral lets every x86 variant (and the tests) share one implementation.
#if defined(__x86_64__)
#include <stdlib.h>

#include "qb_protos.h"
#include "qb_x16.h"
#include "qb_kx16.h"

static size_t qb_x16_size(int fmt, int M, int K, int group) {
    qb_x16_geom g;
    if (!qb_x16_geometry(fmt, M, K, group, &g)) return 0;
    return (size_t)g.units * g.chunk;
}

/// Copies the stored q4 bytes of one 32-element block (16 bytes) of row r into unit-local vector order.
static void qb_put_nibbles(uint8_t *dst, int r, const uint8_t *qs16) {
    for (int v = 0; v < 4; v++) memcpy(dst + v * 64 + r * 4, qs16 + v * 4, 4);
}

static void qb_x16_repack(int fmt, const qb_mat_args *s, void *dstv) {
    qb_x16_geom g;
    if (!qb_x16_geometry(fmt, s->M, s->K, s->group, &g)) return;
    uint8_t *dst = (uint8_t *)dstv;
    memset(dst, 0, (size_t)g.units * g.chunk);
    const int K = s->K;
    for (int u = 0; u < g.units; u++) {
        uint8_t *c = dst + (size_t)u * g.chunk;
        uint8_t *data = c + g.data_off;
        /* int8 data of padded rows must still mean w = 0, which is 0x80 after the xor. */
        if (fmt == QB_F_Q8_0 || fmt == QB_F_Q5_0 || fmt == QB_F_I8_PC) memset(data, 0x80, g.chunk - g.data_off);
        for (int r = 0; r < 16; r++) {
            const int m = u * 16 + r;
            if (m >= s->M) break;
            const uint8_t *w = (const uint8_t *)s->w + (size_t)m * s->w_stride;
            switch (fmt) {
            case QB_F_Q8_0:
                for (int b = 0; b < g.ngroups; b++) {
                    const qb_block_q8_0 *blk = (const qb_block_q8_0 *)w + b;
                    memcpy(c + (size_t)b * 32 + r * 2, &blk->d, 2);
                    for (int q = 0; q < 8; q++)
                        for (int j = 0; j < 4; j++)
                            data[(size_t)b * 512 + q * 64 + r * 4 + j] = (uint8_t)blk->qs[q * 4 + j] ^ 0x80u;
                }
                break;
            case QB_F_Q5_0:
                for (int b = 0; b < g.ngroups; b++) {
                    const qb_block_q5_0 *blk = (const qb_block_q5_0 *)w + b;
                    uint32_t qh;
                    memcpy(&qh, blk->qh, 4);
                    memcpy(c + (size_t)b * 32 + r * 2, &blk->d, 2);
                    for (int e = 0; e < 32; e++) {
                        const int nib = e < 16 ? blk->qs[e] & 15 : blk->qs[e - 16] >> 4;
                        const int q = (nib | (int)(((qh >> e) & 1) << 4)) - 16;
                        data[(size_t)b * 512 + (e / 4) * 64 + r * 4 + e % 4] = (uint8_t)(int8_t)q ^ 0x80u;
                    }
                }
                break;
            case QB_F_Q4_0:
                for (int b = 0; b < g.ngroups; b++) {
                    const qb_block_q4_0 *blk = (const qb_block_q4_0 *)w + b;
                    memcpy(c + (size_t)b * 32 + r * 2, &blk->d, 2);
                    qb_put_nibbles(data + (size_t)b * 256, r, blk->qs);
                }
                break;
            case QB_F_Q4_1:
                for (int b = 0; b < g.ngroups; b++) {
                    const qb_block_q4_1 *blk = (const qb_block_q4_1 *)w + b;
                    memcpy(c + (size_t)b * 64 + r * 2, &blk->d, 2);
                    memcpy(c + (size_t)b * 64 + 32 + r * 2, &blk->m, 2);
                    qb_put_nibbles(data + (size_t)b * 256, r, blk->qs);
                }
                break;
            case QB_F_I8_PC:
                memcpy(c + r * 4, &s->w_scales[m], 4);
                for (int k = 0; k < K; k++)
                    data[(size_t)(k / 4) * 64 + r * 4 + (k % 4)] = w[k] ^ 0x80u;
                break;
            case QB_F_I4: case QB_F_U4:
                for (int gi = 0; gi < g.ngroups; gi++) {
                    memcpy(c + (size_t)gi * 64 + r * 4, &s->w_scales[(size_t)m * g.ngroups + gi], 4);
                    if (fmt == QB_F_U4) c[g.zero_off + (size_t)gi * 16 + r] = s->w_zeros[(size_t)m * g.ngroups + gi];
                }
                for (int b = 0; b < K / QB_QK; b++) qb_put_nibbles(data + (size_t)b * 256, r, w + (size_t)b * 16);
                break;
            case QB_F_F16:
                for (int k = 0; k < K; k++) memcpy(data + (size_t)k * 32 + r * 2, w + (size_t)k * 2, 2);
                break;
            case QB_F_BF16:
                for (int k = 0; k < K; k++)
                    memcpy(data + (size_t)(k / 2) * 64 + r * 4 + (k % 2) * 2, w + (size_t)k * 2, 2);
                break;
            case QB_F_F32:
                for (int k = 0; k < K; k++) memcpy(data + (size_t)k * 64 + r * 4, w + (size_t)k * 4, 4);
                break;
            }
        }
    }
}

#define QB_X16_PAIR(name, fmt)                                                                        \
    size_t qb_x16_size_##name(int M, int K, int group) { return qb_x16_size(fmt, M, K, group); }      \
    void qb_x16_repack_##name(const qb_mat_args *s, void *dst) { qb_x16_repack(fmt, s, dst); }

QB_X16_PAIR(q8_0, QB_F_Q8_0)

/* q5_0 packs into the q8_0 layout: each block widened (same d, qs = q - 16), so the q8_0 kernels run it. */
QB_X16_PAIR(q5_0, QB_F_Q5_0)
QB_X16_PAIR(q4_0, QB_F_Q4_0)
QB_X16_PAIR(q4_1, QB_F_Q4_1)
QB_X16_PAIR(i8_pc, QB_F_I8_PC)
QB_X16_PAIR(i4_gN, QB_F_I4)
QB_X16_PAIR(u4_gN, QB_F_U4)
QB_X16_PAIR(f16, QB_F_F16)
QB_X16_PAIR(bf16, QB_F_BF16)
QB_X16_PAIR(f32, QB_F_F32)

/* ---- kx16: the k-quants for the x86 gemm (qb_kx16.h) ---- */

static size_t qb_kx16_size(int fmt, int M, int K) {
    qb_kx16_geom g;
    if (!qb_kx16_geometry(fmt, M, K, &g)) return 0;
    return (size_t)g.units * g.chunk;
}

/// The unsigned quants (q4_k 0..15, q5_k 0..31) of one q4_k/q5_k super-block, in element order.
static void qb_kx16_q45(const uint8_t *blk, int five, uint8_t *q) {
    const uint8_t *qh = blk + 16, *qs = blk + (five ? 48 : 16);
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < 32; l++) {
            const uint8_t byte = qs[32 * (j / 2) + l];
            q[32 * j + l] = (uint8_t)(((j & 1) ? byte >> 4 : byte & 15) | (five && ((qh[l] >> j) & 1) ? 16 : 0));
        }
}

static void qb_kx16_repack(int fmt, const qb_mat_args *s, void *dstv) {
    qb_kx16_geom g;
    if (!qb_kx16_geometry(fmt, s->M, s->K, &g)) return;
    uint8_t *dst = (uint8_t *)dstv;
    memset(dst, 0, (size_t)g.units * g.chunk);
    const size_t bb = fmt == 6 ? sizeof(qb_block_q6_k) : fmt == 5 ? sizeof(qb_block_q5_k) : sizeof(qb_block_q4_k);
    for (int m = 0; m < s->M; m++) {
        const int u = m / 16, r = m % 16;
        const uint8_t *row = (const uint8_t *)s->w + (size_t)m * s->w_stride;
        for (int b = 0; b < g.nb; b++) {
            const uint8_t *blk = row + (size_t)b * bb;
            uint8_t *sb = dst + (size_t)u * g.chunk + (size_t)b * g.sb_bytes;
            uint8_t q[QB_QKK];
            int32_t sc[16];
            float d, dmin = 0.0f;
            if (fmt == 6) {
                const qb_block_q6_k *w = (const qb_block_q6_k *)blk;
                int8_t sq[QB_QKK];
                qb_unpack_q6_k(w, sq);
                int32_t corr = 0;
                for (int j = 0; j < 16; j++) {
                    sc[j] = w->scales[j];
                    int32_t sum = 0;
                    for (int e = 16 * j; e < 16 * j + 16; e++) sum += sq[e];
                    corr += 128 * sc[j] * sum;
                }
                for (int e = 0; e < QB_QKK; e++) q[e] = (uint8_t)sq[e]; /* signed, two's complement */
                memcpy(sb + g.corr_off + r * 4, &corr, 4);
                d = qb_f16_to_f32(w->d);
            } else {
                qb_kx16_q45(blk, fmt == 5, q);
                for (int j = 0; j < 8; j++) {
                    uint8_t scj, mnj;
                    qb_scale_min_k4(j, blk + 4, &scj, &mnj);
                    sc[j] = scj;
                    const int16_t m16 = mnj;
                    memcpy(sb + g.mn_off + (size_t)(j / 2) * 64 + r * 4 + (j % 2) * 2, &m16, 2);
                }
                d = qb_load_f16(blk);
                dmin = qb_load_f16(blk + 2);
                memcpy(sb + 64 + r * 4, &dmin, 4);
            }
            memcpy(sb + r * 4, &d, 4);
            for (int j = 0; j < g.nsub; j++) {
                const int16_t pair[2] = {(int16_t)sc[j], (int16_t)(sc[j] * 256)};
                memcpy(sb + g.sc_off + (size_t)j * 64 + r * 4, pair, 4);
            }
            for (int e = 0; e < QB_QKK; e++) sb[g.data_off + (size_t)(e / 4) * 64 + r * 4 + e % 4] = q[e];
        }
    }
}

#define QB_KX16_PAIR(name, fmt)                                                                        \
    size_t qb_kx16_size_##name(int M, int K, int group) { (void)group; return qb_kx16_size(fmt, M, K); } \
    void qb_kx16_repack_##name(const qb_mat_args *s, void *dst) { qb_kx16_repack(fmt, s, dst); }

QB_KX16_PAIR(q4_k, 4)
QB_KX16_PAIR(q5_k, 5)
QB_KX16_PAIR(q6_k, 6)

/* ---- kn16: the k-quant gemv layout (qb_kx16.h) ---- */

static size_t qb_kn16_size(int fmt, int M, int K) {
    qb_kn16_geom g;
    if (!qb_kn16_geometry(fmt, M, K, &g)) return 0;
    return (size_t)g.units * g.chunk;
}

static void qb_kn16_repack(int fmt, const qb_mat_args *s, void *dstv) {
    qb_kn16_geom g;
    if (!qb_kn16_geometry(fmt, s->M, s->K, &g)) return;
    uint8_t *dst = (uint8_t *)dstv;
    memset(dst, 0, (size_t)g.units * g.chunk);
    for (int m = 0; m < s->M; m++) {
        const int u = m / 16, r = m % 16;
        const uint8_t *row = (const uint8_t *)s->w + (size_t)m * s->w_stride;
        for (int b = 0; b < g.nb; b++) {
            uint8_t *sb = dst + (size_t)u * g.chunk + (size_t)b * g.sb_bytes;
            if (fmt != 6) {
                /* q4_k and q5_k share {d, dmin, scales[12]}; q5_k then has qh[32] before qs[128] */
                const size_t bb = fmt == 5 ? sizeof(qb_block_q5_k) : sizeof(qb_block_q4_k);
                const uint8_t *w = row + (size_t)b * bb, *qs = w + (fmt == 5 ? 48 : 16);
                memcpy(sb + r * 2, w, 2);
                memcpy(sb + 32 + r * 2, w + 2, 2);
                for (int j = 0; j < 8; j++) {
                    uint8_t scj, mnj;
                    qb_scale_min_k4(j, w + 4, &scj, &mnj);
                    sb[g.sc_off + (size_t)j * 16 + r] = scj;
                    sb[g.mn_off + (size_t)j * 16 + r] = mnj;
                }
                for (int p = 0; p < 4; p++)
                    for (int v = 0; v < 8; v++)
                        memcpy(sb + g.ql_off + (size_t)(p * 8 + v) * 64 + r * 4, qs + 32 * p + 4 * v, 4);
                if (fmt == 5)
                    for (int v = 0; v < 8; v++) memcpy(sb + g.qh_off + (size_t)v * 64 + r * 4, w + 16 + 4 * v, 4);
            } else {
                const qb_block_q6_k *w = (const qb_block_q6_k *)row + b;
                memcpy(sb + r * 2, &w->d, 2);
                for (int j = 0; j < 16; j++) sb[g.sc_off + (size_t)j * 16 + r] = (uint8_t)w->scales[j];
                int8_t q[QB_QKK];
                qb_unpack_q6_k(w, q);
                /* sub-block j: quads 0..2 as 6-bit values in bits 5..0 of lines 3j..3j+2, quad 3's value in their
                   bits 7..6 (two bits per line, low bits first) */
                for (int j = 0; j < 16; j++) {
                    for (int k = 0; k < 3; k++) {
                        uint8_t *line = sb + g.ql_off + (size_t)(3 * j + k) * 64 + r * 4;
                        for (int e = 0; e < 4; e++) {
                            const int v = q[16 * j + 4 * k + e] + 32, top = q[16 * j + 12 + e] + 32;
                            line[e] = (uint8_t)(v | ((top >> (2 * k)) & 3) << 6);
                        }
                    }
                }
            }
        }
    }
}

#define QB_KN16_PAIR(name, fmt)                                                                        \
    size_t qb_kx16_size_##name##_kn(int M, int K, int group) { (void)group; return qb_kn16_size(fmt, M, K); } \
    void qb_kx16_repack_##name##_kn(const qb_mat_args *s, void *dst) { qb_kn16_repack(fmt, s, dst); }

QB_KN16_PAIR(q4_k, 4)
QB_KN16_PAIR(q5_k, 5)
QB_KN16_PAIR(q6_k, 6)
#endif
