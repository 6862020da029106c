// AArch64 kernels for ggml's 256-element k-quants (q4_k, q5_k, q6_k with q8_k activations) and for q5_0 (with
// q8_0 activations), on the blocks as stored: `neon` (smull/sadalp) and `neon_dotprod` (sdot), gemv and gemm,
// stamped out of arm_kquant_template.h, and `neon_i8mm` gemv and gemm (smmla, 2x2 row/token tiles) below. Quants are
// unpacked in registers (and, shift, or, and a bit test for q5_0's fifth bits) into int8 vectors; q4_k/q5_k stay
// unsigned (0..31 fits int8), q6_k and q5_0 become q - 32 and q - 16.
// Exactness (docs/kernels.md): the int32 per super-block (q5_0: per block) is the scalar reference's
// (scalar_kquant.c): sub-block dot products scaled by their integer scale with vmla, the q4_k/q5_k mins term from
// q8_k's bsums, then per output and super-block in increasing k the same f32 epilogue, lane by lane:
//   acc = fma((float)isum, d*dx, fma((float)-msum, dmin*dx, acc))   q4_k, q5_k
//   acc = fma((float)isum, d*dx, acc)                               q6_k, q5_0
// Requires "asimd" (neon), "asimd,asimddp" (neon_dotprod), "asimd,i8mm" (neon_i8mm).
#if defined(__aarch64__)
#include "arm_common.h"

QB_ARM_NO_CONTRACT

_Static_assert(sizeof(qb_block_q4_k) == 144 && sizeof(qb_block_q5_k) == 176 && sizeof(qb_block_q6_k) == 210,
               "k-quant blocks");
_Static_assert(sizeof(qb_block_q8_k) == 292 && sizeof(qb_block_q5_0) == 22, "q8_k and q5_0 blocks");

/* ---- shared by every variant: shape check, unpacking (baseline NEON only, so any variant may inline it) ---- */

/// 0 when there is nothing to compute, or the shape is refused (K not a multiple of `block`: NaN outputs, as the
/// scalar reference writes them).
QB_ARM_INLINE int kq_begin(const qb_mat_args *a, int m0, int m1, int block) {
    if (m1 <= m0 || a->N <= 0) return 0;
    if (a->K % block != 0) {
        qb_arm_fill_nan(a, m0, m1);
        return 0;
    }
    return 1;
}

/// The 8 six-bit scales and mins of a q4_k/q5_k super-block from its packed scales[12] (qb_scale_min_k4's order),
/// a 32-bit word at a time: sub-blocks 0-3 are the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); 4-7 take the
/// low (scale) or high (min) nibble of bytes 8-11 and, as bits 4-5, the top 2 bits of bytes 0-3 or 4-7.
QB_ARM_INLINE void kq_scales_k4(const uint8_t *p, uint8_t sc[8], uint8_t mn[8]) {
    uint32_t u[3], s[2], m[2];
    memcpy(u, p, 12);
    s[0] = u[0] & 0x3f3f3f3fu;
    s[1] = (u[2] & 0x0f0f0f0fu) | ((u[0] >> 6) & 0x03030303u) << 4;
    m[0] = u[1] & 0x3f3f3f3fu;
    m[1] = ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 6) & 0x03030303u) << 4;
    memcpy(sc, s, 8);
    memcpy(mn, m, 8);
}

/// The 8 q4_k/q5_k scales widened for the template's pairwise sums: out[p] = [sc_2p, sc_2p, sc_2p+1, sc_2p+1], the
/// scale of each lane of vpaddq(dot of sub-block 2p, dot of sub-block 2p+1).
QB_ARM_INLINE void kq_scales_pairs(const uint8_t sc[8], int32x4_t out[4]) {
    const uint8x8_t v = vld1_u8(sc);
    const uint16x8_t lo = vmovl_u8(vzip1_u8(v, v)), hi = vmovl_u8(vzip2_u8(v, v));
    out[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo)));
    out[1] = vreinterpretq_s32_u32(vmovl_high_u16(lo));
    out[2] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi)));
    out[3] = vreinterpretq_s32_u32(vmovl_high_u16(hi));
}

