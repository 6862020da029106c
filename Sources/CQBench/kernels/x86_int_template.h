// The x86 integer kernels over the x16 layouts, written once and stamped out per ISA by the including file
// (avx512_vnni.c, avx_vnni.c, avx512.c, avx2.c). The includer defines, inside its target pragma:
//   QB_VARIANT            exported-name suffix (e.g. avx512_vnni)
//   QV_L                  output rows per vector (16 for zmm, 8 for ymm)
//   QB_GEMV_MV            vectors of rows per gemv step (independent accumulator chains, streams)
//   QB_GEMM_MV, QB_GEMM_NR  gemm register tile: QB_GEMM_MV row vectors x QB_GEMM_NR activation rows
//   qvi, qvf, qvm         int32 / f32 vector and lane-mask types, and the qv_* primitives used below.
//   qv_dot_big(acc, w, x) acc + 4-element dot products of u8 w (0..255) and s8 x, per int32 lane
//   qv_dot_small(...)     the same for u8 w in 0..15 (cheaper without VNNI: no saturation possible)
// Exactness: per lane (output row) an exact int32 per block/group, then the f32 epilogue of qbench_kernels.h
// (one FMA per block) in increasing k, never reassociated, so every entry here is bit-exact with scalar.
#include <stdlib.h>

#include "x86_template_common.h"
/* What qv_dot_big adds per unit of x beyond w*x: 128 when it multiplies the stored u8 w' = w + 128 directly
   (VNNI), 0 when it undoes the offset first (the vpmaddubsw paths). The accumulator start cancels it. */
/* Software prefetch distance of the gemv streams, in bytes per stream. */
#ifndef QB_PF_BYTES
#define QB_PF_BYTES 1024
#endif
#ifndef QB_BIG_OFFSET
#define QB_BIG_OFFSET 128
#endif
/* i8_pc tiles carry no float accumulators, so they can be larger than the block formats' tiles. */
#ifndef QB_I8_MV
#define QB_I8_MV QB_GEMM_MV
#endif
#ifndef QB_I8_NR
#define QB_I8_NR QB_GEMM_NR
#endif
/* Register-tile arrays are sized for the largest tile any driver asks for; only the used part is live. */
#define QB_MAXMV 4
#define QB_MAXNR 12
/* Bytes of one row vector's share of a 64-byte x16 row (64 for zmm, 32 for ymm halves). */
#define QB_VB (4 * QV_L)

/* ------------------------------------------------------------------ activation side data */

/// Per (activation row, group) constants of the epilogue: `comp` is the int32 the accumulator starts from
/// (it cancels the u8 offsets: -128*sum x for xor-0x80 int8 weights, -8*sum x for offset nibbles, -sum x for
/// u4 whose zero point multiplies it per lane), `dx` the activation scale, `sx` q8_1's s.
typedef struct { int32_t comp; float dx; float sx; } qb_side;

QB_INLINE int32_t qb_sum_i8(const int8_t *p, int n) {
    int32_t s = 0;
    for (int j = 0; j < n; j++) s += p[j];
    return s;
}

/// Byte offset of the 32-element sub-block `b` inside an activation row, and of its quants.
QB_INLINE size_t qb_xblk(int fmt, int b) {
    return fmt == QB_F_Q4_1 ? (size_t)b * sizeof(qb_block_q8_1) + 4
         : (fmt == QB_F_Q8_0 || fmt == QB_F_Q4_0) ? (size_t)b * sizeof(qb_block_q8_0) + 2 : (size_t)b * 32;
}

QB_INLINE void qb_side_fill(const qb_mat_args *a, const int fmt, const qb_x16_geom *G, int n, int g0, int g1,
                            qb_side *out) {
    const uint8_t *xr = (const uint8_t *)a->x + (size_t)n * a->x_stride;
    for (int gi = g0; gi < g1; gi++) {
        qb_side *s = &out[gi - g0];
        int32_t sum = 0;
        if (fmt == QB_F_Q4_1) {
            s->comp = 0;
        } else {
            if (fmt == QB_F_U4 && a->x_sums) sum = a->x_sums[(size_t)n * G->ngroups + gi];
            else for (int sb = 0; sb < G->sub; sb++)
                sum += qb_sum_i8((const int8_t *)(xr + qb_xblk(fmt, gi * G->sub + sb)), 32);
            s->comp = fmt == QB_F_Q8_0 ? -QB_BIG_OFFSET * sum : fmt == QB_F_U4 ? -sum : -8 * sum;
        }
        /* Activation scales through F16C (vcvtph2ps), not the scalar reference's software qb_f16_to_f32, so a
           bug in that shared helper cannot cancel out in the variant-vs-scalar comparison. */
        if (fmt == QB_F_Q8_0 || fmt == QB_F_Q4_0) {
            s->dx = _cvtsh_ss(qb_load_u16(xr + (size_t)gi * sizeof(qb_block_q8_0)));
        } else if (fmt == QB_F_Q4_1) {
            s->dx = _cvtsh_ss(qb_load_u16(xr + (size_t)gi * sizeof(qb_block_q8_1)));
            s->sx = _cvtsh_ss(qb_load_u16(xr + (size_t)gi * sizeof(qb_block_q8_1) + 2));
        } else {
            s->dx = a->x_scales[n];
        }
    }
}

