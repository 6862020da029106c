// Kernel ABI shared by every variant (scalar reference, x86, ARM) and by the Swift registry.
// Weight layouts are documented in docs/layouts.md; the q* formats are ggml's blocks, byte for byte.
#ifndef QBENCH_KERNELS_H
#define QBENCH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ggml-compatible blocks (fp16 stored as raw IEEE binary16 bits) ---- */
#define QB_QK 32
typedef struct { uint16_t d; int8_t qs[32]; } qb_block_q8_0;            /* 34 bytes: x = d*q */
typedef struct { uint16_t d; uint16_t s; int8_t qs[32]; } qb_block_q8_1; /* 36 bytes: s = d*sum(q) */
typedef struct { uint16_t d; uint8_t qs[16]; } qb_block_q4_0;           /* 18 bytes: x = d*((nib)-8);
                                                                           byte j: elem j low, j+16 high */
typedef struct { uint16_t d; uint16_t m; uint8_t qs[16]; } qb_block_q4_1; /* 20 bytes: x = d*nib + m */
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } qb_block_q5_0; /* 22 bytes: x = d*(q-16), q = nibble
                                                                           as q4_0 | bit j of qh (LE u32) << 4 */
/* 256-element k-quant super-blocks. q4_k/q5_k: 8 sub-blocks of 32, 6-bit scale and min each packed in scales[12]
   (qb_scale_min_k4), x = d*sc*q - dmin*m; qs byte l of pair p holds sub-block 2p (low) and 2p+1 (high), q5_k's
   bit 4 of sub-block j is bit j of qh[l]. q6_k: 16 sub-blocks of 16, x = d*scales[j]*(q-32), q = 4 bits of ql |
   2 bits of qh << 4 (qb_unpack_q6_k). q8_k: the activations, f32 d, per-16 sums of qs. */
#define QB_QKK 256
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qs[128]; } qb_block_q4_k;       /* 144 */
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } qb_block_q5_k;
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } qb_block_q6_k;        /* 210 */
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } qb_block_q8_k;                           /* 292 */

/// Arguments of a matrix kernel: Y[n][m] = sum_k W[m][k] * X[n][k] for rows m in [m0, m1).
/// `w` holds the weights in the format's layout (row-major by output row m; see docs/layouts.md), with the
/// planar side arrays where the format has them. `x` holds the N activation rows already converted by the
/// format's activation routine (`quantize_row`), `x_scales`/`x_sums` its per-row or per-block side data.
typedef struct qb_mat_args {
    const void *w;            /* weights */
    const float *w_scales;    /* i8_pc: [M]; i4_gN/u4_gN: [M][K/N]; NULL for ggml blocks and floats */
    const uint8_t *w_zeros;   /* u4_gN: zero points [M][K/N]; else NULL */
    const void *x;            /* activations in the activation format, N rows, row stride x_stride bytes */
    const float *x_scales;    /* per-token int8: [N]; else NULL */
    const int32_t *x_sums;    /* per-token int8 with u4 weights: per-group sums of q [N][K/G]; else NULL */
    float *y;                 /* output [N][ldy] */
    int M, K, N;              /* output rows, reduction length, activation rows */
    int group;                /* group size for i4_gN/u4_gN, 0 otherwise */
    size_t w_stride;          /* bytes per weight row */
    size_t x_stride;          /* bytes per activation row */
    size_t ldy;               /* floats per output row */
} qb_mat_args;

/// A gemv/gemm kernel for output rows [m0, m1). Threads call it on disjoint row ranges.
typedef void (*qb_mat_fn)(const qb_mat_args *a, int m0, int m1);

/// Converts one f32 activation row of length K into the activation format at `out`.
/// `scale` receives the per-token scale for per-token int8 formats (unused otherwise, may be NULL);
/// `sums` receives per-group sums of the quantized values when `group` > 0 (may be NULL).
typedef void (*qb_quant_fn)(const float *x, void *out, float *scale, int32_t *sums, int group, int K);

/// One registered kernel variant. The registry lists every variant built into this binary, with the
/// CPU features (canonical names, comma separated) it requires; dispatch never runs one the device lacks.
typedef struct qb_kernel_entry {
    const char *op;         /* "gemv" | "gemm" | "quantize_row" */
    const char *wfmt;       /* weight format: q8_0 q4_0 q4_1 q5_0 q4_k q5_k q6_k i8_pc i4_g32 u4_g32 f16 bf16 f32
                               (activation format for quantize_row) */
    const char *afmt;       /* activation format: q8_0 q8_1 q8_k i8_pt (per-token int8) f32 bf16 */
    const char *variant;    /* scalar avx2 avx512 avx512_vnni avx_vnni avx512_bf16 avx512_fp16 amx neon neon_dotprod
                               neon_i8mm neon_fp16 neon_bf16 sve */
    const char *requires;   /* e.g. "avx512f,avx512bw,avx512vl,avx512_vnni"; "" for scalar */
    const char *repack;     /* "" when weights are used as stored, else a short note on the load-time repack */
    qb_mat_fn mat;          /* for gemv/gemm */
    qb_quant_fn quant;      /* for quantize_row */
    /* ---- additions (v2). Entries that leave these zero keep the v1 meaning: weights used as stored,
       any row split, integer entries bit-exact and float entries within the default NMSE bound. ---- */
    size_t (*repack_size)(int M, int K, int group); /* bytes the repacked weights need, 0 = shape not accepted */
    void (*repack_fn)(const struct qb_mat_args *src, void *dst); /* NULL: weights used as stored */
    int row_align;          /* thread row ranges [m0, m1) are fastest when m0 is a multiple of this (0 = 1) */
    /* NULL/"" = default (integer: "exact", float: "nmse<=5e-4 rel<=1e-5"); else e.g. "nmse<=1e-3 rel<=1e-2 (why)".
       rel bounds every output: |y - ref| <= rel * sum_k |w*x| (docs/kernels.md, "Float bounds"). */
    const char *tolerance;
} qb_kernel_entry;

