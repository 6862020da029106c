// The one registry of kernel variants (qb_kernel_registry): scalar always, x86 entries on x86_64 builds,
// and on aarch64 the ARM entries defined in arm_registry.c. Each entry names the CPU features it needs
// (canonical names, Sources/QBenchDevice/CPUFeature.swift); dispatch never runs one the device lacks.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "qb_protos.h"

/* `rep` is X16(fmt) or NOREP: the repack size and repack functions */
#define MAT(op, w, x, v, fn, req, note, rep, align, tol) {op, w, x, v, req, note, fn, NULL, rep, align, tol}
#define NOREP NULL, NULL
#define QUANT(f, v, fn, req) {"quantize_row", f, f, v, req, "", NULL, fn, NULL, NULL, 0, NULL}

/* scalar: every format, weights as stored */
#define SCALAR_MAT(w, x, fnw, fnx)                                                               \
    MAT("gemv", w, x, "scalar", qb_gemv_##fnw##_##fnx##_scalar, "", "", NOREP, 1, NULL),     \
    MAT("gemm", w, x, "scalar", qb_gemm_##fnw##_##fnx##_scalar, "", "", NOREP, 1, NULL)

static const qb_kernel_entry qb_scalar_entries[] = {
    SCALAR_MAT("q8_0", "q8_0", q8_0, q8_0),
    SCALAR_MAT("q4_0", "q8_0", q4_0, q8_0),
    SCALAR_MAT("q4_1", "q8_1", q4_1, q8_1),
    SCALAR_MAT("i8_pc", "i8_pt", i8_pc, i8_pt),
    SCALAR_MAT("i4_g32", "i8_pt", i4_gN, i8_pt),
    SCALAR_MAT("i4_g64", "i8_pt", i4_gN, i8_pt),
    SCALAR_MAT("i4_g128", "i8_pt", i4_gN, i8_pt),
    SCALAR_MAT("u4_g32", "i8_pt", u4_gN, i8_pt),
    SCALAR_MAT("u4_g64", "i8_pt", u4_gN, i8_pt),
    SCALAR_MAT("u4_g128", "i8_pt", u4_gN, i8_pt),
    SCALAR_MAT("f32", "f32", f32, f32),
    SCALAR_MAT("f16", "f32", f16, f32),
    SCALAR_MAT("bf16", "bf16", bf16, bf16),
    SCALAR_MAT("bf16", "f32", bf16, f32),
    SCALAR_MAT("q5_0", "q8_0", q5_0, q8_0),
    SCALAR_MAT("q4_k", "q8_k", q4_k, q8_k),
    SCALAR_MAT("q5_k", "q8_k", q5_k, q8_k),
    SCALAR_MAT("q6_k", "q8_k", q6_k, q8_k),
    QUANT("q8_k", "scalar", qb_quantize_row_q8_k_scalar, ""),
    QUANT("q8_0", "scalar", qb_quantize_row_q8_0_scalar, ""),
    QUANT("q8_1", "scalar", qb_quantize_row_q8_1_scalar, ""),
    QUANT("i8_pt", "scalar", qb_quantize_row_i8_pt_scalar, ""),
    QUANT("bf16", "scalar", qb_quantize_row_bf16_scalar, ""),
    QUANT("f32", "scalar", qb_quantize_row_f32_scalar, ""),
};

#if defined(__x86_64__)
#define R_AVX2 "avx2,fma,f16c"
#define R_AVX512 "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq"
#define R_AVX512VNNI R_AVX512 ",avx512_vnni"
#define R_AVXVNNI "avx2,fma,f16c,avx_vnni"
#define R_AVX512BF16 R_AVX512 ",avx512_bf16"
#define R_AVX512FP16 R_AVX512 ",avx512_fp16"
#define R_AMX_INT8 R_AVX512 ",amx_tile,amx_int8"
#define R_AMX_BF16 R_AVX512 ",amx_tile,amx_bf16"

#define N_Q8 "x16: 16 rows interleaved 4 bytes at a time, qs stored xor 0x80, f16 scales gathered per unit (qb_x16.h)"
#define N_Q4 \
    "x16: 16 rows interleaved 4 bytes at a time (stored nibble bytes moved, not split), f16 d/m gathered per unit"
#define N_I8 \
    "x16: 16 rows interleaved 4 bytes at a time, q stored xor 0x80, K padded to 4, row scales gathered per unit"
#define N_X4 "x16: 16 rows interleaved 4 bytes at a time, group scales (and u4 zero points) gathered per unit"
#define N_F16 "x16: 16 rows interleaved per k"
#define N_F32 "x16: 16 rows interleaved per k"
#define N_BF16 "x16: 16 rows interleaved per k pair, K padded to even"
#define N_FP16P "x16 k-pair layout (the bf16 repack applied to f16 bits)"

#define X16(fmt) qb_x16_size_##fmt, qb_x16_repack_##fmt

#define N_Q50 "x16 q8_0 layout: the 5-bit quants widened to int8 (q - 16) at load, then the q8_0 kernels (exact: " \
              "the same int32 per block and epilogue); reads 34 bytes per 32 weights where the file holds 22"
#define INT_SET(v, req)                                                                                        \
    MAT("gemv", "q5_0", "q8_0", #v, qb_gemv_q8_0_q8_0_##v, req, N_Q50, X16(q5_0), 16, NULL),                    \
    MAT("gemm", "q5_0", "q8_0", #v, qb_gemm_q8_0_q8_0_##v, req, N_Q50, X16(q5_0), 16, NULL),                    \
    MAT("gemv", "q8_0", "q8_0", #v, qb_gemv_q8_0_q8_0_##v, req, N_Q8, X16(q8_0), 16, NULL),                     \
    MAT("gemm", "q8_0", "q8_0", #v, qb_gemm_q8_0_q8_0_##v, req, N_Q8, X16(q8_0), 16, NULL),                     \
    MAT("gemv", "q4_0", "q8_0", #v, qb_gemv_q4_0_q8_0_##v, req, N_Q4, X16(q4_0), 16, NULL),                     \
    MAT("gemm", "q4_0", "q8_0", #v, qb_gemm_q4_0_q8_0_##v, req, N_Q4, X16(q4_0), 16, NULL),                     \
    MAT("gemv", "q4_1", "q8_1", #v, qb_gemv_q4_1_q8_1_##v, req, N_Q4, X16(q4_1), 16, NULL),                     \
    MAT("gemm", "q4_1", "q8_1", #v, qb_gemm_q4_1_q8_1_##v, req, N_Q4, X16(q4_1), 16, NULL),                     \
    MAT("gemv", "i8_pc", "i8_pt", #v, qb_gemv_i8_pc_i8_pt_##v, req, N_I8, X16(i8_pc), 16, NULL),                \
    MAT("gemm", "i8_pc", "i8_pt", #v, qb_gemm_i8_pc_i8_pt_##v, req, N_I8, X16(i8_pc), 16, NULL),                \
    X4_SET(v, req, "i4_g32", i4_gN), X4_SET(v, req, "i4_g64", i4_gN), X4_SET(v, req, "i4_g128", i4_gN),        \
    X4_SET(v, req, "u4_g32", u4_gN), X4_SET(v, req, "u4_g64", u4_gN), X4_SET(v, req, "u4_g128", u4_gN)
#define X4_SET(v, req, name, fn)                                                                               \
    MAT("gemv", name, "i8_pt", #v, qb_gemv_##fn##_i8_pt_##v, req, N_X4, X16(fn), 16, NULL),                     \
    MAT("gemm", name, "i8_pt", #v, qb_gemm_##fn##_i8_pt_##v, req, N_X4, X16(fn), 16, NULL)
#define FLOAT_SET(v, req)                                                                                      \
    MAT("gemv", "f32", "f32", #v, qb_gemv_f32_f32_##v, req, N_F32, X16(f32), 16, NULL),                         \
    MAT("gemm", "f32", "f32", #v, qb_gemm_f32_f32_##v, req, N_F32, X16(f32), 16, NULL),                         \
    MAT("gemv", "f16", "f32", #v, qb_gemv_f16_f32_##v, req, N_F16, X16(f16), 16, NULL),                         \
    MAT("gemm", "f16", "f32", #v, qb_gemm_f16_f32_##v, req, N_F16, X16(f16), 16, NULL),                         \
    MAT("gemv", "bf16", "bf16", #v, qb_gemv_bf16_bf16_##v, req, N_BF16, X16(bf16), 16, NULL),                   \
    MAT("gemm", "bf16", "bf16", #v, qb_gemm_bf16_bf16_##v, req, N_BF16, X16(bf16), 16, NULL),                   \
    MAT("gemv", "bf16", "f32", #v, qb_gemv_bf16_f32_##v, req, N_BF16, X16(bf16), 16, NULL),                     \
    MAT("gemm", "bf16", "f32", #v, qb_gemm_bf16_f32_##v, req, N_BF16, X16(bf16), 16, NULL)

/* k-quants: weights as stored (ggml's blocks), one variant per ISA that has its own code */
#define N_KQ ""
#define KQ_SET(v, req)                                                                                         \
    MAT("gemv", "q4_k", "q8_k", #v, qb_gemv_q4_k_q8_k_##v, req, N_KQ, NOREP, 1, NULL),                          \
    MAT("gemm", "q4_k", "q8_k", #v, qb_gemm_q4_k_q8_k_##v, req, N_KQ, NOREP, 1, NULL),                          \
    MAT("gemv", "q5_k", "q8_k", #v, qb_gemv_q5_k_q8_k_##v, req, N_KQ, NOREP, 1, NULL),                          \
    MAT("gemm", "q5_k", "q8_k", #v, qb_gemm_q5_k_q8_k_##v, req, N_KQ, NOREP, 1, NULL),                          \
    MAT("gemv", "q6_k", "q8_k", #v, qb_gemv_q6_k_q8_k_##v, req, N_KQ, NOREP, 1, NULL),                          \
    MAT("gemm", "q6_k", "q8_k", #v, qb_gemm_q6_k_q8_k_##v, req, N_KQ, NOREP, 1, NULL)

#define N_KX "kx16: 16 rows interleaved 4 bytes at a time, quants widened to u8, per-row sub-block scales and " \
             "mins as int32 lanes, d/dmin as f32 (qb_kx16.h)"
#define KX(fmt) qb_kx16_size_##fmt, qb_kx16_repack_##fmt
#define N_KN "kn16: the stored q4_k/q5_k/q6_k bits 16 rows x 4 bytes at a time (q6_k as three 6-bit lines per " \
             "sub-block), sub-block scales and mins as u8 per row, d/dmin f16 (qb_kx16.h); about the stored size"
#define KN(fmt) qb_kx16_size_##fmt##_kn, qb_kx16_repack_##fmt##_kn
#define KX_SET(v, req)                                                                                         \
    MAT("gemv", "q4_k", "q8_k", #v, qb_gemv_q4_k_q8_k_##v, req, N_KN, KN(q4_k), 16, NULL),                      \
    MAT("gemv", "q5_k", "q8_k", #v, qb_gemv_q5_k_q8_k_##v, req, N_KN, KN(q5_k), 16, NULL),                      \
    MAT("gemv", "q6_k", "q8_k", #v, qb_gemv_q6_k_q8_k_##v, req, N_KN, KN(q6_k), 16, NULL),                      \
    MAT("gemm", "q4_k", "q8_k", #v, qb_gemm_q4_k_q8_k_##v, req, N_KX, KX(q4_k), 16, NULL),                      \
    MAT("gemm", "q5_k", "q8_k", #v, qb_gemm_q5_k_q8_k_##v, req, N_KX, KX(q5_k), 16, NULL),                      \
    MAT("gemm", "q6_k", "q8_k", #v, qb_gemm_q6_k_q8_k_##v, req, N_KX, KX(q6_k), 16, NULL)

static const qb_kernel_entry qb_x86_entries[] = {
    INT_SET(avx2, R_AVX2),
    KQ_SET(avx2, R_AVX2),
    QUANT("q8_k", "avx2", qb_quantize_row_q8_k_avx2, R_AVX2),
    FLOAT_SET(avx2, R_AVX2),
    INT_SET(avx_vnni, R_AVXVNNI),
    KX_SET(avx_vnni, R_AVXVNNI),
    INT_SET(avx512, R_AVX512),
    KX_SET(avx512, R_AVX512),
    FLOAT_SET(avx512, R_AVX512),
    INT_SET(avx512_vnni, R_AVX512VNNI),
    KX_SET(avx512_vnni, R_AVX512VNNI),
    MAT("gemv", "bf16", "bf16", "avx512_bf16", qb_gemv_bf16_bf16_avx512_bf16, R_AVX512BF16, N_BF16, X16(bf16), 16,
        NULL),
    MAT("gemm", "bf16", "bf16", "avx512_bf16", qb_gemm_bf16_bf16_avx512_bf16, R_AVX512BF16, N_BF16, X16(bf16), 16,
        NULL),
    MAT("gemv", "f16", "f32", "avx512_fp16", qb_gemv_f16_f32_avx512_fp16, R_AVX512FP16, N_FP16P, X16(bf16), 16,
        "nmse<=5e-4 rel<=2e-2 (fp16 products and 128-element partial sums)"),
    MAT("gemm", "f16", "f32", "avx512_fp16", qb_gemm_f16_f32_avx512_fp16, R_AVX512FP16, N_FP16P, X16(bf16), 16,
        "nmse<=5e-4 rel<=2e-2 (fp16 products and 128-element partial sums)"),
    QUANT("q8_0", "avx2", qb_quantize_row_q8_0_avx2, R_AVX2),
    QUANT("q8_1", "avx2", qb_quantize_row_q8_1_avx2, R_AVX2),
    QUANT("i8_pt", "avx2", qb_quantize_row_i8_pt_avx2, R_AVX2),
    MAT("gemm", "i8_pc", "i8_pt", "amx", qb_gemm_i8_pc_i8_pt_amx, R_AMX_INT8, "", NOREP, 32, NULL),
    MAT("gemm", "q8_0", "q8_0", "amx", qb_gemm_q8_0_q8_0_amx, R_AMX_INT8, "", NOREP, 32, NULL),
    MAT("gemm", "bf16", "bf16", "amx", qb_gemm_bf16_bf16_amx, R_AMX_BF16, "", NOREP, 32, NULL),
};
#endif

#if defined(__aarch64__)
extern const qb_kernel_entry qb_arm_kernel_entries[];
extern const int qb_arm_kernel_entry_count;
#endif

static qb_kernel_entry *qb_table;
static int qb_table_count;
static pthread_once_t qb_table_once = PTHREAD_ONCE_INIT;

static void qb_table_build(void) {
    const int ns = (int)(sizeof(qb_scalar_entries) / sizeof(qb_scalar_entries[0]));
    int na = 0;
    const qb_kernel_entry *arch = NULL;
#if defined(__x86_64__)
    arch = qb_x86_entries;
    na = (int)(sizeof(qb_x86_entries) / sizeof(qb_x86_entries[0]));
#elif defined(__aarch64__)
    arch = qb_arm_kernel_entries;
    na = qb_arm_kernel_entry_count;
#endif
    qb_kernel_entry *t = (qb_kernel_entry *)malloc((size_t)(ns + na) * sizeof(qb_kernel_entry));
    if (!t) { /* without memory the scalar table alone still answers */
        qb_table = (qb_kernel_entry *)qb_scalar_entries;
        qb_table_count = ns;
        return;
    }
    memcpy(t, qb_scalar_entries, (size_t)ns * sizeof(qb_kernel_entry));
    if (na > 0) memcpy(t + ns, arch, (size_t)na * sizeof(qb_kernel_entry));
    qb_table = t;
    qb_table_count = ns + na;
}

const qb_kernel_entry *qb_kernel_registry(int *count) {
    pthread_once(&qb_table_once, qb_table_build);
    *count = qb_table_count;
    return qb_table;
}
