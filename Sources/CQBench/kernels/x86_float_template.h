// The x86 float kernels (f32, f16, bf16 weights) over the x16 layouts, stamped out per ISA by avx2.c, avx512.c
// and avx512_bf16.c. The includer defines what x86_int_template.h needs plus:
//   QB_FGEMV_MV, QB_FGEMM_MV, QB_FGEMM_NR   register tiles (row vectors x activation rows)
//   QB_BF16_DOT (optional)                   qv_dot_bf16(acc, w_pairs, x_pairs) exists: use vdpbf16ps
//   QB_FLOAT_FORMATS (optional, default 1)   also emit f32/f16/bf16-with-f32 entries (0: bf16 x bf16 only)
// Accumulation is f32 with FMA, two chains per row vector in gemv, so sums are reassociated relative to
// scalar: these entries are verified by NMSE (docs/kernels.md), not bit-exactness.
#include <stdlib.h>

#include "x86_template_common.h"

#ifndef QB_FLOAT_FORMATS
#define QB_FLOAT_FORMATS 1
#endif
#define QB_FMAXMV (QB_FGEMM_MV > QB_FGEMV_MV ? QB_FGEMM_MV : QB_FGEMV_MV)
/* gemv software prefetch distance for the bf16 pair streams, bytes. */
#ifndef QB_FPF
#define QB_FPF 1024
#endif

/* Activation kinds after staging: f32 values, or bf16 pairs read in place by vdpbf16ps. */
enum { QB_FX_F32 = 0, QB_FX_BF16 = 1 };

typedef struct {
    const uint8_t *data; /* start of this vector's rows in the unit (half offset applied) */
    qvm mask;
    int row0;
} qb_fvrow;

/// Bytes of one k (f16, f32) or one k pair (bf16) across the 16 rows of a unit.
QB_INLINE size_t qb_fstep(int fmt) { return fmt == QB_F_F16 ? 32 : 64; }

QB_INLINE qb_fvrow qb_fvrow_at(const qb_mat_args *a, const qb_x16_geom *G, int fmt, int vr, int m0, int m1) {
    qb_fvrow v;
    const int u = vr / QV_HALVES, h = vr % QV_HALVES;
    v.data = (const uint8_t *)a->w + (size_t)u * G->chunk + (size_t)h * (qb_fstep(fmt) / QV_HALVES);
    v.row0 = vr * QV_L;
    int lo = qb_imax(m0, v.row0) - v.row0, hi = qb_imin(qb_imin(m1, a->M), v.row0 + QV_L) - v.row0;
    if (hi < lo) hi = lo;
    v.mask = qv_mask(lo, hi);
    return v;
}

/// Weights of row vector v at k (f16/f32), as f32.
QB_INLINE qvf qb_fw(int fmt, const qb_fvrow *v, int k) {
    return fmt == QB_F_F16 ? qv_load_ph(v->data + (size_t)k * 32) : qv_loadf(v->data + (size_t)k * 64);
}

/* bf16 k pair (even k in the low half of each 32-bit lane) widened to two f32 vectors, exactly. */
QB_INLINE qvf qb_bf_even(qvi w) { return qv_casti_f(qv_slli32_16(w)); }
QB_INLINE qvf qb_bf_odd(qvi w) { return qv_casti_f(qv_and(w, qv_set1_i32((int32_t)0xFFFF0000u))); }

/* One k (f16/f32) or k pair (bf16) of a tile into accumulator chain `c` (a constant). */
#define QB_FLOAT_STEP(k, c)                                                                        \
    do {                                                                                           \
        qvf w_[QB_FMAXMV];                                                                         \
        for (int i = 0; i < MV; i++) w_[i] = qb_fw(fmt, &vv[i], (k));                               \
        for (int j = 0; j < NR; j++) {                                                             \
            const qvf x_ = qv_set1_ps(xf[j][(k)]);                                                 \
            for (int i = 0; i < MV; i++) acc[i][j][c] = qv_fma(w_[i], x_, acc[i][j][c]);             \
        }                                                                                          \
    } while (0)
#if defined(QB_BF16_DOT)
#define QB_BF16_DOT_STEP(p, c, chk)                                                                \
    if (xkind == QB_FX_BF16) {                                                                     \
        for (int j = 0; j < NR; j++) {                                                             \
            qvi x2_;                                                                               \
            if (!(chk) || 2 * (p) + 1 < a->K) x2_ = qv_bcast4(xb[j] + 2 * (p));                    \
            else { const uint32_t t_ = xb[j][2 * (p)]; x2_ = qv_set1_i32((int32_t)t_); }           \
            for (int i = 0; i < MV; i++) acc[i][j][c] = qv_dot_bf16(acc[i][j][c], w_[i], x2_);      \
        }                                                                                          \
        break;                                                                                     \
    }