/// The 16 q6_k scales widened for the template's reductions: out[hc] holds those of sub-blocks s0, s0+1, s0+4,
/// s0+5 (s0 = 8*(hc/2) + 2*(hc%2)), the order of kq_q6_quad's four vectors.
QB_ARM_INLINE void kq_scales_q6(const int8_t *scales, int32x4_t out[4]) {
    static const uint8_t kOrder[16] = {0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15};
    const int8x16_t s = vqtbl1q_s8(vld1q_s8(scales), vld1q_u8(kOrder));
    const int16x8_t lo = vmovl_s8(vget_low_s8(s)), hi = vmovl_high_s8(s);
    out[0] = vmovl_s16(vget_low_s16(lo));
    out[1] = vmovl_high_s16(lo);
    out[2] = vmovl_s16(vget_low_s16(hi));
    out[3] = vmovl_high_s16(hi);
}

/// Elements 16u..16u+15 of sub-block j (0..7) of a q4_k/q5_k super-block as int8 0..15 (0..31 with q5_k's `qh`):
/// the nibbles of qs[32*(j/2) + 16u ...], low for even j, high for odd; q5_k adds bit j of qh[16u ...] as 16.
QB_ARM_INLINE int8x16_t kq_q45_vec(const uint8_t *qs, const uint8_t *qh, int j, int u) {
    const uint8x16_t v = vld1q_u8(qs + 32 * (j >> 1) + 16 * u);
    uint8x16_t q = (j & 1) ? vshrq_n_u8(v, 4) : vandq_u8(v, vdupq_n_u8(0x0f));
    if (qh) {
        const uint8x16_t h = vshlq_u8(vld1q_u8(qh + 16 * u), vdupq_n_s8((int8_t)(4 - j))); /* bit j to bit 4 */
        q = vorrq_u8(q, vandq_u8(h, vdupq_n_u8(0x10)));
    }
    return vreinterpretq_s8_u8(q);
}

/// Elements 16s..16s+15 (s = 0..7) of half h of a q6_k super-block (its sub-block 8h + s) as int8 q - 32: quarter
/// t = s/2 takes the low (t < 2) or high nibbles of ql[64h + 32*(t&1) + 16*(s&1) ...] and bits 2t, 2t+1 of
/// qh[32h + 16*(s&1) ...] as bits 4-5. Shifts by vector, so an s only known at run time costs no select.
QB_ARM_INLINE int8x16_t kq_q6_vec(const uint8_t *blk, int h, int s) {
    const int t = s >> 1;
    const uint8x16_t l = vld1q_u8(blk + offsetof(qb_block_q6_k, ql) + 64 * h + 32 * (t & 1) + 16 * (s & 1));
    const uint8x16_t hb = vld1q_u8(blk + offsetof(qb_block_q6_k, qh) + 32 * h + 16 * (s & 1));
    const uint8x16_t lo = vandq_u8(vshlq_u8(l, vdupq_n_s8((int8_t)(t >= 2 ? -4 : 0))), vdupq_n_u8(0x0f));
    const uint8x16_t hi = vandq_u8(vshlq_u8(hb, vdupq_n_s8((int8_t)(4 - 2 * t))), vdupq_n_u8(0x30));
    return vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(lo, hi)), vdupq_n_s8(32));
}

/// Four vectors of half h of a q6_k super-block from 32 bytes of ql (c = 0: ql[64h ..], 1: ql[64h + 32 ..]) and
/// the 32 of qh[32h ..], as int8 q - 32: q[0], q[1] the low nibbles (sub-blocks 8h + 2c, 8h + 2c + 1, qh bits
/// 2c, 2c+1), q[2], q[3] the high nibbles (sub-blocks 8h + 2c + 4 and + 5, qh bits 2c+4, 2c+5).
QB_ARM_INLINE void kq_q6_quad(const uint8_t *blk, int h, int c, int8x16_t q[4]) {
    const uint8_t *ql = blk + offsetof(qb_block_q6_k, ql) + 64 * h + 32 * c;
    const uint8_t *qh = blk + offsetof(qb_block_q6_k, qh) + 32 * h;
    const int8x16_t s_lo = vdupq_n_s8((int8_t)(4 - 2 * c)), s_hi = vdupq_n_s8((int8_t)(-2 * c));
    const uint8x16_t m4 = vdupq_n_u8(0x0f), m30 = vdupq_n_u8(0x30);
    const int8x16_t k32 = vdupq_n_s8(32);
    for (int u = 0; u < 2; u++) {
        const uint8x16_t l = vld1q_u8(ql + 16 * u), hb = vld1q_u8(qh + 16 * u);
        const uint8x16_t lo = vorrq_u8(vandq_u8(l, m4), vandq_u8(vshlq_u8(hb, s_lo), m30));
        const uint8x16_t hi = vorrq_u8(vshrq_n_u8(l, 4), vandq_u8(vshlq_u8(hb, s_hi), m30));
        q[u] = vsubq_s8(vreinterpretq_s8_u8(lo), k32);
        q[2 + u] = vsubq_s8(vreinterpretq_s8_u8(hi), k32);
    }
}

