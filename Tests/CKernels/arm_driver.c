// Cross-compiled test driver for the AArch64 kernels (run under qemu-aarch64 by
// scripts/test.d/arm-kernels.sh, or natively on an ARM machine). It is linked with the SHARED scalar
// reference (Sources/CQBench/kernels/scalar.c) and the shared registry (registry.c), so it sees the same
// qb_kernel_registry() the Swift side sees on aarch64: the scalar entries followed by the ARM ones.
//
// Two checks, one line each (`op wfmt afmt variant: status (...)`):
//  - every `scalar` entry against ref.c, a second scalar reference written from docs/layouts.md and
//    qbench_kernels.h: the two must agree bit for bit on every format (floats included: both sum in k order
//    in f32 without FMA; integer blocks with the contract's one fmaf per block), so a divergence between the
//    two readings of the contract is caught;
//  - every ARM entry the CPU supports (HWCAP/HWCAP2 via getauxval) against the scalar entry with the same
//    (op, wfmt, afmt), on the same operands (activations made by scalar's quantize_row, as the Swift verifier
//    does). Integer paths must match bit for bit (bit patterns, as KernelVerifier compares them), float paths
//    within the entry's NMSE bound (default 5e-4) and a per-output bound relative to sum|w*x|.
// Shapes are ragged (M, N, and K where the format allows), rows are split at an untiled point as threads
// would split them, padding past M must stay untouched, and shapes a format cannot hold must give NaN.
// Exit status 1 on any mismatch or malformed registry entry.
#if !defined(__aarch64__)
#error "arm_driver.c is built for aarch64 only"
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <arm_sve.h>

#include "../../Sources/CQBench/kernels/arm_common.h"
#include "ref.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* gcc: the build passes -ffp-contract=off */
#endif

/* ---- CPU features, canonical names (docs/cli.md), from the Linux auxiliary vector ---- */
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_FPHP
#define HWCAP_FPHP (1UL << 9)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1UL << 10)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#ifndef HWCAP_SVE
#define HWCAP_SVE (1UL << 22)
#endif
#ifndef HWCAP2_SVE2
#define HWCAP2_SVE2 (1UL << 1)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1UL << 13)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1UL << 14)
#endif

static const struct { const char *name; int word; unsigned long bit; } kFeatures[] = {
    {"asimd", 1, HWCAP_ASIMD},     {"asimddp", 1, HWCAP_ASIMDDP}, {"asimdhp", 1, HWCAP_ASIMDHP},
    {"fphp", 1, HWCAP_FPHP},       {"sve", 1, HWCAP_SVE},         {"sve2", 2, HWCAP2_SVE2},
    {"i8mm", 2, HWCAP2_I8MM},      {"bf16", 2, HWCAP2_BF16},
};
static unsigned long g_hwcap, g_hwcap2;

/// 1 if the CPU has every feature in the comma-separated list, 0 if not (first missing in *missing),
/// -1 if the list names a feature this driver does not know (a registry bug).
static int has_features(const char *req, char *missing, size_t cap) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", req);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int known = 0, have = 0;
        for (size_t i = 0; i < sizeof kFeatures / sizeof kFeatures[0]; i++)
            if (strcmp(tok, kFeatures[i].name) == 0) {
                known = 1;
                have = ((kFeatures[i].word == 1 ? g_hwcap : g_hwcap2) & kFeatures[i].bit) != 0;
            }
        if (!known) {
            snprintf(missing, cap, "%s", tok);
            return -1;
        }
        if (!have) {
            snprintf(missing, cap, "%s", tok);
            return 0;
        }
    }
    return 1;
}

QB_ARM_SVE static int sve_bits(void) { return (int)svcntb() * 8; }