/// The registry: `*count` entries, valid for the life of the process.
const qb_kernel_entry *qb_kernel_registry(int *count);

/* ---- Numeric contract (binding for every variant; see docs/layouts.md and docs/kernels.md) ----
 * Integer paths: exact int32 sum per 32-element block (summed over the group for i4_gN/u4_gN, over the whole
 * row for i8_pc), then, per block in increasing k and in f32, exactly one fused multiply-add per block
 * (fmaf: one rounding) and every other operation rounded on its own:
 *     acc = fmaf((float)isum, d_w * d_x, acc)                        (q8_0, q4_0, i4_gN, u4_gN; acc starts at 0)
 *     acc = fmaf((float)isum, d_w * d_x, fmaf(m_w, s_x, acc))        (q4_1 with q8_1 activations)
 *     y   = 0 + (float)isum * (s_w * s_x)                            (i8_pc: one block per row, no FMA)
 * u4_gN: isum = sum q*x - z * sum x (exact int32). Kernels given a shape their format cannot hold (K not a
 * multiple of the block/group) write NaN to their outputs instead of guessing.
 * Activation rows read by a kernel are never read past K elements (K rounded up to the activation block). */

/* ---- Repacked weight layouts (x86 SIMD entries; docs/kernels.md) ----
 * Entries with repack_fn != NULL take weights produced by repack_fn from the stored layout (src->w, w_scales,
 * w_zeros, M, K, group, w_stride) into a 64-byte aligned buffer of repack_size(M, K, group) bytes; the kernel is
 * then called with w = that buffer (w_scales/w_zeros/w_stride are ignored: the layouts carry their side data). */

/* ---- Crash isolation (kernels/canary.c) ---- */

/// How a canary child ended.
typedef enum { QB_CANARY_OK = 0, QB_CANARY_SIGNALED = 1, QB_CANARY_TIMEOUT = 2, QB_CANARY_EXITED = 3,
               QB_CANARY_NOT_RUN = 4 } qb_canary_outcome;

typedef struct qb_canary_result {
    int outcome;       /* qb_canary_outcome */
    int signal;        /* the terminating signal when SIGNALED (SIGILL, SIGSEGV, ...) */
    int exit_code;     /* the child's status when EXITED with a non-zero code */
    double elapsed_ms; /* wall time from fork to reap */
    int error;         /* errno when NOT_RUN (fork or allocation failed) */
} qb_canary_result;

/// The canary's shape: QB_CANARY_M output rows, QB_CANARY_K reduction, 1 token (3 for gemm).
enum { QB_CANARY_M = 40, QB_CANARY_K = 256 };

/// Runs `e` once in a forked child on small inputs prepared (and repacked) in the parent before the fork,
/// so the child only computes and `_exit(0)`s. The parent waits at most `timeout_ms`, then SIGKILLs.
/// `group` is the i4_gN/u4_gN group size (0 otherwise); `w_stride` and `x_stride` are the bytes of one weight
/// row and one activation row at QB_CANARY_K (the Swift formats know them; C does not restate them). Never
/// consults CPU features: callers decide whether running is allowed (tests use that to provoke SIGILL).
/// Returns `out->outcome`. POSIX only;
/// elsewhere it reports NOT_RUN.
int qb_canary_run(const qb_kernel_entry *e, int group, size_t w_stride, size_t x_stride, int timeout_ms,
                  qb_canary_result *out);

/// Test kernels with known misbehaviour, for the canary's and verifier's own tests: an endless loop, a
/// SIGSEGV, an illegal instruction (ud2 on x86, udf on aarch64), and one that runs fine but writes zeros.
void qb_canary_test_spin(const qb_mat_args *a, int m0, int m1);
void qb_canary_test_segv(const qb_mat_args *a, int m0, int m1);
void qb_canary_test_sigill(const qb_mat_args *a, int m0, int m1);
void qb_canary_test_zero(const qb_mat_args *a, int m0, int m1);

/* ---- Reference routines and test hooks callable from Swift ---- */
/// The conversion helpers every scalar kernel (and some SIMD ones) share, exported so tests can check them over
/// every input pattern against an independent implementation (Swift's Float16, bit arithmetic).
float qb_ref_f16_to_f32(uint16_t h);
uint16_t qb_ref_f32_to_f16(float f);
float qb_ref_bf16_to_f32(uint16_t h);
uint16_t qb_ref_f32_to_bf16(float f);
void qb_quantize_row_q8_0_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_q8_1_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_i8_pt_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_bf16_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
void qb_quantize_row_q8_k_scalar(const float *x, void *out, float *scale, int32_t *sums, int group, int K);
/// The AMX kernels run over a plain-C emulation of the tile registers (kernels/amx_emul.c), so their tiling,
/// packing and epilogue are verifiable on machines without AMX. Same contract as the registry entries.
void qb_gemm_i8_pc_i8_pt_amx_emulated(const qb_mat_args *a, int m0, int m1);
void qb_gemm_q8_0_q8_0_amx_emulated(const qb_mat_args *a, int m0, int m1);
void qb_gemm_bf16_bf16_amx_emulated(const qb_mat_args *a, int m0, int m1);

#ifdef __cplusplus
}
#endif
#endif