/// The 32 quants of a q5_0 block as int8 q - 16: elements 0..15 (low nibbles, qh bits 0..15) in *lo, 16..31
/// (high nibbles, qh bits 16..31) in *hi. q - 16 = nibble - (16 where the fifth bit is clear).
QB_ARM_INLINE void kq_q50_decode(const uint8_t *blk, int8x16_t *lo, int8x16_t *hi) {
    static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8_t *qh = blk + offsetof(qb_block_q5_0, qh);
    const uint8x16_t bits = vld1q_u8(kBit), m16 = vdupq_n_u8(0x10);
    const uint8x16_t v = vld1q_u8(blk + offsetof(qb_block_q5_0, qs));
    const uint8x16_t hl = vcombine_u8(vdup_n_u8(qh[0]), vdup_n_u8(qh[1]));
    const uint8x16_t hh = vcombine_u8(vdup_n_u8(qh[2]), vdup_n_u8(qh[3]));
    *lo = vreinterpretq_s8_u8(vsubq_u8(vandq_u8(v, vdupq_n_u8(0x0f)), vbicq_u8(m16, vtstq_u8(hl, bits))));
    *hi = vreinterpretq_s8_u8(vsubq_u8(vshrq_n_u8(v, 4), vbicq_u8(m16, vtstq_u8(hh, bits))));
}

/// The 8 mins of a q4_k/q5_k super-block by the 8 sub-block sums of a q8_k block (bsums in pairs), as 4 int32
/// partial sums (exact: |m * sum| < 2^18).
QB_ARM_INLINE int32x4_t kq_mins_dot(const uint8_t mn[8], int16x8_t bs) {
    const int16x8_t m = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mn)));
    return vmlal_high_s16(vmull_s16(vget_low_s16(m), vget_low_s16(bs)), m, bs);
}
/// q8_k's per-32 activation sums: bsums 2j + 2j+1 in lane j.
QB_ARM_INLINE int16x8_t kq_bsums32(const qb_block_q8_k *x) {
    return vpaddq_s16(vld1q_s16(x->bsums), vld1q_s16(x->bsums + 8));
}

/// Stores lanes of `v` (rows m..m+3) for the rows below m1 of output row n.
QB_ARM_INLINE void kq_store4(const qb_mat_args *a, float32x4_t v, int n, int m, int m1) {
    float out[4];
    vst1q_f32(out, v);
    float *y = a->y + (size_t)n * a->ldy;
    for (int i = 0; i < 4 && m + i < m1; i++) y[m + i] = out[i];
}

/* ---- neon and neon_dotprod: 4 weight rows (lanes) by NR activation rows ---- */

#define KQ_CAT_(a, b) a##b
#define KQ_CAT(a, b) KQ_CAT_(a, b)
#define KQ_FN(base) KQ_CAT(base##_, QB_V)
#define KQ_NAME(op, fmt) KQ_CAT(KQ_CAT(qb_, op), KQ_CAT(_##fmt##_, QB_V))

#define QB_V neon
#define QB_VATTR
#define QB_DOT16(c, a, b) qb_neon_dot16(c, a, b)
#include "arm_kquant_template.h"
#undef QB_V
#undef QB_VATTR
#undef QB_DOT16

#define QB_V neon_dotprod
#define QB_VATTR QB_ARM_DOTPROD
#define QB_DOT16(c, a, b) vdotq_s32(c, a, b)
#include "arm_kquant_template.h"
#undef QB_V
#undef QB_VATTR
#undef QB_DOT16

/* ---- neon_i8mm: smmla, 4 weight rows by 4 activation rows as 2x2 tiles of 2x2 (gemm), or by one (gemv) ----
   smmla multiplies a 2x8 tile of two weight rows by a 2x8 tile of two activation rows. gemv has one activation row,
   so it passes it as both (x, x): lanes 0-1 hold row 2p's dot product twice and lanes 2-3 row 2p+1's, 16 useful
   products of each smmla's 32, as many as sdot gives per instruction. Only the p tiles are computed (the q loop
   runs once) and lanes 0 and 2 stored. A gemm with N = 1 would compute both q tiles of the same row. */

