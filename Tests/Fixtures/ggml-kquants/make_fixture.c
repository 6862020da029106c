// make_fixture: writes the ggml C-reference fixture that GGMLCReferenceFixtureTests checks our quantizers against.
//
// It builds a fixed list of f32 rows (deterministic: SplitMix64 with a fixed seed, plus hand-made hard rows), runs
// ggml's own scalar reference quantizers (quantize_row_<type>_ref from ggml-quants.c, linked from ggml-base) on
// every row, and writes the rows and ggml's bytes into OUTDIR. README.md beside this file has the build command
// and the file layout. Usage: make_fixture OUTDIR
//
// Nothing here is copied from ggml: it only calls ggml's public ggml_row_size/ggml_blck_size/ggml_type_size and
// the quantize_row_*_ref functions declared in ggml-quants.h.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-quants.h"
#include "ggml.h"

// MARK: deterministic inputs

// SplitMix64 (Steele, Lea, Flood 2014): the whole fixture comes from one stream seeded with FIXTURE_SEED.
#define FIXTURE_SEED 0x5142454E43484B51ull  // "QBENCHKQ" in ASCII
static uint64_t rng_state = FIXTURE_SEED;

static uint64_t splitmix64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Uniform in [0, 1): the top 53 bits as a double (exact, no libm involved).
static double uniform(void) { return (double)(splitmix64() >> 11) * (1.0 / 9007199254740992.0); }

// Normal-ish: Irwin-Hall sum of 12 uniforms minus 6 (mean 0, variance 1, tails cut at +-6). Only + and - on
// doubles, so every IEEE-754 machine makes the same rows (no exp/log/cos whose last bit varies by libm).
static double normalish(void) {
    double s = 0;
    for (int i = 0; i < 12; i++) s += uniform();
    return s - 6.0;
}

// Heavy-tailed: normal-ish divided by a uniform in [0.05, 1.05), so a few values are ~20x the rest.
static double heavy(void) { return normalish() / (0.05 + uniform()); }

static int rand_index(int n) { return (int)(splitmix64() % (uint64_t)n); }

#define MAX_ROWS 64
#define NAME_LEN 24

struct row {
    char name[NAME_LEN];
    int k;
    float *x;
};

static struct row rows[MAX_ROWS];
static int n_rows = 0;

static float *new_row(const char *name, int k) {
    if (n_rows == MAX_ROWS || k % 256 != 0 || strlen(name) >= NAME_LEN) {
        fprintf(stderr, "make_fixture: bad row %s (k %d)\n", name, k);
        exit(1);
    }
    struct row *r = &rows[n_rows++];
    memset(r->name, 0, NAME_LEN);
    memcpy(r->name, name, strlen(name));
    r->k = k;
    r->x = calloc((size_t)k, sizeof(float));
    if (!r->x) exit(1);
    return r->x;
}