/* ------------------------------------------------------------------ per vector-row pointers */

typedef struct {
    const uint8_t *side; /* start of the unit's side data, already offset to this half */
    const uint8_t *zero; /* u4 zero points, offset to this half */
    const uint8_t *data; /* start of the unit's data, offset to this half (32 bytes per half in each 64-byte row) */
    qvm mask;            /* lanes inside [m0, m1) and < M */
    int row0;            /* first row of the vector */
    const float *sf;     /* gemm, q8_0/q4_0/q4_1: this vector's block scales for the current K chunk, widened to
                            f32 (QB_SF_K(fmt) x QV_L floats per group, from the chunk's first group); else NULL */
    const uint8_t *next; /* gemv: start of the unit this stream reads in the next step (prefetched while this
                            unit's last groups are read), or NULL */
} qb_vrow;

QB_INLINE qb_vrow qb_vrow_at(const qb_mat_args *a, const qb_x16_geom *G, int fmt, int vr, int m0, int m1) {
    qb_vrow v;
    const int u = vr / QV_HALVES, h = vr % QV_HALVES;
    const uint8_t *c = (const uint8_t *)a->w + (size_t)u * G->chunk;
    const size_t side_elem = (fmt == QB_F_Q8_0 || fmt == QB_F_Q4_0 || fmt == QB_F_Q4_1) ? 2 : 4;
    v.side = c + (size_t)h * QV_L * side_elem;
    v.zero = c + G->zero_off + (size_t)h * QV_L;
    v.data = c + G->data_off + (size_t)h * (64 / QV_HALVES);
    v.row0 = vr * QV_L;
    v.sf = NULL;
    v.next = NULL;
    int lo = qb_imax(m0, v.row0) - v.row0, hi = qb_imin(qb_imin(m1, a->M), v.row0 + QV_L) - v.row0;
    if (hi < lo) hi = lo;
    v.mask = qv_mask(lo, hi);
    return v;
}

/// Accumulator start for a group: the side constant, or -z*sum x per lane for u4.
QB_INLINE qvi qb_acc_init(const int fmt, const qb_vrow *v, int gi, const qb_side *s) {
    if (fmt == QB_F_U4) return qv_mullo(qv_load_u8_i32(v->zero + (size_t)gi * 16), qv_set1_i32(s->comp));
    /* A broadcast from memory for every accumulator (a load-port uop), not one broadcast copied with register
       moves that compete with vpdpbusd for the vector ports: the asm keeps the compiler from merging them. */
    qvi r;
    __asm__ volatile("vpbroadcastd %1, %0" : "=v"(r) : "m"(s->comp));
    return r;
}

/// Floats per group and lane in qb_vrow.sf: d, and m after it for q4_1.
#define QB_SF_K(fmt) ((fmt) == QB_F_Q4_1 ? 2 : 1)

/// The weight scale vector of a group, times the activation scale (the (d_w * d_x) factor). `gl` is the group's
/// index inside the K chunk; gemm tiles (`use_sf`) read the f32 scales staged for the chunk: the fp16 -> f32
/// conversion is exact, and done once per chunk instead of once per token tile (on Golden Cove-class cores each
/// vcvtph2ps zmm costs vector-port uops that vpdpbusd needs; an L1-resident copy of the q8_0 tile ran 3-7%
/// faster with f32 scales, measured interleaved).
QB_INLINE qvf qb_scale(const int fmt, const qb_vrow *v, int gi, int gl, const int use_sf, float dx) {
    qvf ws;
    if (use_sf && (fmt == QB_F_Q8_0 || fmt == QB_F_Q4_0 || fmt == QB_F_Q4_1))
        ws = qv_loadf(v->sf + (size_t)gl * QB_SF_K(fmt) * QV_L);
    else if (fmt == QB_F_Q8_0 || fmt == QB_F_Q4_0) ws = qv_load_ph(v->side + (size_t)gi * 32);
    else if (fmt == QB_F_Q4_1) ws = qv_load_ph(v->side + (size_t)gi * 64);
    else ws = qv_loadf(v->side + (size_t)gi * 64);
    return qv_mul(ws, qv_set1_ps(dx));
}

