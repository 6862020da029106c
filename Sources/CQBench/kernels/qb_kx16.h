// Geometry of the "kx16" layout of the k-quants (q4_k, q5_k, q6_k) for the x86 gemm (x86_kquant_template.h).
// Rows are taken 16 at a time (unit u: rows 16u..16u+15, rows past M zero); each unit is `chunk` bytes at
// w + u*chunk, one `sb_bytes` record per 256-element super-block, each 64-byte line holding 16 rows x 4 bytes:
//   d[16] f32 | dmin[16] f32 (q4_k/q5_k) or corr[16] i32 (q6_k) | sc[nsub][16] (2 x i16: sc, 256 sc)
//   | mn pairs[4][16] (2 x i16: mins 2p, 2p+1; q4_k/q5_k)
//   | q[64 quads][16 rows][4] (element 4*quad + j): q4_k/q5_k the unsigned quants (u8 0..15, 0..31), q6_k the
//     signed ones (i8 q - 32, -32..31)
// d and dmin are the stored f16 values widened (exact); q6_k has 16 sub-blocks of 16 (4 quads), q4_k/q5_k 8 of 32.
// q6_k's gemm multiplies its signed quants with the activations made unsigned (x + 128, u8): corr is the row's
// 128 * sum_j sc_j * sum_{e in j} (q_e - 32), subtracted once per super-block, so no sub-block needs an offset.
#ifndef QBENCH_QB_KX16_H
#define QBENCH_QB_KX16_H

#include "qb_ref.h"

typedef struct {
    int units, nb, nsub, quads; /* quads per sub-block */
    size_t sc_off, mn_off, corr_off, data_off, sb_bytes, chunk;
} qb_kx16_geom;

/// fmt: 4 (q4_k), 5 (q5_k) or 6 (q6_k). Returns 0 when K is not a multiple of 256.
static inline int qb_kx16_geometry(int fmt, int M, int K, qb_kx16_geom *g) {
    memset(g, 0, sizeof(*g));
    if (M < 0 || K <= 0 || K % QB_QKK != 0 || (fmt != 4 && fmt != 5 && fmt != 6)) return 0;
    g->units = (M + 15) / 16;
    g->nb = K / QB_QKK;
    if (fmt == 6) {
        g->nsub = 16; g->quads = 4;
        g->corr_off = 64; g->sc_off = 128; g->mn_off = 0; g->data_off = 128 + 16 * 64;
    } else {
        g->nsub = 8; g->quads = 8;
        g->sc_off = 128; g->mn_off = 128 + 8 * 64; g->data_off = g->mn_off + 4 * 64;
    }
    g->sb_bytes = g->data_off + 64 * 64;
    g->chunk = g->sb_bytes * (size_t)g->nb;
    return 1;
}


/* "kn16": the gemv layout of q4_k, q5_k and q6_k, the stored bits interleaved 16 rows x 4 bytes at a time (no
   widening), so a gemv streams about the stored bytes (148 per 256 weights for q4_k, 180 for q5_k, 212 for q6_k;
   the file has 144, 176 and 210).
   Per 16-row unit and super-block:
     q4_k: d[16] f16 | dmin[16] f16 | sc[8][16] u8 | mn[8][16] u8 | qs[pair 4][quad 8][16 rows][4]
           (byte l of pair p of a row is its stored qs[32p + l]: elements 64p + l (low) and 64p + 32 + l (high))
     q5_k: as q4_k, then qh[quad 8][16 rows][4] (the stored qh bytes: bit j of byte l is element 32j + l's fifth)
     q6_k: d[16] f16 (pad 64) | sc[16][16] i8 | q[sub-block 16][line 3][16 rows][4]: line k of sub-block j holds
           the unsigned 6-bit quant (0..63) of element 16j + 4k + e in bits 5..0 of byte e, and bits 2k+1..2k of
           element 16j + 12 + e's quant in bits 7..6, so three lines carry the sub-block's 16 quants (the stored
           ql and qh bits, rearranged: 192 bytes per row and super-block as stored) */
typedef struct {
    int units, nb;
    size_t sc_off, mn_off, ql_off, qh_off, sb_bytes, chunk;
} qb_kn16_geom;

/// fmt: 4 (q4_k), 5 (q5_k) or 6 (q6_k). Returns 0 when K is not a positive multiple of 256.
static inline int qb_kn16_geometry(int fmt, int M, int K, qb_kn16_geom *g) {
    memset(g, 0, sizeof(*g));
    if (M < 0 || K <= 0 || K % QB_QKK != 0 || fmt < 4 || fmt > 6) return 0;
    g->units = (M + 15) / 16;
    g->nb = K / QB_QKK;
    if (fmt != 6) {
        g->sc_off = 64; g->mn_off = 64 + 128; g->ql_off = 64 + 256; g->qh_off = fmt == 5 ? g->ql_off + 2048 : 0;
        g->sb_bytes = g->ql_off + 2048 + (fmt == 5 ? 512 : 0);
    } else {
        g->sc_off = 64; g->mn_off = 0; g->ql_off = 64 + 256; g->qh_off = 0;
        g->sb_bytes = g->ql_off + 3072;
    }
    g->chunk = g->sb_bytes * (size_t)g->nb;
    return 1;
}

#endif