// Every row of the fixture, in file order. Rows marked "hard" are the edge cases each quantizer's scale search
// must agree on: empty blocks, one dominant value, no spread, magnitudes near the ends of f32 and f16.
static void make_rows(void) {
    float *x;
    int i;

    x = new_row("zeros", 256);  // hard: every block is zero (scale 0)
    (void)x;

    x = new_row("spike_pos", 256);  // hard: one positive value, the rest exactly zero
    x[37] = 3.5f;

    x = new_row("spike_neg_in_noise", 512);  // hard: one large negative value over small noise
    for (i = 0; i < 512; i++) x[i] = (float)(normalish() * 0.01);
    x[300] = -40.0f;

    x = new_row("equal_pos", 256);  // hard: no spread at all (max == min)
    for (i = 0; i < 256; i++) x[i] = 0.75f;

    x = new_row("equal_neg", 512);
    for (i = 0; i < 512; i++) x[i] = -2.0f;

    x = new_row("tiny_1e-30", 256);  // hard: far below f16's smallest subnormal (scales underflow)
    for (i = 0; i < 256; i++) x[i] = (float)(normalish() * 1e-30);

    x = new_row("subnormal_f32", 256);  // hard: f32 subnormals (~1e-40)
    for (i = 0; i < 256; i++) x[i] = (float)(normalish() * 1e-40);

    x = new_row("near_group_eps", 256);  // hard: magnitudes around ggml's GROUP_MAX_EPS (1e-15)
    for (i = 0; i < 256; i++) x[i] = (float)(normalish() * ((i / 32) % 2 ? 3e-16 : 3e-15));

    x = new_row("large_pm1e4", 512);  // hard: +-1e4 values
    for (i = 0; i < 512; i++) x[i] = (float)(normalish() * 1e4);

    x = new_row("large_1e4_pos", 256);
    for (i = 0; i < 256; i++) x[i] = (float)(1e4 + uniform() * 1e4);

    x = new_row("large_1e4_sign", 256);  // exactly +-1e4
    for (i = 0; i < 256; i++) x[i] = (splitmix64() & 1) ? 1e4f : -1e4f;

    x = new_row("negative_only", 512);
    for (i = 0; i < 512; i++) {
        double v = normalish();
        x[i] = (float)(-(v < 0 ? -v : v) * 0.1 - 1e-3);
    }

    x = new_row("positive_only", 512);
    for (i = 0; i < 512; i++) {
        double v = normalish();
        x[i] = (float)((v < 0 ? -v : v) * 0.1 + 1e-3);
    }

    x = new_row("sign_per_block", 768);  // alternating 32-element blocks of negative-only and positive-only
    for (i = 0; i < 768; i++) {
        double v = normalish();
        v = v < 0 ? -v : v;
        x[i] = (float)(((i / 32) % 2 ? v : -v) * 0.5);
    }

    x = new_row("sign_per_subblock16", 256);  // the same at q6_K's 16-element sub-blocks
    for (i = 0; i < 256; i++) {
        double v = normalish();
        v = v < 0 ? -v : v;
        x[i] = (float)(((i / 16) % 2 ? v : -v) * 0.5);
    }

    x = new_row("one_block_nonzero", 256);  // one 32-element group carries data, the others are zero
    for (i = 96; i < 128; i++) x[i] = (float)(normalish() * 0.3);

    x = new_row("mixed_magnitudes", 512);  // per-32 groups at 1e-6, 3e2, 1e-3 (f16 scale range)
    for (i = 0; i < 512; i++) {
        int g = (i / 32) % 3;
        x[i] = (float)(normalish() * (g == 0 ? 1e-6 : (g == 1 ? 3e2 : 1e-3)));
    }

    x = new_row("half_integers", 512);  // values on rounding ties for integer-ish scales
    for (i = 0; i < 512; i++) x[i] = (float)(rand_index(61) - 30) * 0.5f;

    x = new_row("ramp", 768);
    for (i = 0; i < 768; i++) x[i] = (float)(i - 384) / 64.0f;

    x = new_row("alternating_pm1", 256);
    for (i = 0; i < 256; i++) x[i] = (i % 2) ? 1.0f : -1.0f;

    x = new_row("uniform_0_1", 256);
    for (i = 0; i < 256; i++) x[i] = (float)uniform();

    x = new_row("ties", 512);  // half-integers in blocks pinned so the scale is exactly 1: x*id lands on .5 ties
    for (int b = 0; b < 16; b++) {
        float *blk = x + 32 * b;
        for (i = 0; i < 32; i++) {
            float h = (float)(rand_index(61) - 30) * 0.5f;  // -15 .. 15 in steps of 0.5
            switch (b % 4) {
            case 0: blk[i] = h * 4 + 0.5f; break;      // q8_0: amax 127 below
            case 1: blk[i] = h / 2; break;             // q4_0: max -8 below, |x| <= 7.5
            case 2: blk[i] = (float)rand_index(30) * 0.5f; break;  // q4_1: range 0 .. 15 below
            default: blk[i] = h; break;                // q5_0: max -16 below
            }
        }
        if (b % 4 == 0) blk[rand_index(32)] = 127.0f;
        if (b % 4 == 1) blk[rand_index(32)] = -8.0f;
        if (b % 4 == 2) { blk[0] = 0.0f; blk[31] = 15.0f; }
        if (b % 4 == 3) blk[rand_index(32)] = -16.0f;
    }

    // The rows below are where the last candidates of ggml's scale searches win (checked by mutating ggml's search
    // loops: without these rows, dropping the last step of make_qkx2_quants went unnoticed by the fixture).
    x = new_row("outlier_per_group", 1024);  // uniform [0, 1) with one value of 5..10 in every 32-group
    for (i = 0; i < 1024; i++) x[i] = (float)uniform();
    for (int g = 0; g < 32; g++) x[32 * g + rand_index(32)] = (float)(5.0 + 5.0 * uniform());

    x = new_row("outlier_20_per_group", 1024);  // the same with outliers of exactly 20 (the last step wins more often)
    for (i = 0; i < 1024; i++) x[i] = (float)uniform();
    for (int g = 0; g < 32; g++) x[32 * g + rand_index(32)] = 20.0f;

    x = new_row("tiny_next_to_normal", 256);  // 16-groups below GROUP_MAX_EPS (but not 0) beside ordinary ones
    for (i = 0; i < 256; i++) x[i] = (float)(normalish() * ((i / 16) % 2 ? 1e-17 : 0.1));

    x = new_row("skewed_cubed", 1024);  // u^3: most values near 0, a long tail towards 1
    for (i = 0; i < 1024; i++) {
        double v = uniform();
        x[i] = (float)(v * v * v);
    }

    x = new_row("sparse", 1024);  // 90% exact zeros, the rest normal-ish
    for (i = 0; i < 1024; i++) x[i] = uniform() < 0.9 ? 0.0f : (float)normalish();

    static const int normal_k[] = {256, 512, 768, 1024, 256, 512, 1024, 256};
    static const double normal_sd[] = {0.02, 1.0, 0.001, 0.02, 100.0, 0.05, 0.3, 7.0};
    for (int r = 0; r < 8; r++) {
        char name[NAME_LEN];
        snprintf(name, sizeof name, "normal_%d", r);
        x = new_row(name, normal_k[r]);
        for (i = 0; i < normal_k[r]; i++) x[i] = (float)(normalish() * normal_sd[r]);
    }

    x = new_row("heavy_tailed", 1024);
    for (i = 0; i < 1024; i++) x[i] = (float)(heavy() * 0.02);

    x = new_row("heavy_tailed_2", 512);
    for (i = 0; i < 512; i++) x[i] = (float)(heavy() * 1.5);
}