#else
/* bf16 activations read in place: the broadcast pair widened to (even, odd) f32 with two integer ops, shared
   by every row vector of the step (gemv; gemm stages them once per chunk instead). */
#define QB_BF16_DOT_STEP(p, c, chk)                                                                \
    if (xkind == QB_FX_BF16) {                                                                     \
        for (int j = 0; j < NR; j++) {                                                             \
            qvi x2_;                                                                               \
            if (!(chk) || 2 * (p) + 1 < a->K) x2_ = qv_bcast4(xb[j] + 2 * (p));                    \
            else { const uint32_t t_ = xb[j][2 * (p)]; x2_ = qv_set1_i32((int32_t)t_); }           \
            const qvf xe_ = qb_bf_even(x2_), xo_ = qb_bf_odd(x2_);                                 \
            for (int i = 0; i < MV; i++) {                                                         \
                acc[i][j][c] = qv_fma(qb_bf_even(w_[i]), xe_, acc[i][j][c]);                       \
                acc[i][j][c] = qv_fma(qb_bf_odd(w_[i]), xo_, acc[i][j][c]);                        \
            }                                                                                      \
        }                                                                                          \
        break;                                                                                     \
    }
#endif
/* `chk`: the pair may be the half pair past an odd K (only the last one), whose odd activation is 0. */
#define QB_BF16_STEP(p, c, chk)                                                                    \
    do {                                                                                           \
        qvi w_[QB_FMAXMV];                                                                         \
        for (int i = 0; i < MV; i++) w_[i] = qv_loadw(vv[i].data + (size_t)(p) * 64);              \
        QB_BF16_DOT_STEP(p, c, chk)                                                                \
        for (int j = 0; j < NR; j++) {                                                             \
            const qvf xe_ = qv_set1_ps(xf[j][2 * (p)]);                                            \
            const qvf xo_ = qv_set1_ps(!(chk) || 2 * (p) + 1 < a->K ? xf[j][2 * (p) + 1] : 0.0f);  \
            for (int i = 0; i < MV; i++) {                                                         \
                acc[i][j][c] = qv_fma(qb_bf_even(w_[i]), xe_, acc[i][j][c]);                       \
                acc[i][j][c] = qv_fma(qb_bf_odd(w_[i]), xo_, acc[i][j][c]);                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/// One register tile over k in [k0, k1): MV row vectors x NR activation rows. `xf[j]` are f32 activations
/// indexed by absolute k (staged), or bf16 rows when xkind is QB_FX_BF16 (vdpbf16ps only).
QB_INLINE void qb_ftile(const qb_mat_args *a, const int fmt, const int xkind, const int MV, const int NR,
                        const qb_fvrow *vv, const float *const *xf, const uint16_t *const *xb, float *const *yp,
                        int k0, int k1, int first) {
    /* gemv (NR == 1) runs two chains per row vector to cover FMA latency; gemm tiles have enough already. */
    enum { C = 2 };
    qvf acc[QB_FMAXMV][QB_FGEMM_NR > 1 ? QB_FGEMM_NR : 1][C];
    const int chains = NR == 1 ? 2 : 1;
    for (int i = 0; i < MV; i++)
        for (int j = 0; j < NR; j++) {
            acc[i][j][0] = first ? qv_zero_ps() : qv_maskload_f(yp[j] + vv[i].row0, vv[i].mask);
            acc[i][j][1] = qv_zero_ps();
        }
    /* Steps are unrolled by two with constant chain indices (1 only in gemv) so accumulators stay in registers. */
    const int c1 = chains == 2 ? 1 : 0;
    if (fmt == QB_F_BF16) {
        const int p0 = k0 / 2, p1 = (k1 + 1) / 2; /* k0 is even; the last pair may be half outside K */
        const int pfull = qb_imin(p1, a->K / 2);   /* pairs wholly inside K: no bounds test in the loop */
        int p = p0;
        for (; p + 1 < pfull; p += 2) {
            if (NR == 1)
                for (int i = 0; i < MV; i++)
                    _mm_prefetch((const char *)vv[i].data + (size_t)p * 64 + QB_FPF, _MM_HINT_T0);
            QB_BF16_STEP(p, 0, 0);
            QB_BF16_STEP(p + 1, c1, 0);
        }
        for (; p < p1; p++) QB_BF16_STEP(p, 0, 1);
    } else {
        int k = k0;
        for (; k + 1 < k1; k += 2) {
            if (NR == 1)
                for (int i = 0; i < MV; i++) {
                    _mm_prefetch((const char *)vv[i].data + (size_t)k * qb_fstep(fmt) + 1024, _MM_HINT_T0);
                    if (fmt == QB_F_F32) _mm_prefetch((const char *)vv[i].data + (size_t)k * 64 + 1088, _MM_HINT_T0);
                }
            QB_FLOAT_STEP(k, 0);
            QB_FLOAT_STEP(k + 1, c1);
        }
        if (k < k1) QB_FLOAT_STEP(k, 0);
    }
    (void)xkind;
    for (int i = 0; i < MV; i++)
        for (int j = 0; j < NR; j++) {
            const qvf r = chains == 2 ? qv_add(acc[i][j][0], acc[i][j][1]) : acc[i][j][0];
            qv_maskstore_f(yp[j] + vv[i].row0, vv[i].mask, r);
        }
}

#define QB_FTILE_CASE(mvc, nrc) qb_ftile(a, fmt, xkind, mvc, nrc, vv, xf, xb, yp, k0, k1, first)
#if QB_FMAXMV > 4 || QB_FGEMM_NR > 12
#error "float tile sizes above 4 row vectors or 12 activation rows need more cases"
#endif

QB_INLINE void qb_ftile_dispatch(const qb_mat_args *a, const int fmt, const int xkind, int mv, int nr,
                                 const qb_fvrow *vv, const float *const *xf, const uint16_t *const *xb,
                                 float *const *yp, int k0, int k1, int first) {
    if (nr == 1) { QB_SW_MV1(QB_FTILE_CASE, QB_FMAXMV) }
    else { QB_SW_MV_NR(QB_FTILE_CASE, QB_FGEMM_MV, QB_FGEMM_NR) }
}

/// Stages activation rows [n0, n0+rows) for k in [k0, k1) as f32 in `buf` (row stride kc), or points into
/// the caller's rows when they already are f32.
QB_INLINE void qb_fstage(const qb_mat_args *a, const int afmt_bf16, int n0, int rows, int k0, int k1, int kc,
                         float *buf, const float **xf) {
    for (int j = 0; j < rows; j++) {
        const uint8_t *xr = (const uint8_t *)a->x + (size_t)(n0 + j) * a->x_stride;
        if (!afmt_bf16) { xf[j] = (const float *)xr; continue; }
        float *d = buf + (size_t)j * kc;
        const uint16_t *s = (const uint16_t *)xr;
        for (int k = k0; k < k1; k++) d[k - k0] = qb_bf16_to_f32(s[k]);
        xf[j] = d - k0; /* indexed by absolute k */
    }
}

enum { QB_FGEMV_KC = 2048, QB_FGEMM_KC = 256 };

QB_INLINE void qb_float_gemv(const qb_mat_args *a, int m0, int m1, const int fmt, const int afmt_bf16) {
    qb_x16_geom G;
    if (m1 <= m0) return;
    if (!qb_x16_geometry(fmt, a->M, a->K, a->group, &G)) { qb_fill_nan(a, m0, m1); return; }
    const int xkind = afmt_bf16 ? QB_FX_BF16 : QB_FX_F32; /* gemv reads bf16 activations in place */
    float buf[QB_FGEMV_KC];
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L;
    for (int n = 0; n < a->N; n++) {
        float *yp[1] = {a->y + (size_t)n * a->ldy};
        const uint16_t *xb[1] = {(const uint16_t *)((const uint8_t *)a->x + (size_t)n * a->x_stride)};
        /* Only bf16 activations staged as f32 need chunks (the stack buffer); otherwise stream each row whole. */
        const int stage = afmt_bf16 && xkind == QB_FX_F32, kc = stage ? QB_FGEMV_KC : qb_imax(1, a->K);
        for (int k0 = 0; k0 < a->K; k0 += kc) {
            const int k1 = qb_imin(a->K, k0 + kc);
            const float *xf[1];
            qb_fstage(a, stage, n, 1, k0, k1, QB_FGEMV_KC, buf, xf);
            for (int vr = vr0; vr < vr1; vr += QB_FGEMV_MV) {
                const int mv = qb_imin(QB_FGEMV_MV, vr1 - vr);
                qb_fvrow vv[QB_FMAXMV];
                for (int i = 0; i < mv; i++) vv[i] = qb_fvrow_at(a, &G, fmt, vr + i, m0, m1);
                qb_ftile_dispatch(a, fmt, xkind, mv, 1, vv, xf, xb, yp, k0, k1, k0 == 0);
            }
        }
        if (a->K == 0)
            for (int m = m0; m < qb_imin(m1, a->M); m++) yp[0][m] = 0.0f;
    }
}

/* gemm blocking as the integer kernels: NC activation rows x MC row vectors per block, K in chunks of
   QB_FGEMM_KC, so a block's partial sums stay in L2 across the chunks instead of y streaming per chunk. */
#define QB_FGEMM_NC 128
#define QB_FGEMM_MCV (QB_FGEMM_MV * 5)

QB_INLINE void qb_float_gemm(const qb_mat_args *a, int m0, int m1, const int fmt, const int afmt_bf16) {
    qb_x16_geom G;
    if (m1 <= m0 || a->N <= 0) return;
    if (!qb_x16_geometry(fmt, a->M, a->K, a->group, &G)) { qb_fill_nan(a, m0, m1); return; }
#if defined(QB_BF16_DOT)
    const int xkind = afmt_bf16 ? QB_FX_BF16 : QB_FX_F32;
#else
    const int xkind = QB_FX_F32;
#endif
    const int stage = afmt_bf16 && xkind == QB_FX_F32, nc = qb_imin(a->N, QB_FGEMM_NC);
    float stack_buf[QB_FGEMM_KC * 4];
    float *buf = NULL;
    if (stage) {
        buf = nc <= 4 ? stack_buf : (float *)malloc((size_t)nc * QB_FGEMM_KC * sizeof(float));
        if (!buf) { qb_fill_nan(a, m0, m1); return; }
    }
    const float *xfa[QB_FGEMM_NC];
    const int vr0 = m0 / QV_L, vr1 = (qb_imin(m1, a->M) + QV_L - 1) / QV_L;
    if (a->K == 0)
        for (int n = 0; n < a->N; n++)
            for (int m = m0; m < qb_imin(m1, a->M); m++) a->y[(size_t)n * a->ldy + m] = 0.0f;
    for (int n0 = 0; n0 < a->N; n0 += QB_FGEMM_NC) {
        const int n1 = qb_imin(a->N, n0 + QB_FGEMM_NC);
        for (int vb0 = vr0; vb0 < vr1; vb0 += QB_FGEMM_MCV) {
            const int vb1 = qb_imin(vr1, vb0 + QB_FGEMM_MCV);
            for (int k0 = 0; k0 < a->K; k0 += QB_FGEMM_KC) {
                const int k1 = qb_imin(a->K, k0 + QB_FGEMM_KC);
                qb_fstage(a, stage, n0, n1 - n0, k0, k1, QB_FGEMM_KC, buf, xfa);
                for (int vr = vb0; vr < vb1; vr += QB_FGEMM_MV) {
                    const int mv = qb_imin(QB_FGEMM_MV, vb1 - vr);
                    qb_fvrow vv[QB_FMAXMV];
                    for (int i = 0; i < mv; i++) vv[i] = qb_fvrow_at(a, &G, fmt, vr + i, m0, m1);
                    for (int n = n0; n < n1; n += QB_FGEMM_NR) {
                        const int nr = qb_imin(QB_FGEMM_NR, n1 - n);
                        float *yp[QB_FGEMM_NR];
                        const uint16_t *xb[QB_FGEMM_NR];
                        for (int j = 0; j < nr; j++) {
                            yp[j] = a->y + (size_t)(n + j) * a->ldy;
                            xb[j] = (const uint16_t *)((const uint8_t *)a->x + (size_t)(n + j) * a->x_stride);
                        }
                        qb_ftile_dispatch(a, fmt, xkind, mv, nr, vv, xfa + (n - n0), xb, yp, k0, k1, k0 == 0);
                    }
                }
            }
        }
    }
    if (buf && buf != stack_buf) free(buf);
}

#if QB_FLOAT_FORMATS
void QB_EXPORT(qb_gemv_f32_f32_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemv(a, m0, m1, QB_F_F32, 0); }
void QB_EXPORT(qb_gemm_f32_f32_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemm(a, m0, m1, QB_F_F32, 0); }
void QB_EXPORT(qb_gemv_f16_f32_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemv(a, m0, m1, QB_F_F16, 0); }
void QB_EXPORT(qb_gemm_f16_f32_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemm(a, m0, m1, QB_F_F16, 0); }
void QB_EXPORT(qb_gemv_bf16_f32_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemv(a, m0, m1, QB_F_BF16, 0); }
void QB_EXPORT(qb_gemm_bf16_f32_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemm(a, m0, m1, QB_F_BF16, 0); }
#endif
void QB_EXPORT(qb_gemv_bf16_bf16_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemv(a, m0, m1, QB_F_BF16, 1); }
void QB_EXPORT(qb_gemm_bf16_bf16_)(const qb_mat_args *a, int m0, int m1) { qb_float_gemm(a, m0, m1, QB_F_BF16, 1); }
