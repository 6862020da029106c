// Geometry of the "x16" repacked weight layouts used by the x86 SIMD variants (docs/kernels.md).
//
// Why: with 16 output rows interleaved 4 bytes at a time, one 64-byte load feeds 16 rows x 4 k to a single
// vpdpbusd (lanes = output rows), so every block's int32 sum lands whole in one lane and the per-block epilogue
// needs no horizontal reduction; the same vectors serve gemv (activation broadcast) and gemm (several
// activation rows per weight load). AVX2/AVX-VNNI code reads each 64-byte unit as two 32-byte halves of 8 rows.
//
// Rows are taken 16 at a time ("unit" u holds rows 16u..16u+15, rows past M are zero); each unit is one
// contiguous chunk of `chunk` bytes (a multiple of 64) at w + u*chunk, holding a side-data region then the data:
//   q8_0  : d[nb][16] f16 (pad 64)            | qs[nb][8 quads][16 rows][4]  u8 = w ^ 0x80
//   q5_0  : as q8_0, each quant widened to w = q - 16 (the q8_0 kernels run it)
//   q4_0  : d[nb][16] f16 (pad 64)            | qs[nb][4][16 rows][4 bytes]  (the stored nibble bytes, 4 at a time)
//   q4_1  : (d[16], m[16])[nb] f16            | as q4_0
//   i8_pc : s[16] f32                          | q[K4/4][16 rows][4]          u8 = w ^ 0x80, k >= K padded with w = 0
//   i4_gN : s[ng][16] f32                      | as q4_0 over K/32 sub-blocks (nibble = q + 8, as stored)
//   u4_gN : s[ng][16] f32 | z[ng][16] u8 (pad 64) | as q4_0 (nibble = q)
//   f16   : w[K][16] f16;  bf16: w[K2/2][16 rows][2] bf16 (k pairs, K2 = K rounded up to even);  f32: w[K][16] f32
// Nibble byte j of a 4-byte group (row r, vector v of block b) holds element b*32 + 4v + j (low) and
// b*32 + 16 + 4v + j (high), i.e. the stored q4 byte qs[4v + j]: repacking q4 moves bytes, it never splits them.
#ifndef QBENCH_QB_X16_H
#define QBENCH_QB_X16_H

#include "qb_ref.h"

typedef struct {
    int units;          /* ceil(M/16) */
    int ngroups;        /* epilogue groups along K: K/32 (q*), K/G (i4/u4), 1 (i8_pc), K (floats: elements) */
    int sub;            /* 32-element sub-blocks per group (q*: 1, i4/u4: G/32) */
    size_t side_stride; /* bytes of side data per group (q8_0/q4_0: 32, q4_1: 64, i4/u4: 64, i8_pc: 64) */
    size_t zero_off;    /* u4: offset of the zero points, 16 bytes per group */
    size_t data_off;    /* offset of the quantized (or float) data */
    size_t group_bytes; /* data bytes per group (q8_0: 512, q4: 256*sub, i8_pc: K4*16, f16: 32 per k, ...) */
    size_t chunk;       /* bytes per 16-row unit */
} qb_x16_geom;

static inline size_t qb_round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

/// Geometry for a format and shape; returns 0 when the shape does not fit the format.
static inline int qb_x16_geometry(int fmt, int M, int K, int group, qb_x16_geom *g) {
    memset(g, 0, sizeof(*g));
    if (M < 0 || K < 0 || !qb_shape_ok(fmt, K, group)) return 0;
    g->units = (M + 15) / 16;
    switch (fmt) {
    case QB_F_Q8_0: case QB_F_Q5_0: case QB_F_Q4_0: case QB_F_Q4_1:
        g->ngroups = K / QB_QK; g->sub = 1;
        g->side_stride = fmt == QB_F_Q4_1 ? 64 : 32;
        g->data_off = qb_round_up((size_t)g->ngroups * g->side_stride, 64);
        g->group_bytes = fmt == QB_F_Q8_0 || fmt == QB_F_Q5_0 ? 512 : 256;
        break;
    case QB_F_I4: case QB_F_U4:
        g->ngroups = K / group; g->sub = group / QB_QK;
        g->side_stride = 64;
        g->zero_off = (size_t)g->ngroups * 64;
        g->data_off = g->zero_off + (fmt == QB_F_U4 ? qb_round_up((size_t)g->ngroups * 16, 64) : 0);
        g->group_bytes = (size_t)256 * g->sub;
        break;
    case QB_F_I8_PC:
        g->ngroups = 1; g->sub = 0; g->side_stride = 64; g->data_off = 64;
        g->group_bytes = qb_round_up((size_t)K, 4) * 16;
        break;
    case QB_F_F16: g->ngroups = K; g->group_bytes = 32; break;
    case QB_F_BF16: g->ngroups = K; g->group_bytes = 32; break; /* per element; stored as k pairs */
    case QB_F_F32: g->ngroups = K; g->group_bytes = 64; break;
    default: return 0;
    }
    size_t data;
    if (fmt == QB_F_BF16) data = qb_round_up((size_t)K, 2) * 32;
    else if (fmt == QB_F_I8_PC) data = g->group_bytes;
    else data = (size_t)g->ngroups * g->group_bytes;
    g->chunk = qb_round_up(g->data_off + data, 64);
    return 1;
}

#endif