QB_ARM_INLINE int32x4_t kq_rows_s(int32_t r0, int32_t r1) { return vcombine_s32(vdup_n_s32(r0), vdup_n_s32(r1)); }

/// 16 elements of 2 rows (a, b) by the same 16 of 2 activations (c, e): the 2x2 int32 dot products.
QB_ARM_INLINE QB_ARM_I8MM int32x4_t kq_mm16(int32x4_t t, int8x16_t a, int8x16_t b, int8x16_t c, int8x16_t e) {
    t = vmmlaq_s32(t, qb_arm_zip_lo(a, b), qb_arm_zip_lo(c, e));
    return vmmlaq_s32(t, qb_arm_zip_hi(a, b), qb_arm_zip_hi(c, e));
}

/// Rows and activation rows of a 4x4 tile (gemv: all four activation rows are row n); tails reuse the last valid
/// one (computed, not stored).
QB_ARM_INLINE void kq_tile_rows(const int gemv, const qb_mat_args *a, int m, int m1, int n, const uint8_t *wr[4],
                                const uint8_t *xr[4]) {
    for (int i = 0; i < 4; i++) {
        wr[i] = (const uint8_t *)a->w + (size_t)qb_arm_min(m + i, m1 - 1) * a->w_stride;
        xr[i] = (const uint8_t *)a->x + (size_t)qb_arm_min(n + (gemv ? 0 : i), a->N - 1) * a->x_stride;
    }
}

/// Stores a tile: gemm the 4x4 tile (`qb_arm_store_tile`); gemv lanes 0 and 2 of the two p tiles (rows m..m+3 of
/// activation row n), the rows below m1 only.
QB_ARM_INLINE void kq_store(const int gemv, const qb_mat_args *a, float32x4_t acc[2][2], int m, int m1, int n) {
    if (!gemv) {
        qb_arm_store_tile(a, acc, m, m1, n);
        return;
    }
    float *y = a->y + (size_t)n * a->ldy;
    for (int p = 0; p < 2; p++) {
        float out[4];
        vst1q_f32(out, acc[p][0]);
        for (int r = 0; r < 2; r++)
            if (m + 2 * p + r < m1) y[m + 2 * p + r] = out[2 * r];
    }
}