/* ---- deterministic data ---- */
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd32(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float urand(float lo, float hi) { return lo + (hi - lo) * (float)(rnd32() & 0xffffff) / 16777216.0f; }
static void rand_bytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd32();
}
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static void *xcalloc(size_t n) {
    void *p = calloc(n ? n : 1, 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ---- the registry ---- */
static const qb_kernel_entry *g_reg;
static int g_nreg;

/// The scalar entry with this (op, wfmt, afmt), or NULL.
static const qb_kernel_entry *find_scalar(const char *op, const char *wfmt, const char *afmt) {
    for (int i = 0; i < g_nreg; i++) {
        const qb_kernel_entry *e = &g_reg[i];
        if (!strcmp(e->variant, "scalar") && !strcmp(e->op, op) && !strcmp(e->wfmt, wfmt) && !strcmp(e->afmt, afmt))
            return e;
    }
    return NULL;
}
static const qb_kernel_entry *scalar_quant(const char *afmt) { return find_scalar("quantize_row", afmt, afmt); }

/* ---- matrix formats ---- */
enum Kind { K_Q8_0, K_Q4_0, K_Q4_1, K_Q5_0, K_Q4K, K_Q5K, K_Q6K, K_I8PC, K_I4G, K_U4G, K_FLOAT };
typedef struct { enum Kind kind; int wfloat, xfloat, group; } Fmt;

/// "i4_g64" -> 64; 0 when the name is not <prefix><digits>.
static int group_of(const char *w, const char *prefix) {
    const size_t n = strlen(prefix);
    if (strncmp(w, prefix, n) || !w[n]) return 0;
    int g = 0;
    for (const char *p = w + n; *p; p++) {
        if (*p < '0' || *p > '9' || g > 100000) return 0;
        g = g * 10 + (*p - '0');
    }
    return g;
}

static int parse_fmt(const qb_kernel_entry *e, Fmt *f) {
    const char *w = e->wfmt, *x = e->afmt;
    f->wfloat = f->xfloat = -1;
    f->group = 0;
    if (!strcmp(w, "q8_0") && !strcmp(x, "q8_0")) f->kind = K_Q8_0;
    else if (!strcmp(w, "q4_0") && !strcmp(x, "q8_0")) f->kind = K_Q4_0;
    else if (!strcmp(w, "q4_1") && !strcmp(x, "q8_1")) f->kind = K_Q4_1;
    else if (!strcmp(w, "q5_0") && !strcmp(x, "q8_0")) f->kind = K_Q5_0;
    else if (!strcmp(w, "q4_k") && !strcmp(x, "q8_k")) f->kind = K_Q4K;
    else if (!strcmp(w, "q5_k") && !strcmp(x, "q8_k")) f->kind = K_Q5K;
    else if (!strcmp(w, "q6_k") && !strcmp(x, "q8_k")) f->kind = K_Q6K;
    else if (!strcmp(w, "i8_pc") && !strcmp(x, "i8_pt")) f->kind = K_I8PC;
    else if ((f->group = group_of(w, "i4_g")) > 0 && !strcmp(x, "i8_pt")) f->kind = K_I4G;
    else if ((f->group = group_of(w, "u4_g")) > 0 && !strcmp(x, "i8_pt")) f->kind = K_U4G;
    else {
        f->kind = K_FLOAT;
        f->wfloat = !strcmp(w, "f32") ? REF_F32 : !strcmp(w, "f16") ? REF_F16 : !strcmp(w, "bf16") ? REF_BF16 : -1;
        f->xfloat = !strcmp(x, "f32") ? REF_F32 : !strcmp(x, "bf16") ? REF_BF16 : -1;
        if (f->wfloat < 0 || f->xfloat < 0) return 0;
    }
    return 1;
}

/* ---- how an entry is compared ---- */
typedef struct {
    int exact;    /* bit patterns equal */
    double nmse;  /* else: sum((y-ref)^2)/sum(ref^2) over a shape at most this */
    double rel;   /* and |y-ref| <= rel * sum_k |w*x| per output */
} Bound;

/// The entry's registry tolerance, read as KernelTolerance.parse reads it: NULL/"" = default (integer exact,
/// float nmse<=5e-4 rel<=1e-5), else "nmse<=B [rel<=R] (why)". `rel` bounds each output by R x sum|w*x|: FMA and
/// lane order give ~1e-6 at these K; neon_fp16 states 1e-2 (products and 64-term partial sums in fp16).
/// Returns 0 on unreadable tolerance text (a registry bug).
static int bound_for(const qb_kernel_entry *e, const Fmt *f, Bound *b) {
    b->exact = f->kind != K_FLOAT;
    b->nmse = 5e-4;
    b->rel = 1e-5;
    const char *t = e->tolerance;
    if (!t || !*t) return 1;
    while (*t == ' ') t++;
    if (!strncmp(t, "exact", 5)) {
        b->exact = 1;
        return 1;
    }
    if (strncmp(t, "nmse<=", 6)) return 0;
    char *end = NULL;
    const double v = strtod(t + 6, &end);
    if (end == t + 6 || !(v >= 0.0) || isinf(v)) return 0;
    b->exact = 0;
    b->nmse = v;
    while (*end == ' ') end++;
    if (!strncmp(end, "rel<=", 5)) {
        char *rend = NULL;
        const double r = strtod(end + 5, &rend);
        if (rend == end + 5 || !(r >= 0.0) || isinf(r)) return 0;
        b->rel = r;
    }
    return 1;
}

/* ---- operands ---- */
typedef struct {
    qb_mat_args a;
    uint8_t *w, *x;
    float *ws, *xs, *xf;
    uint8_t *wz;
    int32_t *xsum;
} Case;

static void free_case(Case *c) {
    free(c->w); free(c->x); free(c->ws); free(c->xs); free(c->xf); free(c->wz); free(c->xsum);
}

/// Random weights in the format's layout (raw random quants: every byte pattern must work) and activations
/// quantized from random floats by scalar's quantize_row for the activation format. K need not fit the format
/// (rows are sized for K rounded up to the block): such shapes must come back NaN.
static int make_case(Case *c, const Fmt *f, const char *afmt, int M, int K, int N, int G, char *why, size_t cap) {
    memset(c, 0, sizeof *c);
    const qb_kernel_entry *q = scalar_quant(afmt);
    if (!q || !q->quant) {
        snprintf(why, cap, "no scalar quantize_row for activation format %s", afmt);
        return 0;
    }
    const int nb = (K + 31) / 32, ng = (G > 0 && K % G == 0) ? K / G : 0;
    const int nbk = (K + 255) / 256; // k-quant super-blocks (and q8_k blocks)
    const size_t kbytes = f->kind == K_Q4K ? 144 : f->kind == K_Q5K ? 176 : 210;
    size_t wrow, xrow;
    switch (f->kind) {
    case K_Q8_0: wrow = (size_t)nb * 34; xrow = (size_t)nb * 34; break;
    case K_Q4_0: wrow = (size_t)nb * 18; xrow = (size_t)nb * 34; break;
    case K_Q4_1: wrow = (size_t)nb * 20; xrow = (size_t)nb * 36; break;
    case K_Q5_0: wrow = (size_t)nb * 22; xrow = (size_t)nb * 34; break;
    case K_Q4K: case K_Q5K: case K_Q6K: wrow = (size_t)nbk * kbytes; xrow = (size_t)nbk * 292; break;
    case K_I8PC: wrow = (size_t)K; xrow = (size_t)K; break;
    case K_I4G: case K_U4G: wrow = (size_t)nb * 16; xrow = (size_t)K; break;
    default:
        wrow = (size_t)K * (f->wfloat == REF_F32 ? 4 : 2);
        xrow = (size_t)K * (f->xfloat == REF_F32 ? 4 : 2);
    }
    // Padded strides catch kernels that assume packed rows; +16 keeps 4-byte alignment where it existed.
    const size_t ws = wrow + 16, xst = xrow + 16;
    c->w = xcalloc(ws * (size_t)M);
    c->x = xcalloc(xst * (size_t)N);
    c->xf = xcalloc(sizeof(float) * (size_t)K * (size_t)N + 4);
    for (int n = 0; n < N; n++) {
        const float mag = (n == 1) ? 0.0f : urand(0.1f, 10.0f); // row 1 all zero: the d = 0 path
        for (int k = 0; k < K; k++) c->xf[(size_t)n * K + k] = mag * urand(-1.0f, 1.0f);
    }
    for (int m = 0; m < M; m++) {
        uint8_t *r = c->w + (size_t)m * ws;
        switch (f->kind) {
        case K_Q8_0: case K_Q4_0: case K_Q4_1: case K_Q5_0: {
            const size_t bs = f->kind == K_Q8_0 ? 34 : f->kind == K_Q4_0 ? 18 : f->kind == K_Q5_0 ? 22 : 20;
            for (int b = 0; b < nb; b++) {
                uint8_t *blk = r + b * bs;
                rand_bytes(blk, bs);
                const float d = urand(0.001f, 0.05f) * ((rnd32() & 1) ? -1.0f : 1.0f);
                put16(blk, ref_f32_to_f16(d));
                if (f->kind == K_Q4_1) put16(blk + 2, ref_f32_to_f16(urand(-0.1f, 0.1f)));
            }
            break;
        }
        case K_Q4K: case K_Q5K: case K_Q6K: // random quants, scales and mins; finite fp16 d (and dmin)
            for (int b = 0; b < nbk; b++) {
                uint8_t *blk = r + b * kbytes;
                rand_bytes(blk, kbytes);
                const float d = urand(0.0005f, 0.01f) * ((rnd32() & 1) ? -1.0f : 1.0f);
                put16(blk + (f->kind == K_Q6K ? 208 : 0), ref_f32_to_f16(d));
                if (f->kind != K_Q6K) put16(blk + 2, ref_f32_to_f16(urand(-0.01f, 0.01f)));
            }
            break;
        case K_I8PC: case K_I4G: case K_U4G: rand_bytes(r, wrow); break;
        default:
            for (int k = 0; k < K; k++) {
                const float v = urand(-1.0f, 1.0f);
                if (f->wfloat == REF_F32) memcpy(r + 4 * (size_t)k, &v, 4);
                else put16(r + 2 * (size_t)k, f->wfloat == REF_F16 ? ref_f32_to_f16(v) : ref_f32_to_bf16(v));
            }
        }
    }
    if (f->kind == K_I8PC) {
        c->ws = xcalloc(sizeof(float) * (size_t)M);
        for (int m = 0; m < M; m++) c->ws[m] = urand(0.001f, 0.02f);
    }
    if (f->kind == K_I4G || f->kind == K_U4G) {
        const int nside = ng ? ng : nb; // bad shapes still get readable side arrays
        c->ws = xcalloc(sizeof(float) * (size_t)M * nside);
        for (int i = 0; i < M * nside; i++) c->ws[i] = urand(0.001f, 0.1f);
        if (f->kind == K_U4G) {
            c->wz = xcalloc((size_t)M * nside);
            for (int i = 0; i < M * nside; i++) c->wz[i] = (uint8_t)(rnd32() % 16);
        }
    }
    if (f->kind == K_I8PC || f->kind == K_I4G || f->kind == K_U4G) {
        c->xs = xcalloc(sizeof(float) * (size_t)N);
        if (ng) c->xsum = xcalloc(sizeof(int32_t) * (size_t)N * ng);
    }
    for (int n = 0; n < N; n++)
        q->quant(c->xf + (size_t)n * K, c->x + (size_t)n * xst, c->xs ? &c->xs[n] : NULL,
                 c->xsum ? c->xsum + (size_t)n * ng : NULL, ng ? G : 0, K);
    qb_mat_args *a = &c->a;
    a->w = c->w; a->w_scales = c->ws; a->w_zeros = c->wz;
    a->x = c->x; a->x_scales = c->xs; a->x_sums = c->xsum;
    a->M = M; a->K = K; a->N = N; a->group = G;
    a->w_stride = ws; a->x_stride = xst;
    a->ldy = (size_t)M + 3;
    return 1;
}

/// ref.c on the case; `absy` (may be NULL) gets sum_k |w*x| for float formats.
static void run_ref(const Fmt *f, const qb_mat_args *a, float *y, float *absy) {
    qb_mat_args r = *a;
    r.y = y;
    switch (f->kind) {
    case K_Q8_0: ref_mat_q8_0(&r, 0, a->M); break;
    case K_Q4_0: ref_mat_q4_0(&r, 0, a->M); break;
    case K_Q4_1: ref_mat_q4_1(&r, 0, a->M); break;
    case K_Q5_0: ref_mat_q5_0(&r, 0, a->M); break;
    case K_Q4K: ref_mat_q4_k(&r, 0, a->M); break;
    case K_Q5K: ref_mat_q5_k(&r, 0, a->M); break;
    case K_Q6K: ref_mat_q6_k(&r, 0, a->M); break;
    case K_I8PC: ref_mat_i8_pc(&r, 0, a->M); break;
    case K_I4G: ref_mat_i4_g(&r, 0, a->M); break;
    case K_U4G: ref_mat_u4_g(&r, 0, a->M); break;
    default: ref_mat_float(f->wfloat, f->xfloat, &r, 0, a->M, absy);
    }
}

static const float kSentinel = 12345.678f;

static float *fresh_y(const qb_mat_args *a) {
    const size_t ny = (size_t)a->N * a->ldy;
    float *y = xcalloc(ny * sizeof(float));
    for (size_t i = 0; i < ny; i++) y[i] = kSentinel;
    return y;
}

/// Runs `fn` over all rows as two calls split at an untiled row (as two threads would), checking that the
/// first call wrote nothing of the second's rows. Returns 0 (with *why) on a stray write.
static int run_split(qb_mat_fn fn, const qb_mat_args *in, float *y, char *why, size_t cap) {
    qb_mat_args a = *in;
    a.y = y;
    if (a.M <= 1) {
        fn(&a, 0, a.M);
        return 1;
    }
    const int s = a.M / 2 + (a.M % 4 == 1); // an odd split point: not tile-aligned
    fn(&a, 0, s);
    for (int n = 0; n < a.N; n++)
        for (int m = s; m < a.M; m++)
            if (fbits(y[(size_t)n * a.ldy + m]) != fbits(kSentinel)) {
                snprintf(why, cap, "split M=%d K=%d N=%d G=%d: rows [0,%d) wrote row %d", a.M, a.K, a.N, a.group, s, m);
                return 0;
            }
    fn(&a, s, a.M);
    return 1;
}

/// Worst figures over the shapes of one entry, for the report line.
typedef struct { double nmse, rel; int cases, nan_cases; } Stats;

/// Compares output `y` with `want` under bound `b`; also that nothing past M in each row was written, and,
/// when `want_nan`, that every output is NaN (the contract for shapes the format cannot hold).
static int compare(const char *what, const qb_mat_args *a, const float *y, const float *want, const float *absy,
                   const Bound *b, int want_nan, Stats *st, char *why, size_t cap) {
    double err = 0.0, ref2 = 0.0;
    for (int n = 0; n < a->N; n++) {
        for (int m = 0; m < a->M; m++) {
            const size_t i = (size_t)n * a->ldy + m;
            int ok;
            if (want_nan) {
                ok = isnan(y[i]);
            } else if (b->exact) {
                ok = fbits(y[i]) == fbits(want[i]);
            } else {
                const double d = (double)y[i] - (double)want[i];
                ok = !isnan(y[i]) && !isnan(want[i]) && fabs(d) <= b->rel * absy[i] + 1e-30;
                err += d * d;
                ref2 += (double)want[i] * want[i];
                if (absy[i] > 0 && fabs(d) / absy[i] > st->rel) st->rel = fabs(d) / absy[i];
            }
            if (!ok) {
                snprintf(why, cap,
                         "%s M=%d K=%d N=%d G=%d at n=%d m=%d: got %.9g (0x%08x) want %s%.9g (0x%08x)%s", what,
                         a->M, a->K, a->N, a->group, n, m, y[i], fbits(y[i]), want_nan ? "NaN, reference gave " : "",
                         want[i], fbits(want[i]), b->exact || want_nan ? "" : " beyond the per-output bound");
                return 0;
            }
        }
        for (size_t m = (size_t)a->M; m < a->ldy; m++)
            if (fbits(y[(size_t)n * a->ldy + m]) != fbits(kSentinel)) {
                snprintf(why, cap, "%s M=%d K=%d N=%d: wrote past row end at n=%d m=%zu", what, a->M, a->K, a->N, n, m);
                return 0;
            }
    }
    if (!b->exact && !want_nan) {
        const double nmse = ref2 > 0 ? err / ref2 : (err > 0 ? INFINITY : 0.0);
        if (nmse > st->nmse) st->nmse = nmse;
        if (!(nmse <= b->nmse)) {
            snprintf(why, cap, "%s M=%d K=%d N=%d: nmse %.3g > %.3g", what, a->M, a->K, a->N, nmse, b->nmse);
            return 0;
        }
    }
    return 1;
}

/// Shapes: ragged M and N; K per format (ragged where the format allows it); `bad` lists shapes the format
/// cannot hold (their outputs must be NaN). Grouped formats: every kernel takes any group that is a multiple
/// of 32 dividing K, so all groups are tried on every i4/u4 entry.
typedef struct { int K, G; } KShape;
static const int kMs[] = {1, 5, 8, 13};
static const int kNs[] = {1, 3, 17};
static int shapes_for(const Fmt *f, KShape *ks, int *nbad) {
    // One long K each (as the Swift verifier's 1184 / 1003 / 8g+g): many fp16 chunks, long f32 sums.
    static const KShape block[] = {{32, 0}, {96, 0}, {160, 0}, {1184, 0}, {33, 0}, {100, 0}};
    static const KShape ragged[] = {{1, 0}, {7, 0}, {33, 0}, {100, 0}, {1003, 0}};
    // k-quants: 1, 2 and 5 super-blocks; a multiple of 32 that is not of 256, and a ragged K, must give NaN
    static const KShape super[] = {{256, 0}, {512, 0}, {1280, 0}, {32, 0}, {300, 0}};
    static const KShape grouped[] = {{32, 32}, {96, 32}, {160, 32}, {128, 64}, {192, 64}, {256, 128}, {1152, 128},
                                     {48, 32}, {96, 48}, {64, 0}};
    const KShape *s;
    int n;
    switch (f->kind) {
    case K_Q8_0: case K_Q4_0: case K_Q4_1: case K_Q5_0: s = block; n = 6; *nbad = 2; break;
    case K_Q4K: case K_Q5K: case K_Q6K: s = super; n = 5; *nbad = 2; break;
    case K_I4G: case K_U4G: s = grouped; n = 10; *nbad = 3; break;
    default: s = ragged; n = 5; *nbad = 0;
    }
    memcpy(ks, s, sizeof(KShape) * (size_t)n);
    return n;
}

/// Runs `e` and `ref` (an entry, or ref.c when NULL) on every shape and compares under `b`.
static int test_mat(const qb_kernel_entry *e, const qb_kernel_entry *ref, const Fmt *f, const Bound *b, Stats *st,
                    char *why, size_t cap) {
    KShape ks[16];
    int nbad;
    const int nk = shapes_for(f, ks, &nbad);
    for (int mi = 0; mi < 4; mi++)
        for (int ni = 0; ni < 3; ni++)
            for (int ki = 0; ki < nk; ki++) {
                const int bad = ki >= nk - nbad;
                // long K (> 1000) only on two (M, N) pairs: a gemv row and a gemm with row and N tails
                if (ks[ki].K > 1000 && !((mi == 1 && ni == 0) || (mi == 3 && ni == 2))) continue;
                Case c;
                if (!make_case(&c, f, e->afmt, kMs[mi], ks[ki].K, kNs[ni], ks[ki].G, why, cap)) return 0;
                int ok = 1;
                for (int pass = 0; ok && pass < (f->kind == K_U4G && !bad ? 2 : 1); pass++) {
                    if (pass == 1) c.a.x_sums = NULL; // the kernels must also derive the sums themselves
                    float *want = fresh_y(&c.a), *y = fresh_y(&c.a), *absy = NULL;
                    if (f->kind == K_FLOAT) absy = fresh_y(&c.a);
                    qb_mat_args ra = c.a;
                    ra.y = want;
                    if (ref) ref->mat(&ra, 0, ra.M);
                    else run_ref(f, &c.a, want, NULL);
                    if (absy) { // sum|w*x| from ref.c; y is scratch until reset
                        run_ref(f, &c.a, y, absy);
                        for (size_t i = 0; i < (size_t)c.a.N * c.a.ldy; i++) y[i] = kSentinel;
                    }
                    if (bad) // the reference itself must keep the NaN contract
                        ok = compare(ref ? "scalar on unsupported shape" : "ref.c on unsupported shape", &c.a, want,
                                     want, absy, b, 1, st, why, cap);
                    if (ok) ok = run_split(e->mat, &c.a, y, why, cap);
                    if (ok)
                        ok = compare(bad ? "unsupported shape" : ref ? "vs scalar" : "scalar vs ref.c",
                                     &c.a, y, want, absy, b, bad, st, why, cap);
                    if (!ok && pass == 1) strncat(why, " (x_sums NULL)", cap - strlen(why) - 1);
                    st->cases++;
                    st->nan_cases += bad;
                    free(want); free(y); free(absy);
                }
                free_case(&c);
                if (!ok) return 0;
            }
    return 1;
}

/* ---- quantize_row entries: byte-exact (data, scale, sums) ---- */

/// ref.c's quantizer for an activation format (f32 is a plain copy); NULL if ref.c has none.
typedef void (*ref_quant_fn)(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
static void rq_q8_0(const float *x, void *o, float *s, int32_t *u, int g, int K) {
    (void)s; (void)u; (void)g; ref_quantize_q8_0(x, o, K);
}
static void rq_q8_1(const float *x, void *o, float *s, int32_t *u, int g, int K) {
    (void)s; (void)u; (void)g; ref_quantize_q8_1(x, o, K);
}
static void rq_i8_pt(const float *x, void *o, float *s, int32_t *u, int g, int K) {
    ref_quantize_i8_pt(x, o, s, u, g, K);
}
static void rq_bf16(const float *x, void *o, float *s, int32_t *u, int g, int K) {
    (void)s; (void)u; (void)g; ref_quantize_bf16(x, o, K);
}
static void rq_q8_k(const float *x, void *o, float *s, int32_t *u, int g, int K) {
    (void)s; (void)u; (void)g; ref_quantize_q8_k(x, o, K);
}
static void rq_f32(const float *x, void *o, float *s, int32_t *u, int g, int K) {
    (void)s; (void)u; (void)g; memcpy(o, x, sizeof(float) * (size_t)K);
}
static ref_quant_fn ref_quant(const char *fmt) {
    return !strcmp(fmt, "q8_0") ? rq_q8_0 : !strcmp(fmt, "q8_1") ? rq_q8_1 : !strcmp(fmt, "i8_pt") ? rq_i8_pt
         : !strcmp(fmt, "bf16") ? rq_bf16 : !strcmp(fmt, "f32") ? rq_f32 : !strcmp(fmt, "q8_k") ? rq_q8_k : NULL;
}

/// Output bytes for K elements: q8 blocks cover K rounded up to 32, q8_k to 256 (a partial block is zero-padded).
static size_t quant_bytes(const char *fmt, int K) {
    const size_t nb = (size_t)(K + 31) / 32;
    if (!strcmp(fmt, "q8_0")) return nb * sizeof(qb_block_q8_0);
    if (!strcmp(fmt, "q8_1")) return nb * sizeof(qb_block_q8_1);
    if (!strcmp(fmt, "q8_k")) return (size_t)(K + 255) / 256 * sizeof(qb_block_q8_k);
    if (!strcmp(fmt, "i8_pt")) return (size_t)K;
    if (!strcmp(fmt, "bf16")) return 2 * (size_t)K;
    if (!strcmp(fmt, "f32")) return 4 * (size_t)K;
    return 0;
}

enum { kQuantStyles = 5 };

/// One input row for the quantizers: `style` 0 plain, 1 all zero, 2 first block zero, 3 bf16 rounding edges,
/// 4 values within 2 ulps of a rounding tie (k + 1/2) * s of the q8 / i8_pt scale, where `x / s` (the
/// contract's true division) and `x * (1/s)` round differently often enough to tell them apart.
static void quant_input(float *x, int K, int style) {
    const float mag = urand(0.01f, 100.0f);
    if (style == 4) {
        const float s = mag / 127.0f; // the scale every quantizer derives from an absmax of `mag`
        for (int k = 0; k < K; k++) {
            const float t = ((float)(int)(rnd32() % 253) - 126.0f + 0.5f) * s;
            const int nudge = (int)(rnd32() % 5) - 2;
            float v = t;
            for (int i = 0; i < (nudge < 0 ? -nudge : nudge); i++) v = nextafterf(v, nudge < 0 ? -INFINITY : INFINITY);
            x[k] = fabsf(v) < mag ? v : t;
        }
        for (int b = 0; b < K; b += 32) x[b] = (rnd32() & 1) ? mag : -mag; // every q8 block has absmax `mag`
        return;
    }
    for (int k = 0; k < K; k++) {
        x[k] = style == 1 ? 0.0f : mag * urand(-1.0f, 1.0f);
        if (style == 3) {
            uint32_t u;
            switch (k % 7) { // ties to even (both parities), subnormals, infinities, signed zero, plain values
            case 0: u = 0x3f808000u; break;
            case 1: u = 0x3f818000u; break;
            case 2: u = 0x00012345u | (rnd32() & 0x80000000u); break;
            case 3: u = (rnd32() & 1) ? 0xff800000u : 0x80000000u; break;
            default: u = fbits(urand(-1e4f, 1e4f));
            }
            memcpy(&x[k], &u, 4);
        }
        if (style == 0 && k % 13 == 5) x[k] = 0.5f * (float)(int)(x[k] * 2.0f); // values on half steps
    }
    if (style == 2) memset(x, 0, sizeof(float) * (size_t)(K < 32 ? K : 32));
}

/// Runs `e` and the reference (`ref` entry, or ref.c's quantizer when NULL) on the same rows and compares
/// every output byte (a sentinel past the end included), the scale and the group sums.
static int test_quant(const qb_kernel_entry *e, const qb_kernel_entry *ref, Stats *st, char *why, size_t cap) {
    const char *fmt = e->wfmt;
    const ref_quant_fn rq = ref ? NULL : ref_quant(fmt);
    if (!ref && !rq) {
        snprintf(why, cap, "ref.c has no quantizer for %s", fmt);
        return 0;
    }
    if (!quant_bytes(fmt, 1)) {
        snprintf(why, cap, "no layout known for quantize_row %s", fmt);
        return 0;
    }
    static const int Ks32[] = {1, 7, 8, 32, 33, 64, 100, 160};
    static const int Ks256[] = {1, 33, 160, 256, 257, 300, 512, 1000}; // q8_k: whole, partial and several blocks
    const int *Ks = strcmp(fmt, "q8_k") ? Ks32 : Ks256;
    const int is_pt = !strcmp(fmt, "i8_pt"), is_bf16 = !strcmp(fmt, "bf16");
    for (int ki = 0; ki < 8; ki++)
        for (int style = 0; style < kQuantStyles; style++) {
            if (style == 3 && !is_bf16) continue; // q8/i8 of inf/NaN rows is not in the contract
            const int K = Ks[ki];
            const int G = (is_pt && K % 32 == 0) ? 32 : 0;
            float *x = xcalloc(sizeof(float) * (size_t)K);
            quant_input(x, K, style);
            const size_t bytes = quant_bytes(fmt, K);
            uint8_t *got = xcalloc(bytes + 8), *want = xcalloc(bytes + 8);
            memset(got, 0xA5, bytes + 8);
            memset(want, 0xA5, bytes + 8);
            int32_t gs[8], ws[8];
            memset(gs, 0x5A, sizeof gs);
            memset(ws, 0x5A, sizeof ws);
            float gsc = -1.0f, wsc = -1.0f;
            if (ref) ref->quant(x, want, is_pt ? &wsc : NULL, G ? ws : NULL, G, K);
            else rq(x, want, is_pt ? &wsc : NULL, G ? ws : NULL, G, K);
            e->quant(x, got, is_pt ? &gsc : NULL, G ? gs : NULL, G, K);
            st->cases++;
            const int ok = memcmp(got, want, bytes + 8) == 0 && memcmp(gs, ws, sizeof gs) == 0 &&
                           fbits(gsc) == fbits(wsc);
            if (!ok) {
                size_t i = 0;
                while (i < bytes + 8 && got[i] == want[i]) i++;
                int gi = 0;
                while (gi < 8 && gs[gi] == ws[gi]) gi++;
                snprintf(why, cap, "%s K=%d style %d: first differing byte %zu of %zu%s (got 0x%02x want 0x%02x), "
                         "scale %.9g/%.9g, first differing group sum %d",
                         ref ? "vs scalar" : "scalar vs ref.c", K, style, i, bytes, i >= bytes ? " (past the row)" : "",
                         i < bytes + 8 ? got[i] : 0, i < bytes + 8 ? want[i] : 0, gsc, wsc, gi < 8 ? gi : -1);
            }
            free(x); free(got); free(want);
            if (!ok) return 0;
        }
    return 1;
}

static const char *const kVariants[] = {"scalar", "neon", "neon_dotprod", "neon_i8mm", "neon_fp16", "neon_bf16",
                                        "sve", "sve2"};

/// Whether the entry is well formed: known op and variant, function pointer matching the op, no duplicate
/// (op, wfmt, afmt, variant), readable tolerance. Returns a reason, or NULL.
static const char *malformed(int i, const Fmt *f, Bound *b) {
    const qb_kernel_entry *e = &g_reg[i];
    if (!e->op || !e->wfmt || !e->afmt || !e->variant || !e->requires || !e->repack) return "NULL string field";
    int known = 0;
    for (size_t v = 0; v < sizeof kVariants / sizeof kVariants[0]; v++) known |= !strcmp(e->variant, kVariants[v]);
    if (!known) return "unknown variant";
    const int is_quant = !strcmp(e->op, "quantize_row");
    const int is_mat = !strcmp(e->op, "gemv") || !strcmp(e->op, "gemm");
    if (!is_quant && !is_mat) return "unknown op";
    if (is_mat && (!e->mat || e->quant)) return "matrix entry without mat (or with quant)";
    if (is_quant && (!e->quant || e->mat || strcmp(e->wfmt, e->afmt))) return "quantize_row entry malformed";
    for (int j = 0; j < i; j++) {
        const qb_kernel_entry *o = &g_reg[j];
        if (!strcmp(o->op, e->op) && !strcmp(o->wfmt, e->wfmt) && !strcmp(o->afmt, e->afmt) &&
            !strcmp(o->variant, e->variant))
            return "duplicate entry";
    }
    if (strcmp(e->variant, "scalar") && (e->repack[0] || e->repack_fn || e->repack_size))
        return "ARM entries use weights as stored, this driver has no repack step";
    if (is_mat && !bound_for(e, f, b)) return "unreadable tolerance";
    return NULL;
}

int main(void) {
    g_hwcap = getauxval(AT_HWCAP);
    g_hwcap2 = getauxval(AT_HWCAP2);
    printf("cpu: hwcap=0x%lx hwcap2=0x%lx features=", g_hwcap, g_hwcap2);
    for (size_t i = 0, first = 1; i < sizeof kFeatures / sizeof kFeatures[0]; i++)
        if ((kFeatures[i].word == 1 ? g_hwcap : g_hwcap2) & kFeatures[i].bit) {
            printf("%s%s", first ? "" : ",", kFeatures[i].name);
            first = 0;
        }
    if (g_hwcap & HWCAP_SVE) printf(" sve_bits=%d", sve_bits());
    printf("\n");

    g_reg = qb_kernel_registry(&g_nreg);
    int verified = 0, mismatched = 0, unsupported = 0, broken = 0, nscalar = 0;
    for (int i = 0; i < g_nreg; i++) nscalar += !strcmp(g_reg[i].variant, "scalar");
    // The shared registry must carry every ARM entry, once, after the scalar ones.
    int arm_ok = g_nreg == nscalar + qb_arm_kernel_entry_count;
    for (int i = 0; arm_ok && i < qb_arm_kernel_entry_count; i++)
        arm_ok = !memcmp(&g_reg[nscalar + i], &qb_arm_kernel_entries[i], sizeof(qb_kernel_entry));
    printf("registry: %d entries (%d scalar, %d arm)%s\n", g_nreg, nscalar, g_nreg - nscalar,
           arm_ok ? "" : " MALFORMED: not the scalar entries followed by qb_arm_kernel_entries");
    if (!arm_ok) broken++;

    for (int i = 0; i < g_nreg; i++) {
        const qb_kernel_entry *e = &g_reg[i];
        char why[640] = "", missing[64] = "";
        Fmt f = {K_FLOAT, -1, -1, 0};
        Bound b = {1, 0.0, 0.0};
        const int is_quant = e->op && !strcmp(e->op, "quantize_row");
        printf("%s %s %s %s: ", e->op ? e->op : "?", e->wfmt ? e->wfmt : "?", e->afmt ? e->afmt : "?",
               e->variant ? e->variant : "?");
        const char *bad = (e->op && e->wfmt && e->afmt && !is_quant && !parse_fmt(e, &f)) ? "unknown format pair"
                                                                                         : malformed(i, &f, &b);
        if (bad) {
            printf("mismatch (malformed registry entry: %s)\n", bad);
            broken++;
            continue;
        }
        const int is_scalar = !strcmp(e->variant, "scalar");
        const qb_kernel_entry *ref = NULL;
        if (!is_scalar) {
            ref = find_scalar(e->op, e->wfmt, e->afmt);
            if (!ref) {
                printf("mismatch (no scalar entry with the same op, wfmt, afmt)\n");
                broken++;
                continue;
            }
            const int has = has_features(e->requires, missing, sizeof missing);
            if (has < 0) {
                printf("mismatch (requires unknown feature '%s')\n", missing);
                broken++;
                continue;
            }
            if (!has) {
                printf("unsupported (needs %s)\n", missing);
                unsupported++;
                continue;
            }
        } else {
            b.exact = 1; // the two references must agree bit for bit, floats included
        }
        fflush(stdout);
        Stats st = {0.0, 0.0, 0, 0};
        const int ok = is_quant ? test_quant(e, ref, &st, why, sizeof why)
                                : test_mat(e, ref, &f, &b, &st, why, sizeof why);
        if (!ok) {
            printf("mismatch (%s)\n", why);
            mismatched++;
            continue;
        }
        verified++;
        const char *against = is_scalar ? "= ref.c" : "= scalar";
        if (is_quant) printf("verified (%d cases, bytes %s)\n", st.cases, against);
        else if (b.exact)
            printf("verified (%d cases, bit-exact %s, %d NaN-shape cases)\n", st.cases, against, st.nan_cases);
        else
            printf("verified (%d cases, nmse %.2g <= %.2g vs scalar, worst |d|/sum|wx| %.2g <= %.2g)\n", st.cases,
                   st.nmse, b.nmse, st.rel, b.rel);
    }
    printf("summary: %d verified, %d mismatch, %d unsupported, %d malformed\n", verified, mismatched, unsupported,
           broken);
    return (mismatched || broken) ? 1 : 0;
}