// MARK: ggml's reference quantizers

// One wrapper per type so every call goes through ggml's own prototype (void * converts to its block pointer).
static void q4_0(const float *x, void *y, int64_t k) { quantize_row_q4_0_ref(x, y, k); }
static void q4_1(const float *x, void *y, int64_t k) { quantize_row_q4_1_ref(x, y, k); }
static void q5_0(const float *x, void *y, int64_t k) { quantize_row_q5_0_ref(x, y, k); }
static void q8_0(const float *x, void *y, int64_t k) { quantize_row_q8_0_ref(x, y, k); }
static void q4_K(const float *x, void *y, int64_t k) { quantize_row_q4_K_ref(x, y, k); }
static void q5_K(const float *x, void *y, int64_t k) { quantize_row_q5_K_ref(x, y, k); }
static void q6_K(const float *x, void *y, int64_t k) { quantize_row_q6_K_ref(x, y, k); }

struct format {
    const char *name;  // ggml's type name; also the file name (<name>.bin)
    enum ggml_type type;
    void (*quantize)(const float *, void *, int64_t);
};

static const struct format formats[] = {
    {"q4_0", GGML_TYPE_Q4_0, q4_0}, {"q4_1", GGML_TYPE_Q4_1, q4_1}, {"q5_0", GGML_TYPE_Q5_0, q5_0},
    {"q8_0", GGML_TYPE_Q8_0, q8_0}, {"q4_K", GGML_TYPE_Q4_K, q4_K}, {"q5_K", GGML_TYPE_Q5_K, q5_K},
    {"q6_K", GGML_TYPE_Q6_K, q6_K},
};

// MARK: little-endian output

static void put_u32(FILE *f, uint32_t v) {
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void put_f32(FILE *f, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    put_u32(f, u);
}

static FILE *open_out(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static void close_out(FILE *f) {
    if (ferror(f) || fclose(f) != 0) {
        fprintf(stderr, "make_fixture: write failed\n");
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    make_rows();

    // rows.bin: "QBKQROWS", u32 row count, then per row: u32 k, char name[24] (NUL-padded), f32 x[k].
    FILE *f = open_out(dir, "rows");
    fwrite("QBKQROWS", 1, 8, f);
    put_u32(f, (uint32_t)n_rows);
    for (int r = 0; r < n_rows; r++) {
        put_u32(f, (uint32_t)rows[r].k);
        fwrite(rows[r].name, 1, NAME_LEN, f);
        for (int i = 0; i < rows[r].k; i++) put_f32(f, rows[r].x[i]);
    }
    close_out(f);

    // <type>.bin: "QBKQBYTE", u32 row count, u32 elements per block, u32 bytes per block, then per row:
    // u32 byte count, the bytes quantize_row_<type>_ref wrote (ggml's in-memory block layout, little-endian).
    for (size_t t = 0; t < sizeof formats / sizeof formats[0]; t++) {
        const struct format *fm = &formats[t];
        f = open_out(dir, fm->name);
        fwrite("QBKQBYTE", 1, 8, f);
        put_u32(f, (uint32_t)n_rows);
        put_u32(f, (uint32_t)ggml_blck_size(fm->type));
        put_u32(f, (uint32_t)ggml_type_size(fm->type));
        for (int r = 0; r < n_rows; r++) {
            size_t n = ggml_row_size(fm->type, rows[r].k);
            unsigned char *y = malloc(n);
            if (!y) return 1;
            memset(y, 0xA5, n);  // a byte ggml failed to write would show up as a mismatch, not as zero
            fm->quantize(rows[r].x, y, rows[r].k);
            put_u32(f, (uint32_t)n);
            fwrite(y, 1, n, f);
            free(y);
        }
        close_out(f);
        fprintf(stderr, "%s: %d rows\n", fm->name, n_rows);
    }
    return 0;
}
