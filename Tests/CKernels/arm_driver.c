// Cross-compiled test driver for the AArch64 kernels (run under qemu-aarch64 by
// scripts/test.d/arm-kernels.sh, or natively on an ARM machine). Walks the ARM registry, runs each
// entry the CPU supports (HWCAP/HWCAP2 via getauxval) against the plain reference in ref.c on ragged
// shapes, and prints one line per entry: verified / mismatch / unsupported. Exit status 1 on any
// mismatch or malformed registry entry.
//
// Integer entries must match bit for bit (float ==, so only the sign of a zero may differ); float
// entries within a per-variant tolerance of sum|w*x|, since they reorder the f32 sum.
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

/* ---- CPU features, canonical names (PRODUCT.md), from the Linux auxiliary vector ---- */
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
static void *xcalloc(size_t n) {
    void *p = calloc(n ? n : 1, 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ---- matrix entries ---- */
enum Kind { K_Q8_0, K_Q4_0, K_Q4_1, K_I8PC, K_I4G, K_U4G, K_FLOAT };
typedef struct { enum Kind kind; int wfloat, xfloat; } Fmt;

static int parse_fmt(const qb_kernel_entry *e, Fmt *f) {
    const char *w = e->wfmt, *x = e->afmt;
    f->wfloat = f->xfloat = -1;
    if (!strcmp(w, "q8_0") && !strcmp(x, "q8_0")) f->kind = K_Q8_0;
    else if (!strcmp(w, "q4_0") && !strcmp(x, "q8_0")) f->kind = K_Q4_0;
    else if (!strcmp(w, "q4_1") && !strcmp(x, "q8_1")) f->kind = K_Q4_1;
    else if (!strcmp(w, "i8_pc") && !strcmp(x, "i8_pt")) f->kind = K_I8PC;
    else if (!strcmp(w, "i4_g32") && !strcmp(x, "i8_pt")) f->kind = K_I4G;
    else if (!strcmp(w, "u4_g32") && !strcmp(x, "i8_pt")) f->kind = K_U4G;
    else {
        f->kind = K_FLOAT;
        f->wfloat = !strcmp(w, "f32") ? REF_F32 : !strcmp(w, "f16") ? REF_F16 : !strcmp(w, "bf16") ? REF_BF16 : -1;
        f->xfloat = !strcmp(x, "f32") ? REF_F32 : !strcmp(x, "bf16") ? REF_BF16 : -1;
        if (f->wfloat < 0 || f->xfloat < 0) return 0;
    }
    return 1;
}

/// Relative tolerance (of sum|w*x|) for entries that reorder float sums; 0 means bit-exact.
static double tolerance(const qb_kernel_entry *e, const Fmt *f) {
    if (f->kind != K_FLOAT) return 0.0;
    if (!strcmp(e->variant, "neon_fp16")) return 1e-2; /* fp16 products and 64-term fp16 partial sums */
    return 1e-5;
}

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

/// Random weights in the format's layout (raw random quants: every byte pattern must work) and
/// activations quantized from random floats by the reference quantizer.
static void make_case(Case *c, const Fmt *f, int M, int K, int N, int G) {
    memset(c, 0, sizeof *c);
    const int nb = K / 32, ng = G ? K / G : 0;
    size_t wrow, xrow;
    switch (f->kind) {
    case K_Q8_0: wrow = (size_t)nb * 34; xrow = (size_t)nb * 34; break;
    case K_Q4_0: wrow = (size_t)nb * 18; xrow = (size_t)nb * 34; break;
    case K_Q4_1: wrow = (size_t)nb * 20; xrow = (size_t)nb * 36; break;
    case K_I8PC: wrow = (size_t)K; xrow = (size_t)K; break;
    case K_I4G: case K_U4G: wrow = (size_t)K / 2; xrow = (size_t)K; break;
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
        case K_Q8_0: case K_Q4_0: case K_Q4_1: {
            const size_t bs = f->kind == K_Q8_0 ? 34 : f->kind == K_Q4_0 ? 18 : 20;
            for (int b = 0; b < nb; b++) {
                uint8_t *blk = r + b * bs;
                rand_bytes(blk, bs);
                const float d = urand(0.001f, 0.05f) * ((rnd32() & 1) ? -1.0f : 1.0f);
                put16(blk, ref_f32_to_f16(d));
                if (f->kind == K_Q4_1) put16(blk + 2, ref_f32_to_f16(urand(-0.1f, 0.1f)));
            }
            break;
        }
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
        c->ws = xcalloc(sizeof(float) * (size_t)M * ng);
        for (int i = 0; i < M * ng; i++) c->ws[i] = urand(0.001f, 0.1f);
        if (f->kind == K_U4G) {
            c->wz = xcalloc((size_t)M * ng);
            for (int i = 0; i < M * ng; i++) c->wz[i] = (uint8_t)(rnd32() % 16);
        }
    }
    if (f->kind == K_I8PC || f->kind == K_I4G || f->kind == K_U4G) {
        c->xs = xcalloc(sizeof(float) * (size_t)N);
        if (ng) c->xsum = xcalloc(sizeof(int32_t) * (size_t)N * ng);
    }
    for (int n = 0; n < N; n++) {
        const float *xf = c->xf + (size_t)n * K;
        uint8_t *xr = c->x + (size_t)n * xst;
        switch (f->kind) {
        case K_Q8_0: case K_Q4_0: ref_quantize_q8_0(xf, xr, K); break;
        case K_Q4_1: ref_quantize_q8_1(xf, xr, K); break;
        case K_I8PC: case K_I4G: case K_U4G:
            ref_quantize_i8_pt(xf, (int8_t *)xr, &c->xs[n], c->xsum ? c->xsum + (size_t)n * ng : NULL, G, K);
            break;
        default:
            if (f->xfloat == REF_F32) memcpy(xr, xf, sizeof(float) * (size_t)K);
            else ref_quantize_bf16(xf, (uint16_t *)xr, K);
        }
    }
    qb_mat_args *a = &c->a;
    a->w = c->w; a->w_scales = c->ws; a->w_zeros = c->wz;
    a->x = c->x; a->x_scales = c->xs; a->x_sums = c->xsum;
    a->M = M; a->K = K; a->N = N; a->group = G;
    a->w_stride = ws; a->x_stride = xst;
    a->ldy = (size_t)M + 3;
}

static void run_ref(const Fmt *f, const qb_mat_args *a, float *y, float *absy) {
    qb_mat_args r = *a;
    r.y = y;
    switch (f->kind) {
    case K_Q8_0: ref_mat_q8_0(&r, 0, a->M); break;
    case K_Q4_0: ref_mat_q4_0(&r, 0, a->M); break;
    case K_Q4_1: ref_mat_q4_1(&r, 0, a->M); break;
    case K_I8PC: ref_mat_i8_pc(&r, 0, a->M); break;
    case K_I4G: ref_mat_i4_g(&r, 0, a->M); break;
    case K_U4G: ref_mat_u4_g(&r, 0, a->M); break;
    default: ref_mat_float(f->wfloat, f->xfloat, &r, 0, a->M, absy);
    }
}

static const float kSentinel = 12345.678f;

/// Compares one kernel output with the reference; also that nothing past M in each row was written.
static int compare(const char *what, const qb_mat_args *a, const float *y, const float *ref, const float *absy,
                   double tol, char *why, size_t cap) {
    for (int n = 0; n < a->N; n++) {
        for (int m = 0; m < a->M; m++) {
            const size_t i = (size_t)n * a->ldy + m;
            const int ok = tol == 0.0 ? (y[i] == ref[i])
                                      : (fabs((double)y[i] - ref[i]) <= tol * absy[i] + 1e-30 && !isnan(y[i]));
            if (!ok) {
                snprintf(why, cap, "%s M=%d K=%d N=%d G=%d at n=%d m=%d: got %.9g want %.9g (|w*x| %.3g)", what, a->M,
                         a->K, a->N, a->group, n, m, y[i], ref[i], absy ? absy[i] : 0.0);
                return 0;
            }
        }
        for (size_t m = (size_t)a->M; m < a->ldy; m++)
            if (y[(size_t)n * a->ldy + m] != kSentinel) {
                snprintf(why, cap, "%s M=%d K=%d N=%d: wrote past row end at n=%d m=%zu", what, a->M, a->K, a->N, n, m);
                return 0;
            }
    }
    return 1;
}

/// One shape: whole-range call, then a split call (as two threads would make) with an untouched-rows check.
static int check_case(const qb_kernel_entry *e, const Fmt *f, Case *c, char *why, size_t cap) {
    qb_mat_args a = c->a;
    const size_t ny = (size_t)a.N * a.ldy;
    float *ref = xcalloc(ny * sizeof(float)), *absy = xcalloc(ny * sizeof(float)), *y = xcalloc(ny * sizeof(float));
    int ok = 1;
    for (size_t i = 0; i < ny; i++) ref[i] = absy[i] = kSentinel;
    run_ref(f, &a, ref, absy);
    const double tol = tolerance(e, f);

    for (size_t i = 0; i < ny; i++) y[i] = kSentinel;
    a.y = y;
    e->mat(&a, 0, a.M);
    ok = compare("whole", &a, y, ref, f->kind == K_FLOAT ? absy : NULL, tol, why, cap);

    if (ok && a.M > 1) {
        const int s = a.M / 2 + (a.M % 4 == 1); // an odd split point: not tile-aligned
        for (size_t i = 0; i < ny; i++) y[i] = kSentinel;
        e->mat(&a, 0, s);
        for (int n = 0; n < a.N && ok; n++)
            for (int m = s; m < a.M; m++)
                if (y[(size_t)n * a.ldy + m] != kSentinel) {
                    snprintf(why, cap, "split M=%d K=%d N=%d: rows [0,%d) wrote row %d", a.M, a.K, a.N, s, m);
                    ok = 0;
                    break;
                }
        if (ok) {
            e->mat(&a, s, a.M);
            ok = compare("split", &a, y, ref, f->kind == K_FLOAT ? absy : NULL, tol, why, cap);
        }
    }
    free(ref); free(absy); free(y);
    return ok;
}

static int test_mat(const qb_kernel_entry *e, const Fmt *f, int *cases, char *why, size_t cap) {
    static const int Ms[] = {1, 5, 8, 13};
    static const int Ns[] = {1, 3, 17};
    static const int Kblock[] = {32, 96, 160};
    static const int Kragged[] = {1, 7, 33, 100};
    static const int KG[][2] = {{32, 32}, {96, 32}, {160, 32}, {128, 64}, {256, 128}};
    const int grouped = f->kind == K_I4G || f->kind == K_U4G;
    const int ragged = f->kind == K_I8PC || f->kind == K_FLOAT;
    const int nk = grouped ? 5 : ragged ? 4 : 3;
    for (int mi = 0; mi < 4; mi++)
        for (int ni = 0; ni < 3; ni++)
            for (int ki = 0; ki < nk; ki++) {
                const int K = grouped ? KG[ki][0] : ragged ? Kragged[ki] : Kblock[ki];
                const int G = grouped ? KG[ki][1] : 0;
                Case c;
                make_case(&c, f, Ms[mi], K, Ns[ni], G);
                int ok = check_case(e, f, &c, why, cap);
                (*cases)++;
                if (ok && f->kind == K_U4G) { // the kernels must also derive the sums when x_sums is absent
                    c.a.x_sums = NULL;
                    ok = check_case(e, f, &c, why, cap);
                    if (!ok) strncat(why, " (x_sums NULL)", cap - strlen(why) - 1);
                    (*cases)++;
                }
                free_case(&c);
                if (!ok) return 0;
            }
    return 1;
}

/* ---- quantize_row entries: byte-exact against the reference quantizers ---- */
static int test_quant(const qb_kernel_entry *e, int *cases, char *why, size_t cap) {
    const char *fmt = e->wfmt;
    if (!strcmp(fmt, "bf16")) {
        static const int Ks[] = {1, 7, 8, 33, 100};
        for (int ki = 0; ki < 5; ki++) {
            const int K = Ks[ki];
            float *x = xcalloc(sizeof(float) * K);
            uint16_t *got = xcalloc(2 * (size_t)K), *want = xcalloc(2 * (size_t)K);
            for (int k = 0; k < K; k++) {
                uint32_t u;
                switch (k % 7) { // ties to even (both parities), subnormals, infinities, signed zero, plain values
                case 0: u = 0x3f808000u; break;
                case 1: u = 0x3f818000u; break;
                case 2: u = 0x00012345u | (rnd32() & 0x80000000u); break;
                case 3: u = (rnd32() & 1) ? 0xff800000u : 0x80000000u; break;
                default: { const float v = urand(-1e4f, 1e4f); memcpy(&u, &v, 4); }
                }
                memcpy(&x[k], &u, 4);
            }
            ref_quantize_bf16(x, want, K);
            e->quant(x, got, NULL, NULL, 0, K);
            (*cases)++;
            for (int k = 0; k < K; k++)
                if (got[k] != want[k]) {
                    uint32_t u;
                    memcpy(&u, &x[k], 4);
                    snprintf(why, cap, "K=%d k=%d x=0x%08x: got 0x%04x want 0x%04x", K, k, u, got[k], want[k]);
                    free(x); free(got); free(want);
                    return 0;
                }
            free(x); free(got); free(want);
        }
        return 1;
    }
    const int is_pt = !strcmp(fmt, "i8_pt");
    if (!is_pt && strcmp(fmt, "q8_0") && strcmp(fmt, "q8_1")) {
        snprintf(why, cap, "no reference for quantize_row %s", fmt);
        return 0;
    }
    static const int Kb[] = {32, 64, 160};
    static const int Kp[] = {1, 7, 32, 33, 100, 128};
    const int nk = is_pt ? 6 : 3;
    for (int ki = 0; ki < nk; ki++)
        for (int zero = 0; zero < 2; zero++) {
            const int K = is_pt ? Kp[ki] : Kb[ki];
            const int G = (is_pt && K % 32 == 0) ? 32 : 0;
            float *x = xcalloc(sizeof(float) * K);
            const float mag = zero ? 0.0f : urand(0.01f, 100.0f);
            for (int k = 0; k < K; k++) x[k] = mag * urand(-1.0f, 1.0f);
            if (!zero && K >= 32) memset(x, 0, 32 * sizeof(float)); // an all-zero first block
            const size_t bytes = is_pt ? (size_t)K : (size_t)(K / 32) * (strcmp(fmt, "q8_1") ? 34 : 36);
            uint8_t *got = xcalloc(bytes), *want = xcalloc(bytes);
            int32_t gs[8] = {0}, ws[8] = {0};
            float gsc = -1.0f, wsc = -2.0f;
            if (is_pt) {
                ref_quantize_i8_pt(x, (int8_t *)want, &wsc, G ? ws : NULL, G, K);
                e->quant(x, got, &gsc, G ? gs : NULL, G, K);
            } else {
                if (!strcmp(fmt, "q8_0")) ref_quantize_q8_0(x, want, K);
                else ref_quantize_q8_1(x, want, K);
                e->quant(x, got, NULL, NULL, 0, K);
            }
            (*cases)++;
            int ok = memcmp(got, want, bytes) == 0 && memcmp(gs, ws, sizeof gs) == 0 &&
                     (!is_pt || memcmp(&gsc, &wsc, sizeof(float)) == 0);
            if (!ok) {
                size_t i = 0;
                while (i < bytes && got[i] == want[i]) i++;
                snprintf(why, cap, "K=%d%s: first differing byte %zu (got %d want %d), scale %.9g/%.9g", K,
                         zero ? " (zero row)" : "", i, i < bytes ? got[i] : -1, i < bytes ? want[i] : -1, gsc, wsc);
            }
            free(x); free(got); free(want);
            if (!ok) return 0;
        }
    return 1;
}

static const char *const kVariants[] = {"neon", "neon_dotprod", "neon_i8mm", "neon_fp16", "neon_bf16", "sve", "sve2"};

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

    int verified = 0, mismatched = 0, unsupported = 0, broken = 0;
    for (int i = 0; i < qb_arm_kernel_entry_count; i++) {
        const qb_kernel_entry *e = &qb_arm_kernel_entries[i];
        char why[512] = "", missing[64] = "";
        printf("%s %s %s %s: ", e->op, e->wfmt, e->afmt, e->variant);
        // Registry shape: known op and variant, function pointer matching the op, no duplicates.
        int known = 0;
        for (size_t v = 0; v < sizeof kVariants / sizeof kVariants[0]; v++) known |= !strcmp(e->variant, kVariants[v]);
        const int is_quant = !strcmp(e->op, "quantize_row");
        const int is_mat = !strcmp(e->op, "gemv") || !strcmp(e->op, "gemm");
        int dup = 0;
        for (int j = 0; j < i; j++) {
            const qb_kernel_entry *o = &qb_arm_kernel_entries[j];
            dup |= !strcmp(o->op, e->op) && !strcmp(o->wfmt, e->wfmt) && !strcmp(o->afmt, e->afmt) &&
                   !strcmp(o->variant, e->variant);
        }
        Fmt f;
        if (!known || !(is_quant || is_mat) || (is_mat && (!e->mat || e->quant)) || (is_quant && (!e->quant || e->mat)) ||
            dup || !e->requires || !e->repack || (is_mat && !parse_fmt(e, &f))) {
            printf("mismatch (malformed registry entry)\n");
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
        fflush(stdout);
        int cases = 0;
        const int ok = is_quant ? test_quant(e, &cases, why, sizeof why) : test_mat(e, &f, &cases, why, sizeof why);
        if (ok) {
            printf("verified (%d cases)\n", cases);
            verified++;
        } else {
            printf("mismatch (%s)\n", why);
            mismatched++;
        }
    }
    printf("summary: %d verified, %d mismatch, %d unsupported, %d malformed\n", verified, mismatched, unsupported, broken);
    return (mismatched || broken) ? 1 : 0;
}
