// Limit kernels (qbench_limits.h): peak arithmetic loops and read-bandwidth loops, per ISA.
//
// Peak loops keep many independent accumulator chains (more than latency x issue ports), so they are bound by
// throughput, not latency; inputs derive from a run-time seed and results go to a volatile sink, so nothing can
// be folded or hoisted. Where an instruction does not accumulate (maddubs), one input changes every iteration
// for the same reason. Read loops use plain loads with a few independent adds per 256 bytes.
#include <stdint.h>
#include <string.h>

#include "qbench_hw.h"
#include "qbench_limits.h"

volatile uint64_t qb_limits_sink;

static inline void qb_sink_u64(uint64_t v) { qb_limits_sink += v; }
static inline void qb_sink_bytes(const void *p, size_t n) {
    uint64_t s = 0, t;
    for (size_t i = 0; i + 8 <= n; i += 8) { memcpy(&t, (const char *)p + i, 8); s ^= t + i; }
    qb_sink_u64(s);
}

#if defined(__x86_64__)
#include <immintrin.h>

/* ---------------------------------------------------------------- x86 peak loops */

#define QB_T(s) __attribute__((target(s)))
#define QB_AVX2 "avx2,fma,f16c"
#define QB_AVX512 "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq"

QB_T("sse2") static void peak_fp32_sse2(uint64_t iters, uint32_t seed) {
    const __m128 a = _mm_set1_ps(0.5f + (float)(seed & 7) * 1e-3f), b = _mm_set1_ps(1.0f + (float)seed * 1e-9f);
    __m128 c[8];
    for (int j = 0; j < 8; j++) c[j] = _mm_set1_ps((float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 8; j++) c[j] = _mm_add_ps(_mm_mul_ps(c[j], a), b);
    for (int j = 1; j < 8; j++) c[0] = _mm_add_ps(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

QB_T(QB_AVX2) static void peak_fp32_avx2(uint64_t iters, uint32_t seed) {
    const __m256 a = _mm256_set1_ps(0.5f + (float)(seed & 7) * 1e-3f), b = _mm256_set1_ps(1.0f + (float)seed * 1e-9f);
    __m256 c[12];
    for (int j = 0; j < 12; j++) c[j] = _mm256_set1_ps((float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 12; j++) c[j] = _mm256_fmadd_ps(c[j], a, b);
    for (int j = 1; j < 12; j++) c[0] = _mm256_add_ps(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

QB_T(QB_AVX512) static void peak_fp32_avx512(uint64_t iters, uint32_t seed) {
    const __m512 a = _mm512_set1_ps(0.5f + (float)(seed & 7) * 1e-3f), b = _mm512_set1_ps(1.0f + (float)seed * 1e-9f);
    __m512 c[16];
    for (int j = 0; j < 16; j++) c[j] = _mm512_set1_ps((float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = _mm512_fmadd_ps(c[j], a, b);
    for (int j = 1; j < 16; j++) c[0] = _mm512_add_ps(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

/* int8: u8 x s8 -> int32 dot products of 4 (the instruction the integer kernels use) */
QB_T(QB_AVX2) static void peak_int8_avx2(uint64_t iters, uint32_t seed) {
    __m256i a = _mm256_set1_epi8((char)(seed | 1));
    const __m256i ones = _mm256_set1_epi16(1), step = _mm256_set1_epi8(1);
    __m256i b[8], c[8];
    for (int j = 0; j < 8; j++) { b[j] = _mm256_set1_epi8((char)(j + 3)); c[j] = _mm256_setzero_si256(); }
    for (uint64_t i = 0; i < iters; i++) {
        a = _mm256_add_epi8(a, step);
        for (int j = 0; j < 8; j++)
            c[j] = _mm256_add_epi32(c[j], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b[j]), ones));
    }
    for (int j = 1; j < 8; j++) c[0] = _mm256_add_epi32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

QB_T(QB_AVX512) static void peak_int8_avx512(uint64_t iters, uint32_t seed) {
    __m512i a = _mm512_set1_epi8((char)(seed | 1));
    const __m512i ones = _mm512_set1_epi16(1), step = _mm512_set1_epi8(1);
    __m512i b[8], c[8];
    for (int j = 0; j < 8; j++) { b[j] = _mm512_set1_epi8((char)(j + 3)); c[j] = _mm512_setzero_si512(); }
    for (uint64_t i = 0; i < iters; i++) {
        a = _mm512_add_epi8(a, step);
        for (int j = 0; j < 8; j++)
            c[j] = _mm512_add_epi32(c[j], _mm512_madd_epi16(_mm512_maddubs_epi16(a, b[j]), ones));
    }
    for (int j = 1; j < 8; j++) c[0] = _mm512_add_epi32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

QB_T(QB_AVX2 ",avxvnni") static void peak_int8_avx_vnni(uint64_t iters, uint32_t seed) {
    const __m256i a = _mm256_set1_epi8((char)(seed | 1)), b = _mm256_set1_epi8((char)(seed >> 8 | 1));
    __m256i c[12];
    for (int j = 0; j < 12; j++) c[j] = _mm256_set1_epi32(j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 12; j++) c[j] = _mm256_dpbusd_avx_epi32(c[j], a, b);
    for (int j = 1; j < 12; j++) c[0] = _mm256_add_epi32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

QB_T(QB_AVX512 ",avx512vnni") static void peak_int8_avx512_vnni(uint64_t iters, uint32_t seed) {
    const __m512i a = _mm512_set1_epi8((char)(seed | 1)), b = _mm512_set1_epi8((char)(seed >> 8 | 1));
    __m512i c[16];
    for (int j = 0; j < 16; j++) c[j] = _mm512_set1_epi32(j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = _mm512_dpbusd_epi32(c[j], a, b);
    for (int j = 1; j < 16; j++) c[0] = _mm512_add_epi32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

QB_T(QB_AVX512 ",avx512bf16") static void peak_bf16_avx512_bf16(uint64_t iters, uint32_t seed) {
    const __m512bh a = (__m512bh)_mm512_set1_epi16((short)(0x3f00 | (seed & 0x7f)));
    const __m512bh b = (__m512bh)_mm512_set1_epi16((short)0x3c00); /* 2^-7: keeps the sums finite */
    __m512 c[16];
    for (int j = 0; j < 16; j++) c[j] = _mm512_set1_ps((float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = _mm512_dpbf16_ps(c[j], a, b);
    for (int j = 1; j < 16; j++) c[0] = _mm512_add_ps(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

QB_T(QB_AVX512 ",avx512fp16") static void peak_fp16_avx512_fp16(uint64_t iters, uint32_t seed) {
    const __m512h a = _mm512_set1_ph((_Float16)(0.5f + (float)(seed & 7) * 1e-3f));
    const __m512h b = _mm512_set1_ph((_Float16)1.0f);
    __m512h c[16];
    for (int j = 0; j < 16; j++) c[j] = _mm512_set1_ph((_Float16)(float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = _mm512_fmadd_ph(c[j], a, b);
    for (int j = 1; j < 16; j++) c[0] = _mm512_add_ph(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

/* AMX: four 16x16 int32 (or f32) accumulator tiles fed by two A and two B tiles that stay loaded. */
typedef struct __attribute__((packed)) {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} qb_tilecfg;

static void qb_amx_config(qb_tilecfg *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->palette = 1;
    for (int t = 0; t < 8; t++) { cfg->rows[t] = 16; cfg->colsb[t] = 64; }
}

QB_T("amx-tile,amx-int8") static void peak_int8_amx(uint64_t iters, uint32_t seed) {
    if (qb_hw_amx_request_permission() != 0) return;
    static __thread uint8_t buf[4][1024] __attribute__((aligned(64)));
    for (int t = 0; t < 4; t++) memset(buf[t], (int)((seed + (uint32_t)t) & 0x7f), 1024);
    qb_tilecfg cfg;
    qb_amx_config(&cfg);
    _tile_loadconfig(&cfg);
    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    _tile_loadd(4, buf[0], 64); _tile_loadd(5, buf[1], 64);
    _tile_loadd(6, buf[2], 64); _tile_loadd(7, buf[3], 64);
    for (uint64_t i = 0; i < iters; i++) {
        _tile_dpbssd(0, 4, 6); _tile_dpbssd(1, 4, 7); _tile_dpbssd(2, 5, 6); _tile_dpbssd(3, 5, 7);
    }
    _tile_stored(0, buf[0], 64); _tile_stored(3, buf[1], 64);
    _tile_release();
    qb_sink_bytes(buf[0], 2048);
}

QB_T("amx-tile,amx-bf16") static void peak_bf16_amx(uint64_t iters, uint32_t seed) {
    if (qb_hw_amx_request_permission() != 0) return;
    static __thread uint16_t buf[4][512] __attribute__((aligned(64)));
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < 512; i++) buf[t][i] = (uint16_t)(0x3c00 | ((seed + (uint32_t)i) & 0x7f));
    qb_tilecfg cfg;
    qb_amx_config(&cfg);
    _tile_loadconfig(&cfg);
    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    _tile_loadd(4, buf[0], 64); _tile_loadd(5, buf[1], 64);
    _tile_loadd(6, buf[2], 64); _tile_loadd(7, buf[3], 64);
    for (uint64_t i = 0; i < iters; i++) {
        _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, buf[0], 64); _tile_stored(3, buf[1], 64);
    _tile_release();
    qb_sink_bytes(buf[0], 2048);
}

static const qb_peak_kernel qb_peaks[] = {
    {"fp32_fma", "sse2", "sse2", "mulps+addps xmm", 8 * 4 * 2, peak_fp32_sse2},
    {"fp32_fma", "avx2", "avx2,fma,f16c", "vfmadd231ps ymm", 12 * 8 * 2, peak_fp32_avx2},
    {"fp32_fma", "avx512", "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq",
     "vfmadd231ps zmm", 16 * 16 * 2, peak_fp32_avx512},
    {"int8_dot", "avx2", "avx2,fma,f16c", "vpmaddubsw+vpmaddwd+vpaddd ymm", 8 * 32 * 2, peak_int8_avx2},
    {"int8_dot", "avx512", "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq",
     "vpmaddubsw+vpmaddwd+vpaddd zmm", 8 * 64 * 2, peak_int8_avx512},
    {"int8_dot", "avx_vnni", "avx2,fma,f16c,avx_vnni", "vpdpbusd ymm (VEX)", 12 * 32 * 2, peak_int8_avx_vnni},
    {"int8_dot", "avx512_vnni", "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512_vnni",
     "vpdpbusd zmm", 16 * 64 * 2, peak_int8_avx512_vnni},
    {"bf16_dot", "avx512_bf16", "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512_bf16",
     "vdpbf16ps zmm", 16 * 32 * 2, peak_bf16_avx512_bf16},
    {"fp16_fma", "avx512_fp16", "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512_fp16",
     "vfmadd231ph zmm", 16 * 32 * 2, peak_fp16_avx512_fp16},
    {"int8_dot", "amx", "amx_tile,amx_int8", "tdpbssd 16x16x64", 4.0 * 16 * 16 * 64 * 2, peak_int8_amx},
    {"bf16_dot", "amx", "amx_tile,amx_bf16", "tdpbf16ps 16x16x32", 4.0 * 16 * 16 * 32 * 2, peak_bf16_amx},
};

/* ---------------------------------------------------------------- x86 read loops */

QB_T("sse2") static uint64_t read_sse2(const void *buf, size_t bytes, size_t passes) {
    __m128i s[4] = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
    for (size_t p = 0; p < passes; p++)
        for (const char *q = (const char *)buf, *e = q + bytes; q < e; q += 256)
            for (int j = 0; j < 16; j++)
                s[j & 3] = _mm_add_epi64(s[j & 3], _mm_load_si128((const __m128i *)(q + 16 * j)));
    s[0] = _mm_add_epi64(_mm_add_epi64(s[0], s[1]), _mm_add_epi64(s[2], s[3]));
    uint64_t r[2];
    memcpy(r, &s[0], 16);
    qb_sink_u64(r[0] + r[1]);
    return r[0] + r[1];
}

QB_T(QB_AVX2) static uint64_t read_avx2(const void *buf, size_t bytes, size_t passes) {
    __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (size_t p = 0; p < passes; p++)
        for (const char *q = (const char *)buf, *e = q + bytes; q < e; q += 256)
            for (int j = 0; j < 8; j++)
                s[j & 3] = _mm256_add_epi64(s[j & 3], _mm256_load_si256((const __m256i *)(q + 32 * j)));
    s[0] = _mm256_add_epi64(_mm256_add_epi64(s[0], s[1]), _mm256_add_epi64(s[2], s[3]));
    uint64_t r[4];
    memcpy(r, &s[0], 32);
    qb_sink_u64(r[0] + r[1] + r[2] + r[3]);
    return r[0] + r[1] + r[2] + r[3];
}

QB_T(QB_AVX512) static uint64_t read_avx512(const void *buf, size_t bytes, size_t passes) {
    __m512i s[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
    for (size_t p = 0; p < passes; p++)
        for (const char *q = (const char *)buf, *e = q + bytes; q < e; q += 256)
            for (int j = 0; j < 4; j++) s[j] = _mm512_add_epi64(s[j], _mm512_load_si512((const void *)(q + 64 * j)));
    s[0] = _mm512_add_epi64(_mm512_add_epi64(s[0], s[1]), _mm512_add_epi64(s[2], s[3]));
    const uint64_t r = (uint64_t)_mm512_reduce_add_epi64(s[0]);
    qb_sink_u64(r);
    return r;
}

static const qb_read_kernel qb_reads[] = {
    {"sse2", "sse2", "movdqa xmm", read_sse2},
    {"avx2", "avx2,fma,f16c", "vmovdqa ymm", read_avx2},
    {"avx512", "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq", "vmovdqa64 zmm", read_avx512},
};

#elif defined(__aarch64__)
#include <arm_neon.h>

/* ---------------------------------------------------------------- aarch64 peak and read loops (NEON is baseline) */

static void peak_fp32_neon(uint64_t iters, uint32_t seed) {
    const float32x4_t a = vdupq_n_f32(0.5f + (float)(seed & 7) * 1e-3f), b = vdupq_n_f32(1.0f + (float)seed * 1e-9f);
    float32x4_t c[16];
    for (int j = 0; j < 16; j++) c[j] = vdupq_n_f32((float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = vfmaq_f32(b, c[j], a);
    for (int j = 1; j < 16; j++) c[0] = vaddq_f32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

__attribute__((target("dotprod"))) static void peak_int8_neon_dotprod(uint64_t iters, uint32_t seed) {
    const int8x16_t a = vdupq_n_s8((int8_t)(seed | 1)), b = vdupq_n_s8((int8_t)((seed >> 8) | 1));
    int32x4_t c[16];
    for (int j = 0; j < 16; j++) c[j] = vdupq_n_s32(j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = vdotq_s32(c[j], a, b);
    for (int j = 1; j < 16; j++) c[0] = vaddq_s32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

__attribute__((target("i8mm"))) static void peak_int8_neon_i8mm(uint64_t iters, uint32_t seed) {
    const int8x16_t a = vdupq_n_s8((int8_t)(seed | 1)), b = vdupq_n_s8((int8_t)((seed >> 8) | 1));
    int32x4_t c[16];
    for (int j = 0; j < 16; j++) c[j] = vdupq_n_s32(j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = vmmlaq_s32(c[j], a, b);
    for (int j = 1; j < 16; j++) c[0] = vaddq_s32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

__attribute__((target("bf16"))) static void peak_bf16_neon_bf16(uint64_t iters, uint32_t seed) {
    const bfloat16x8_t a = vreinterpretq_bf16_u16(vdupq_n_u16((uint16_t)(0x3f00 | (seed & 0x7f))));
    const bfloat16x8_t b = vreinterpretq_bf16_u16(vdupq_n_u16(0x3c00));
    float32x4_t c[16];
    for (int j = 0; j < 16; j++) c[j] = vdupq_n_f32((float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = vbfdotq_f32(c[j], a, b);
    for (int j = 1; j < 16; j++) c[0] = vaddq_f32(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

__attribute__((target("fullfp16"))) static void peak_fp16_neon_fp16(uint64_t iters, uint32_t seed) {
    const float16x8_t a = vdupq_n_f16((float16_t)(0.5f + (float)(seed & 7) * 1e-3f)), b = vdupq_n_f16((float16_t)1.0f);
    float16x8_t c[16];
    for (int j = 0; j < 16; j++) c[j] = vdupq_n_f16((float16_t)(float)j);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) c[j] = vfmaq_f16(b, c[j], a);
    for (int j = 1; j < 16; j++) c[0] = vaddq_f16(c[0], c[j]);
    qb_sink_bytes(&c[0], sizeof(c[0]));
}

static const qb_peak_kernel qb_peaks[] = {
    {"fp32_fma", "neon", "asimd", "fmla v.4s", 16 * 4 * 2, peak_fp32_neon},
    {"int8_dot", "neon_dotprod", "asimd,asimddp", "sdot v.4s", 16 * 16 * 2, peak_int8_neon_dotprod},
    {"int8_dot", "neon_i8mm", "asimd,i8mm", "smmla v.4s", 16 * 32 * 2, peak_int8_neon_i8mm},
    {"bf16_dot", "neon_bf16", "asimd,bf16", "bfdot v.4s", 16 * 8 * 2, peak_bf16_neon_bf16},
    {"fp16_fma", "neon_fp16", "asimd,fphp,asimdhp", "fmla v.8h", 16 * 8 * 2, peak_fp16_neon_fp16},
};

static uint64_t read_neon(const void *buf, size_t bytes, size_t passes) {
    uint64x2_t s[4] = {vdupq_n_u64(0), vdupq_n_u64(0), vdupq_n_u64(0), vdupq_n_u64(0)};
    for (size_t p = 0; p < passes; p++)
        for (const uint8_t *q = (const uint8_t *)buf, *e = q + bytes; q < e; q += 256)
            for (int j = 0; j < 16; j++) s[j & 3] = vaddq_u64(s[j & 3], vld1q_u64((const uint64_t *)(q + 16 * j)));
    s[0] = vaddq_u64(vaddq_u64(s[0], s[1]), vaddq_u64(s[2], s[3]));
    const uint64_t r = vgetq_lane_u64(s[0], 0) + vgetq_lane_u64(s[0], 1);
    qb_sink_u64(r);
    return r;
}

static const qb_read_kernel qb_reads[] = {
    {"neon", "asimd", "ldr q", read_neon},
};

#else

static uint64_t read_scalar(const void *buf, size_t bytes, size_t passes) {
    uint64_t s = 0, t;
    for (size_t p = 0; p < passes; p++)
        for (size_t i = 0; i < bytes; i += 8) { memcpy(&t, (const char *)buf + i, 8); s += t; }
    qb_sink_u64(s);
    return s;
}
static const qb_read_kernel qb_reads[] = {{"scalar", "", "64-bit loads", read_scalar}};
static const qb_peak_kernel qb_peaks[1];
#define QB_NO_PEAKS 1
#endif

const qb_peak_kernel *qb_peak_kernels(int *count) {
#if defined(QB_NO_PEAKS)
    *count = 0;
#else
    *count = (int)(sizeof(qb_peaks) / sizeof(qb_peaks[0]));
#endif
    return qb_peaks;
}

const qb_read_kernel *qb_read_kernels(int *count) {
    *count = (int)(sizeof(qb_reads) / sizeof(qb_reads[0]));
    return qb_reads;
}