QB_ARM_INLINE QB_ARM_I8MM void kq_mm_q45k(const int gemv, const int five, const qb_mat_args *a, int m0, int m1) {
    if (!kq_begin(a, m0, m1, QB_QKK)) return;
    const int nb = a->K / QB_QKK;
    const size_t bb = five ? sizeof(qb_block_q5_k) : sizeof(qb_block_q4_k);
    const size_t qso = five ? offsetof(qb_block_q5_k, qs) : offsetof(qb_block_q4_k, qs);
    const int nq = gemv ? 1 : 2, nx = gemv ? 1 : 4; // activation tiles and distinct activation rows
    for (int n = 0; n < a->N; n += nx)
        for (int m = m0; m < m1; m += 4) {
            const uint8_t *wr[4], *xr[4];
            kq_tile_rows(gemv, a, m, m1, n, wr, xr);
            float32x4_t acc[2][2];
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++) acc[p][q] = vdupq_n_f32(0.0f);
            for (int b = 0; b < nb; b++) {
                const uint8_t *w[4], *qh[4];
                const qb_block_q8_k *x[4];
                uint8_t sc[4][8], mn[4][8];
                for (int i = 0; i < 4; i++) {
                    w[i] = wr[i] + (size_t)b * bb;
                    qh[i] = five ? w[i] + offsetof(qb_block_q5_k, qh) : NULL;
                    x[i] = (const qb_block_q8_k *)(xr[i] + (size_t)b * sizeof(qb_block_q8_k));
                    kq_scales_k4(w[i] + offsetof(qb_block_q4_k, scales), sc[i], mn[i]);
                }
                int32x4_t is[2][2];
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < 2; q++) is[p][q] = vdupq_n_s32(0);
                for (int jp = 0; jp < 8; jp += 2) // sub-blocks of 32 by pairs: then each copy of the inner
                    for (int j = jp; j < jp + 2; j++) { // loop knows j's parity (the nibble), no select
                        int8x16_t wq[4][2], xq[4][2];
                        for (int i = 0; i < 4; i++) {
                            wq[i][0] = kq_q45_vec(w[i] + qso, qh[i], j, 0);
                            wq[i][1] = kq_q45_vec(w[i] + qso, qh[i], j, 1);
                        }
                        for (int i = 0; i < nx; i++) {
                            xq[i][0] = vld1q_s8(x[i]->qs + 32 * j);
                            xq[i][1] = vld1q_s8(x[i]->qs + 32 * j + 16);
                        }
                        for (int p = 0; p < 2; p++)
                            for (int q = 0; q < nq; q++) {
                                const int c0 = gemv ? 0 : 2 * q, c1 = gemv ? 0 : 2 * q + 1;
                                int32x4_t t = vdupq_n_s32(0);
                                for (int u = 0; u < 2; u++)
                                    t = kq_mm16(t, wq[2 * p][u], wq[2 * p + 1][u], xq[c0][u], xq[c1][u]);
                                is[p][q] = vmlaq_s32(is[p][q], t, kq_rows_s(sc[2 * p][j], sc[2 * p + 1][j]));
                            }
                    }
                int32x4_t mv[4][4]; // [row][activation row]
                for (int j = 0; j < nx; j++) {
                    const int16x8_t bs = kq_bsums32(x[j]);
                    for (int i = 0; i < 4; i++) mv[i][j] = kq_mins_dot(mn[i], bs);
                }
                const float32x4_t d4 = qb_arm_f16x4(w[0], w[1], w[2], w[3]);
                const float32x4_t dm4 = qb_arm_f16x4(w[0] + 2, w[1] + 2, w[2] + 2, w[3] + 2);
                const float xs[4] = {x[0]->d, x[1]->d, x[2]->d, x[3]->d};
                const float32x4_t dx4 = vld1q_f32(xs);
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < nq; q++) {
                        const int c0 = gemv ? 0 : 2 * q, c1 = gemv ? 0 : 2 * q + 1;
                        const int32x4_t msum = qb_arm_hsum4_s32(mv[2 * p][c0], mv[2 * p][c1], mv[2 * p + 1][c0],
                                                                mv[2 * p + 1][c1]);
                        acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(vnegq_s32(msum)),
                                              vmulq_f32(qb_arm_rows_f(dm4, p), qb_arm_cols_f(dx4, q)));
                        acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(is[p][q]),
                                              vmulq_f32(qb_arm_rows_f(d4, p), qb_arm_cols_f(dx4, q)));
                    }
            }
            kq_store(gemv, a, acc, m, m1, n);
        }
}

QB_ARM_INLINE QB_ARM_I8MM void kq_mm_q6k(const int gemv, const qb_mat_args *a, int m0, int m1) {
    if (!kq_begin(a, m0, m1, QB_QKK)) return;
    const int nb = a->K / QB_QKK;
    const int nq = gemv ? 1 : 2, nx = gemv ? 1 : 4; // activation tiles and distinct activation rows
    for (int n = 0; n < a->N; n += nx)
        for (int m = m0; m < m1; m += 4) {
            const uint8_t *wr[4], *xr[4];
            kq_tile_rows(gemv, a, m, m1, n, wr, xr);
            float32x4_t acc[2][2];
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++) acc[p][q] = vdupq_n_f32(0.0f);
            for (int b = 0; b < nb; b++) {
                const uint8_t *w[4];
                const qb_block_q8_k *x[4];
                for (int i = 0; i < 4; i++) {
                    w[i] = wr[i] + (size_t)b * sizeof(qb_block_q6_k);
                    x[i] = (const qb_block_q8_k *)(xr[i] + (size_t)b * sizeof(qb_block_q8_k));
                }
                const int8_t *sc[4];
                for (int i = 0; i < 4; i++) sc[i] = (const int8_t *)(w[i] + offsetof(qb_block_q6_k, scales));
                int32x4_t is[2][2];
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < 2; q++) is[p][q] = vdupq_n_s32(0);
                for (int s = 0; s < 16; s++) { // sub-blocks of 16
                    int8x16_t wq[4], xq[4];
                    for (int i = 0; i < 4; i++) wq[i] = kq_q6_vec(w[i], s >> 3, s & 7);
                    for (int i = 0; i < nx; i++) xq[i] = vld1q_s8(x[i]->qs + 16 * s);
                    for (int p = 0; p < 2; p++)
                        for (int q = 0; q < nq; q++) {
                            const int c0 = gemv ? 0 : 2 * q, c1 = gemv ? 0 : 2 * q + 1;
                            const int32x4_t t = kq_mm16(vdupq_n_s32(0), wq[2 * p], wq[2 * p + 1], xq[c0], xq[c1]);
                            is[p][q] = vmlaq_s32(is[p][q], t, kq_rows_s(sc[2 * p][s], sc[2 * p + 1][s]));
                        }
                }
                const size_t od = offsetof(qb_block_q6_k, d);
                const float32x4_t d4 = qb_arm_f16x4(w[0] + od, w[1] + od, w[2] + od, w[3] + od);
                const float xs[4] = {x[0]->d, x[1]->d, x[2]->d, x[3]->d};
                const float32x4_t dx4 = vld1q_f32(xs);
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < nq; q++)
                        acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(is[p][q]),
                                              vmulq_f32(qb_arm_rows_f(d4, p), qb_arm_cols_f(dx4, q)));
            }
            kq_store(gemv, a, acc, m, m1, n);
        }
}