/// acc = fma((float)isum, s, acc), after acc = fma(m, sx, acc) for q4_1 (the contract of qbench_kernels.h)
QB_INLINE qvf qb_epilogue(const int fmt, const qb_vrow *v, int gi, int gl, const int use_sf,
                          qvf facc, qvi isum, qvf s, float sx) {
    if (fmt == QB_F_Q4_1)
        facc = qv_fma(use_sf ? qv_loadf(v->sf + (size_t)gl * 2 * QV_L + QV_L)
                             : qv_load_ph(v->side + (size_t)gi * 64 + 32),
                      qv_set1_ps(sx), facc);
    return qv_fma(qv_cvt(isum), s, facc);
}

/// Dot products of one group for MV row vectors and NR activation rows.
/// `xp[j]` points at activation row j; the group's sub-blocks start at qb_xblk(fmt, gi*sub).
#define QB_GROUP_DOTS(MV, NR, acc, vv, xp, fmt, G, gi)                                                          \
    do {                                                                                                      \
        if ((fmt) != QB_F_Q8_0 && up) {                                                                       \
            /* nibbles already unpacked to bytes (gemm): 8 quads per sub-block, quad q holds k = 4q..4q+3 */  \
            for (int sb = 0; sb < (G)->sub; sb++) {                                                           \
                const int b = (gi) * (G)->sub + sb;                                                           \
                const size_t xo = qb_xblk(fmt, b);                                                            \
                const size_t uo = (size_t)(b - ub0) * 8 * QB_VB;                                              \
                for (int q = 0; q < 8; q++) {                                                                 \
                    qvi wv[QB_MAXMV];                                                                         \
                    for (int i = 0; i < MV; i++) wv[i] = qv_loadw(up[i] + uo + (size_t)q * QB_VB);            \
                    for (int j = 0; j < NR; j++) {                                                            \
                        const qvi xb = qv_bcast4(xp[j] + xo + q * 4);                                         \
                        for (int i = 0; i < MV; i++) acc[i][j] = qv_dot_small(acc[i][j], wv[i], xb);          \
                    }                                                                                         \
                }                                                                                             \
            }                                                                                                 \
        } else if ((fmt) == QB_F_Q8_0) {                                                                      \
            const size_t xo = qb_xblk(fmt, gi);                                                               \
            for (int q = 0; q < 8; q++) {                                                                     \
                qvi wv[MV];                                                                                   \
                for (int i = 0; i < MV; i++) wv[i] = qv_loadw(vv[i].data + (size_t)(gi) * 512 + q * 64);     \
                for (int j = 0; j < NR; j++) {                                                                \
                    const qvi xb = qv_bcast4(xp[j] + xo + q * 4);                                             \
                    for (int i = 0; i < MV; i++) acc[i][j] = qv_dot_big(acc[i][j], wv[i], xb);                \
                }                                                                                             \
            }                                                                                                 \
        } else {                                                                                              \
            for (int sb = 0; sb < (G)->sub; sb++) {                                                           \
                const int b = (gi) * (G)->sub + sb;                                                           \
                const size_t xo = qb_xblk(fmt, b);                                                            \
                for (int v4 = 0; v4 < 4; v4++) {                                                              \
                    qvi lo[MV], hi[MV];                                                                       \
                    for (int i = 0; i < MV; i++) {                                                            \
                        const qvi raw = qv_loadw(vv[i].data + (size_t)b * 256 + v4 * 64);                     \
                        lo[i] = qv_and(raw, qv_set1_i8(0x0F));                                                \
                        hi[i] = qv_and(qv_srli16_4(raw), qv_set1_i8(0x0F));                                   \
                    }                                                                                         \
                    for (int j = 0; j < NR; j++) {                                                            \
                        const qvi xl = qv_bcast4(xp[j] + xo + v4 * 4);                                        \
                        const qvi xh = qv_bcast4(xp[j] + xo + 16 + v4 * 4);                                   \
                        for (int i = 0; i < MV; i++) {                                                        \
                            acc[i][j] = qv_dot_small(acc[i][j], lo[i], xl);                                   \
                            acc[i][j] = qv_dot_small(acc[i][j], hi[i], xh);                                   \
                        }                                                                                     \
                    }                                                                                         \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    } while (0)

/* ------------------------------------------------------------------ block formats: one register tile */

/// MV row vectors x NR activation rows over groups [g0, g1). `first`: start from 0 (else continue from y).
QB_INLINE void qb_block_tile(const qb_mat_args *a, const qb_x16_geom *G, const int fmt, const int MV, const int NR,
                             const qb_vrow *vv, const uint8_t *const *xp, float *const *yp, const qb_side *side,
                             int side_stride, int g0, int g1, int first, const uint8_t *const *up, int ub0) {
    qvf facc[QB_MAXMV][QB_MAXNR];
    for (int i = 0; i < MV; i++)
        for (int j = 0; j < NR; j++)
            facc[i][j] = first ? qv_zero_ps() : qv_maskload_f(yp[j] + vv[i].row0, vv[i].mask);
    const int pf = (int)((QB_PF_BYTES + G->group_bytes - 1) / G->group_bytes);
    for (int gi = g0; gi < g1; gi++) {
        qvi acc[QB_MAXMV][QB_MAXNR];
        /* gemv streams each unit once: ask for the group ~QB_PF_BYTES ahead now (the hardware prefetcher
           alone left q4_0 at ~75% of the read loop's bandwidth with four interleaved streams). Into L2 (T1): the
           L1's few miss buffers capped two cores near 21 GB/s; L2's deeper queue reached 27-35 GB/s on the same
           Zen 4 shapes (2026-12-03, 30 of 32 gemv shapes faster). */
        if (NR == 1 && gi + pf < g1) {
            for (int i = 0; i < MV; i++)
                for (size_t o = 0; o < G->group_bytes; o += 64)
                    _mm_prefetch((const char *)vv[i].data + (size_t)(gi + pf) * G->group_bytes + o, _MM_HINT_T1);
        } else if (NR == 1 && g0 == 0 && g1 == G->ngroups) {
            /* The last pf groups of a unit: the stream would stop here and restart cold at its next unit (every
               5.7 KB for q4_0 at K = 640: a 262144-row lm_head ran at half the DRAM read rate). Prefetch the next
               unit's side data and first pf groups instead, a slice per group. */
            const size_t prefix = G->data_off + (size_t)pf * G->group_bytes;
            const size_t slice = (prefix + (size_t)pf - 1) / (size_t)pf;
            const int t = gi + pf - g1, t0 = gi == g0 ? 0 : t;
            for (int i = 0; i < MV; i++)
                if (vv[i].next)
                    for (size_t o = (size_t)t0 * slice & ~(size_t)63; o < (size_t)(t + 1) * slice && o < prefix;
                         o += 64)
                        _mm_prefetch((const char *)vv[i].next + o, _MM_HINT_T1);
        }
        for (int j = 0; j < NR; j++) {
            const qb_side *s = &side[(size_t)j * side_stride + (gi - g0)];
            for (int i = 0; i < MV; i++) acc[i][j] = qb_acc_init(fmt, &vv[i], gi, s);
        }
        QB_GROUP_DOTS(MV, NR, acc, vv, xp, fmt, G, gi);
        for (int j = 0; j < NR; j++) {
            const qb_side *s = &side[(size_t)j * side_stride + (gi - g0)];
            for (int i = 0; i < MV; i++)
                facc[i][j] = qb_epilogue(fmt, &vv[i], gi, gi - g0, NR > 1, facc[i][j], acc[i][j],
                                         qb_scale(fmt, &vv[i], gi, gi - g0, NR > 1, s->dx), s->sx);
        }
    }
    for (int i = 0; i < MV; i++)
        for (int j = 0; j < NR; j++) qv_maskstore_f(yp[j] + vv[i].row0, vv[i].mask, facc[i][j]);
}

#if QB_GEMM_MV > 4 || QB_GEMV_MV > 4 || QB_I8_MV > 4 || QB_GEMM_NR > 12 || QB_I8_NR > 12
#error "tile sizes above 4 row vectors or 12 activation rows need more cases"
#endif

#define QB_TILE_CASE(mvc, nrc) qb_block_tile(a, G, fmt, mvc, nrc, vv, xp, yp, side, side_stride, g0, g1, first, up, ub0)

QB_INLINE void qb_block_tile_dispatch(const qb_mat_args *a, const qb_x16_geom *G, const int fmt, int mv, int nr,
                                      const qb_vrow *vv, const uint8_t *const *xp, float *const *yp,
                                      const qb_side *side, int side_stride, int g0, int g1, int first,
                                      const uint8_t *const *up, int ub0) {
    if (nr == 1) { QB_SW_MV1(QB_TILE_CASE, QB_GEMV_MV > QB_GEMM_MV ? QB_GEMV_MV : QB_GEMM_MV) }
    else { QB_SW_MV_NR(QB_TILE_CASE, QB_GEMM_MV, QB_GEMM_NR) }
}

/* ------------------------------------------------------------------ block formats: drivers */

/// Primes `pf` (x86_template_common.h) with the panel a gemm block computes after the current one (row vectors
/// [vr, vr + MV) at the chunk starting at unit c0): the next MV row vectors at the same chunk, else the block's
/// first (vb0) at the next chunk. Chunks are `cstep` units (groups or quads) of `ubytes` bytes, `cend` in a row.
/// Nothing is prefetched after the last chunk.
QB_INLINE void qb_next_panel_pf(qb_panel_pf *pf, const qb_mat_args *a, const qb_x16_geom *G, int fmt, int MV, int vr,
                                int vb0, int vb1, int m0, int m1, int c0, int cstep, int cend, size_t ubytes,
                                int tiles) {
    *pf = (qb_panel_pf){{0}, 0, 0, 0, 0, 0};
    int nvr = vr + MV, nc0 = c0;
    if (nvr >= vb1) { nvr = vb0; nc0 = c0 + cstep; }
    if (nc0 >= cend) return;
    const uint8_t *nb[QB_MAXMV];
    const int nmv = qb_imin(MV, vb1 - nvr);
    for (int i = 0; i < nmv; i++) nb[i] = qb_vrow_at(a, G, fmt, nvr + i, m0, m1).data + (size_t)nc0 * ubytes;
    qb_panel_pf_init(pf, nb, nmv, (size_t)(qb_imin(cend, nc0 + cstep) - nc0) * ubytes, tiles);
}

/* K chunk of gemm: the row panel of weights for one chunk (QB_GEMM_MV units x KC) must stay in L1 (48 KB on
   Golden Cove): 3 units x 512 x 34/32 bytes = 26 KB for q8_0; 4 x 512 = 32 KB for i8_pc. */
#ifndef QB_GEMM_KC_ELEMS
#define QB_GEMM_KC_ELEMS 512
#endif
enum { QB_GEMV_GCAP = 1024, QB_GEMM_KC = QB_GEMM_KC_ELEMS, QB_GEMM_KC4 = 512 };

/// gemv: each activation row on its own, QB_GEMV_MV row vectors per step (independent streams).
QB_INLINE void qb_block_gemv(const qb_mat_args *a, int m0, int m1, const int fmt) {
    qb_x16_geom G;
    if (m1 <= m0) return;
    if (!qb_x16_geometry(fmt, a->M, a->K, a->group, &G)) { qb_fill_nan(a, m0, m1); return; }
    qb_side side[QB_GEMV_GCAP];
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L;
    if (G.ngroups == 0) { qb_fill_zero(a, m0, m1); return; } /* K = 0: every output is the empty sum */
    for (int n = 0; n < a->N; n++) {
        const uint8_t *xp[1] = {(const uint8_t *)a->x + (size_t)n * a->x_stride};
        float *yp[1] = {a->y + (size_t)n * a->ldy};
        for (int g0 = 0; g0 < G.ngroups; g0 += QB_GEMV_GCAP) {
            const int g1 = qb_imin(G.ngroups, g0 + QB_GEMV_GCAP);
            qb_side_fill(a, fmt, &G, n, g0, g1, side);
            for (int vr = vr0; vr < vr1; vr += QB_GEMV_MV) {
                const int mv = qb_imin(QB_GEMV_MV, vr1 - vr);
                qb_vrow vv[QB_MAXMV];
                for (int i = 0; i < mv; i++) {
                    vv[i] = qb_vrow_at(a, &G, fmt, vr + i, m0, m1);
                    const int nv = vr + QB_GEMV_MV + i;
                    if (nv < vr1) vv[i].next = (const uint8_t *)a->w + (size_t)(nv / QV_HALVES) * G.chunk;
                }
                qb_block_tile_dispatch(a, &G, fmt, mv, 1, vv, xp, yp, side, 0, g0, g1, g0 == 0, NULL, 0);
            }
        }
    }
}

/* Cache blocking of gemm (GotoBLAS order): activation rows in blocks of QB_GEMM_NC, output rows in blocks of
   QB_GEMM_MCV row vectors, K in chunks. The partial sums of one (NC x MC) block live in y and stay in L2 across
   the K chunks; without this, every chunk reloaded all of y (8 MB at N=512, M=4096) and that traffic, not
   vpdpbusd, set the pace. */
#ifndef QB_GEMM_NC
#define QB_GEMM_NC 128
#endif
#define QB_GEMM_MCV (QB_GEMM_MV * 5)

/// gemm: side data of every activation row once per call; then NC x MC blocks, each over all K chunks, row
/// panels of QB_GEMM_MV vectors (their chunk of weights stays in L1) against the block's activation rows.
QB_INLINE void qb_block_gemm(const qb_mat_args *a, int m0, int m1, const int fmt) {
    qb_x16_geom G;
    if (m1 <= m0 || a->N <= 0) return;
    if (!qb_x16_geometry(fmt, a->M, a->K, a->group, &G)) { qb_fill_nan(a, m0, m1); return; }
    if (G.ngroups == 0) { qb_fill_zero(a, m0, m1); return; } /* K = 0: every output is the empty sum */
    const int gelems = G.sub ? G.sub * QB_QK : QB_QK;
    /* Nibble formats unpack each row panel's chunk to bytes once per block and reuse it for every activation
       tile: chunks of QB_GEMM_KC4 elements keep that scratch (QB_MAXMV x 16 sub-blocks x 8 quads x QB_VB) in L1. */
    const int nib = fmt != QB_F_Q8_0;
    const int gc = qb_imax(1, (nib ? QB_GEMM_KC4 : QB_GEMM_KC) / gelems);
    uint8_t unpacked[QB_MAXMV][16 * 8 * QB_VB] __attribute__((aligned(64)));
    /* f32 block scales of each row vector for the current chunk (qb_vrow.sf): at most QB_SF_GMAX groups */
    enum { QB_SF_GMAX = (QB_GEMM_KC > QB_GEMM_KC4 ? QB_GEMM_KC : QB_GEMM_KC4) / QB_QK };
    float sfbuf[QB_MAXMV][QB_SF_GMAX * 2 * QV_L] __attribute__((aligned(64)));
    const int staged_sf = fmt == QB_F_Q8_0 || fmt == QB_F_Q4_0 || fmt == QB_F_Q4_1;
    const uint8_t *up[QB_MAXMV];
    for (int i = 0; i < QB_MAXMV; i++) up[i] = unpacked[i];
    qb_side stack_side[256];
    const size_t need = (size_t)a->N * G.ngroups;
    qb_side *side = need <= 256 ? stack_side : (qb_side *)malloc(need * sizeof(qb_side));
    if (!side) { qb_fill_nan(a, m0, m1); return; }
    for (int n = 0; n < a->N; n++) qb_side_fill(a, fmt, &G, n, 0, G.ngroups, side + (size_t)n * G.ngroups);
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L;
    for (int n0 = 0; n0 < a->N; n0 += QB_GEMM_NC) {
        const int n1 = qb_imin(a->N, n0 + QB_GEMM_NC);
        for (int vb0 = vr0; vb0 < vr1; vb0 += QB_GEMM_MCV) {
            const int vb1 = qb_imin(vr1, vb0 + QB_GEMM_MCV);
            for (int g0 = 0; g0 < G.ngroups; g0 += gc) {
                const int g1 = qb_imin(G.ngroups, g0 + gc);
                for (int vr = vb0; vr < vb1; vr += QB_GEMM_MV) {
                    const int mv = qb_imin(QB_GEMM_MV, vb1 - vr);
                    qb_vrow vv[QB_MAXMV];
                    for (int i = 0; i < mv; i++) vv[i] = qb_vrow_at(a, &G, fmt, vr + i, m0, m1);
                    if (staged_sf) /* every chunk fits: gc <= QB_SF_GMAX for these formats (32-element groups) */
                        for (int i = 0; i < mv; i++) {
                            const int k = QB_SF_K(fmt);
                            for (int gi = g0; gi < g1; gi++)
                                for (int c = 0; c < k; c++)
                                    qv_storef(sfbuf[i] + ((size_t)(gi - g0) * k + c) * QV_L,
                                              qv_load_ph(vv[i].side + (size_t)gi * 32 * k + (size_t)c * 32));
                            vv[i].sf = sfbuf[i];
                        }
                    const int ub0 = g0 * G.sub, ub1 = g1 * G.sub;
                    if (nib && ub1 - ub0 <= 16)
                        for (int i = 0; i < mv; i++)
                            for (int b = ub0; b < ub1; b++)
                                for (int v4 = 0; v4 < 4; v4++) {
                                    const qvi raw = qv_loadw(vv[i].data + (size_t)b * 256 + v4 * 64);
                                    uint8_t *d = unpacked[i] + (size_t)(b - ub0) * 8 * QB_VB;
                                    qv_storew(d + (size_t)v4 * QB_VB, qv_and(raw, qv_set1_i8(0x0F)));
                                    qv_storew(d + (size_t)(4 + v4) * QB_VB, qv_and(qv_srli16_4(raw), qv_set1_i8(0x0F)));
                                }
                    const uint8_t *const *upp = nib && ub1 - ub0 <= 16 ? up : NULL;
                    qb_panel_pf pf;
                    qb_next_panel_pf(&pf, a, &G, fmt, QB_GEMM_MV, vr, vb0, vb1, m0, m1, g0, gc,
                                     G.ngroups, G.group_bytes, (n1 - n0 + QB_GEMM_NR - 1) / QB_GEMM_NR);
                    for (int n = n0; n < n1; n += QB_GEMM_NR) {
                        qb_panel_pf_step(&pf);
                        const int nr = qb_imin(QB_GEMM_NR, n1 - n);
                        const uint8_t *xp[QB_GEMM_NR];
                        float *yp[QB_GEMM_NR];
                        for (int j = 0; j < nr; j++) {
                            xp[j] = (const uint8_t *)a->x + (size_t)(n + j) * a->x_stride;
                            yp[j] = a->y + (size_t)(n + j) * a->ldy;
                        }
                        qb_block_tile_dispatch(a, &G, fmt, mv, nr, vv, xp, yp, side + (size_t)n * G.ngroups + g0,
                                               G.ngroups, g0, g1, g0 == 0, upp, ub0);
                    }
                }
            }
        }
    }
    if (side != stack_side) free(side);
}

/* ------------------------------------------------------------------ i8_pc: one int32 sum per row */

/// Activation dword at quad q of a row of K int8, zero-padded past K (never reads past the row).
QB_INLINE qvi qb_i8_xquad(const uint8_t *xr, int q, int K) {
    if (q * 4 + 4 <= K) return qv_bcast4(xr + (size_t)q * 4);
    uint8_t t[4] = {0, 0, 0, 0};
    for (int j = 0; q * 4 + j < K; j++) t[j] = xr[q * 4 + j];
    return qv_bcast4(t);
}

/// MV x NR tile over quads [q0, q1). Partial int32 sums live in y between K chunks (bit patterns): the
/// tile owns those outputs for the whole call, and this keeps every chunk's accumulators in registers.
QB_INLINE void qb_i8_tile(const qb_mat_args *a, const int MV, const int NR, const qb_vrow *vv,
                          const uint8_t *const *xp, float *const *yp, const int32_t *comp, const float *sx,
                          int q0, int q1, int first, int last) {
    qvi acc[QB_MAXMV][QB_MAXNR];
    for (int i = 0; i < MV; i++)
        for (int j = 0; j < NR; j++)
            acc[i][j] = first ? qv_set1_i32(comp[j]) : qv_castf_i(qv_maskload_f(yp[j] + vv[i].row0, vv[i].mask));
    const int qfull = qb_imin(q1, a->K / 4);
    int q = q0;
    for (; q < qfull; q++) {
        qvi wv[QB_MAXMV];
        if (NR == 1)
            for (int i = 0; i < MV; i++)
                _mm_prefetch((const char *)vv[i].data + (size_t)q * 64 + QB_PF_BYTES, _MM_HINT_T0);
        for (int i = 0; i < MV; i++) wv[i] = qv_loadw(vv[i].data + (size_t)q * 64);
        for (int j = 0; j < NR; j++) {
            const qvi xb = qv_bcast4(xp[j] + (size_t)q * 4);
            for (int i = 0; i < MV; i++) acc[i][j] = qv_dot_big(acc[i][j], wv[i], xb);
        }
    }
    for (; q < q1; q++) { /* the ragged last quad */
        for (int j = 0; j < NR; j++) {
            const qvi xb = qb_i8_xquad(xp[j], q, a->K);
            for (int i = 0; i < MV; i++) acc[i][j] = qv_dot_big(acc[i][j], qv_loadw(vv[i].data + (size_t)q * 64), xb);
        }
    }
    for (int i = 0; i < MV; i++) {
        const qvf ws = last ? qv_loadf(vv[i].side) : qv_zero_ps();
        for (int j = 0; j < NR; j++) {
            qvf out;
            if (last) out = qv_add(qv_zero_ps(), qv_mul(qv_cvt(acc[i][j]), qv_mul(ws, qv_set1_ps(sx[j]))));
            else out = qv_casti_f(acc[i][j]);
            qv_maskstore_f(yp[j] + vv[i].row0, vv[i].mask, out);
        }
    }
}

#define QB_I8_CASE(mvc, nrc) qb_i8_tile(a, mvc, nrc, vv, xp, yp, comp, sx, q0, q1, first, last)

QB_INLINE void qb_i8_tile_dispatch(const qb_mat_args *a, int mv, int nr, const qb_vrow *vv, const uint8_t *const *xp,
                                   float *const *yp, const int32_t *comp, const float *sx, int q0, int q1,
                                   int first, int last) {
    if (nr == 1) { QB_SW_MV1(QB_I8_CASE, QB_GEMV_MV > QB_I8_MV ? QB_GEMV_MV : QB_I8_MV) }
    else { QB_SW_MV_NR(QB_I8_CASE, QB_I8_MV, QB_I8_NR) }
}

QB_INLINE void qb_i8_prepare(const qb_mat_args *a, int n, int32_t *comp, float *sx) {
    const int8_t *xr = (const int8_t *)a->x + (size_t)n * a->x_stride;
    *comp = QB_BIG_OFFSET ? -QB_BIG_OFFSET * qb_sum_i8(xr, a->K) : 0;
    *sx = a->x_scales[n];
}

QB_INLINE void qb_i8_gemv(const qb_mat_args *a, int m0, int m1) {
    qb_x16_geom G;
    if (m1 <= m0) return;
    if (!qb_x16_geometry(QB_F_I8_PC, a->M, a->K, a->group, &G)) { qb_fill_nan(a, m0, m1); return; }
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L, nq = (a->K + 3) / 4;
    for (int n = 0; n < a->N; n++) {
        int32_t comp; float sx;
        qb_i8_prepare(a, n, &comp, &sx);
        const uint8_t *xp[1] = {(const uint8_t *)a->x + (size_t)n * a->x_stride};
        float *yp[1] = {a->y + (size_t)n * a->ldy};
        for (int vr = vr0; vr < vr1; vr += QB_GEMV_MV) {
            const int mv = qb_imin(QB_GEMV_MV, vr1 - vr);
            qb_vrow vv[QB_MAXMV];
            for (int i = 0; i < mv; i++) vv[i] = qb_vrow_at(a, &G, QB_F_I8_PC, vr + i, m0, m1);
            qb_i8_tile_dispatch(a, mv, 1, vv, xp, yp, &comp, &sx, 0, nq, 1, 1);
        }
    }
}

QB_INLINE void qb_i8_gemm(const qb_mat_args *a, int m0, int m1) {
    qb_x16_geom G;
    if (m1 <= m0 || a->N <= 0) return;
    if (!qb_x16_geometry(QB_F_I8_PC, a->M, a->K, a->group, &G)) { qb_fill_nan(a, m0, m1); return; }
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L, nq = (a->K + 3) / 4;
    int32_t stack_comp[64]; float stack_sx[64];
    int32_t *comp = a->N <= 64 ? stack_comp : (int32_t *)malloc((size_t)a->N * sizeof(int32_t));
    float *sx = a->N <= 64 ? stack_sx : (float *)malloc((size_t)a->N * sizeof(float));
    if (!comp || !sx) {
        if (comp != stack_comp) free(comp);
        if (sx != stack_sx) free(sx);
        qb_fill_nan(a, m0, m1);
        return;
    }
    for (int n = 0; n < a->N; n++) qb_i8_prepare(a, n, &comp[n], &sx[n]);
    if (nq == 0) qb_fill_zero(a, m0, m1); /* K = 0: the empty sum */
    const int kq = QB_GEMM_KC / 4, mcv = QB_I8_MV * 4;
    for (int n0 = 0; n0 < a->N; n0 += QB_GEMM_NC) { /* same cache blocking as qb_block_gemm */
        const int n1 = qb_imin(a->N, n0 + QB_GEMM_NC);
        for (int vb0 = vr0; vb0 < vr1; vb0 += mcv) {
            const int vb1 = qb_imin(vr1, vb0 + mcv);
            for (int q0 = 0; q0 < nq; q0 += kq) {
                const int q1 = qb_imin(nq, q0 + kq);
                for (int vr = vb0; vr < vb1; vr += QB_I8_MV) {
                    const int mv = qb_imin(QB_I8_MV, vb1 - vr);
                    qb_vrow vv[QB_MAXMV];
                    for (int i = 0; i < mv; i++) vv[i] = qb_vrow_at(a, &G, QB_F_I8_PC, vr + i, m0, m1);
                    qb_panel_pf pf; /* chunks of kq quads, 64 bytes each */
                    qb_next_panel_pf(&pf, a, &G, QB_F_I8_PC, QB_I8_MV, vr, vb0, vb1, m0, m1, q0, kq, nq, 64,
                                     (n1 - n0 + QB_I8_NR - 1) / QB_I8_NR);
                    for (int n = n0; n < n1; n += QB_I8_NR) {
                        qb_panel_pf_step(&pf);
                        const int nr = qb_imin(QB_I8_NR, n1 - n);
                        const uint8_t *xp[QB_I8_NR];
                        float *yp[QB_I8_NR];
                        for (int j = 0; j < nr; j++) {
                            xp[j] = (const uint8_t *)a->x + (size_t)(n + j) * a->x_stride;
                            yp[j] = a->y + (size_t)(n + j) * a->ldy;
                        }
                        qb_i8_tile_dispatch(a, mv, nr, vv, xp, yp, comp + n, sx + n, q0, q1, q0 == 0, q1 == nq);
                    }
                }
            }
        }
    }
    if (comp != stack_comp) free(comp);
    if (sx != stack_sx) free(sx);
}

/* ------------------------------------------------------------------ exported entry points */

#define QB_INT_ENTRIES(op, drv)                                                                                   \
    void QB_EXPORT(qb_##op##_q8_0_q8_0_)(const qb_mat_args *a, int m0, int m1) { drv(a, m0, m1, QB_F_Q8_0); }    \
    void QB_EXPORT(qb_##op##_q4_0_q8_0_)(const qb_mat_args *a, int m0, int m1) { drv(a, m0, m1, QB_F_Q4_0); }    \
    void QB_EXPORT(qb_##op##_q4_1_q8_1_)(const qb_mat_args *a, int m0, int m1) { drv(a, m0, m1, QB_F_Q4_1); }    \
    void QB_EXPORT(qb_##op##_i4_gN_i8_pt_)(const qb_mat_args *a, int m0, int m1) { drv(a, m0, m1, QB_F_I4); }    \
    void QB_EXPORT(qb_##op##_u4_gN_i8_pt_)(const qb_mat_args *a, int m0, int m1) { drv(a, m0, m1, QB_F_U4); }

QB_INT_ENTRIES(gemv, qb_block_gemv)
QB_INT_ENTRIES(gemm, qb_block_gemm)
void QB_EXPORT(qb_gemv_i8_pc_i8_pt_)(const qb_mat_args *a, int m0, int m1) { qb_i8_gemv(a, m0, m1); }
void QB_EXPORT(qb_gemm_i8_pc_i8_pt_)(const qb_mat_args *a, int m0, int m1) { qb_i8_gemm(a, m0, m1); }