QB_ARM_INLINE QB_ARM_I8MM void kq_mm_q50(const int gemv, const qb_mat_args *a, int m0, int m1) {
    if (!kq_begin(a, m0, m1, QB_QK)) return;
    const int nb = a->K / QB_QK;
    const int nq = gemv ? 1 : 2, nx = gemv ? 1 : 4; // activation tiles and distinct activation rows
    for (int n = 0; n < a->N; n += nx)
        for (int m = m0; m < m1; m += 4) {
            const uint8_t *wr[4], *xr[4];
            kq_tile_rows(gemv, a, m, m1, n, wr, xr);
            float32x4_t acc[2][2];
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 2; q++) acc[p][q] = vdupq_n_f32(0.0f);
            for (int b = 0; b < nb; b++) {
                const uint8_t *w[4], *x[4];
                int8x16_t wl[4], wh[4], xl[4], xh[4];
                for (int i = 0; i < 4; i++) {
                    w[i] = wr[i] + (size_t)b * sizeof(qb_block_q5_0);
                    x[i] = xr[i] + (size_t)b * sizeof(qb_block_q8_0);
                    kq_q50_decode(w[i], &wl[i], &wh[i]);
                }
                for (int i = 0; i < nx; i++) {
                    xl[i] = vld1q_s8((const int8_t *)x[i] + offsetof(qb_block_q8_0, qs));
                    xh[i] = vld1q_s8((const int8_t *)x[i] + offsetof(qb_block_q8_0, qs) + 16);
                }
                const float32x4_t dw4 = qb_arm_f16x4(w[0], w[1], w[2], w[3]);
                const float32x4_t dx4 = qb_arm_f16x4(x[0], x[1], x[2], x[3]);
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < nq; q++) {
                        const int c0 = gemv ? 0 : 2 * q, c1 = gemv ? 0 : 2 * q + 1;
                        int32x4_t t = kq_mm16(vdupq_n_s32(0), wl[2 * p], wl[2 * p + 1], xl[c0], xl[c1]);
                        t = kq_mm16(t, wh[2 * p], wh[2 * p + 1], xh[c0], xh[c1]);
                        acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(t),
                                              vmulq_f32(qb_arm_rows_f(dw4, p), qb_arm_cols_f(dx4, q)));
                    }
            }
            kq_store(gemv, a, acc, m, m1, n);
        }
}

QB_ARM_I8MM void qb_gemm_q4_k_q8_k_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q45k(0, 0, a, m0, m1); }
QB_ARM_I8MM void qb_gemm_q5_k_q8_k_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q45k(0, 1, a, m0, m1); }
QB_ARM_I8MM void qb_gemm_q6_k_q8_k_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q6k(0, a, m0, m1); }
QB_ARM_I8MM void qb_gemm_q5_0_q8_0_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q50(0, a, m0, m1); }
QB_ARM_I8MM void qb_gemv_q4_k_q8_k_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q45k(1, 0, a, m0, m1); }
QB_ARM_I8MM void qb_gemv_q5_k_q8_k_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q45k(1, 1, a, m0, m1); }
QB_ARM_I8MM void qb_gemv_q6_k_q8_k_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q6k(1, a, m0, m1); }
QB_ARM_I8MM void qb_gemv_q5_0_q8_0_neon_i8mm(const qb_mat_args *a, int m0, int m1) { kq_mm_q50(1, a, m0, m1); }
#endif
