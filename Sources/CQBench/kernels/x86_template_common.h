// Shared by the x86 kernel templates: exported-name pasting, and switches that turn run-time tile sizes
// (the ragged edges of M and N) into calls with compile-time sizes, so every tile's arrays are registers.
#ifndef QBENCH_X86_TEMPLATE_COMMON_H
#define QBENCH_X86_TEMPLATE_COMMON_H

#define QB_PASTE_(a, b) a##b
#define QB_PASTE(a, b) QB_PASTE_(a, b)
#define QB_EXPORT(name) QB_PASTE(name, QB_VARIANT)

#define QV_HALVES (16 / QV_L)

/* CASE(mv, nr) for the run-time `mv` (1..MVMAX) and `nr` (2..NRMAX, at most 8). Sizes above the maximum are
   dead branches; they are instantiated with a clamped size so no array is ever indexed out of bounds. */
#define QB_K(k, MAX) ((MAX) >= (k) ? (k) : 1)
#define QB_SW_NR(CASE, mv, NRMAX)                                          \
    switch (nr) {                                                          \
    case 2: if ((NRMAX) >= 2) CASE(mv, QB_K(2, NRMAX)); break;             \
    case 3: if ((NRMAX) >= 3) CASE(mv, QB_K(3, NRMAX)); break;             \
    case 4: if ((NRMAX) >= 4) CASE(mv, QB_K(4, NRMAX)); break;             \
    case 5: if ((NRMAX) >= 5) CASE(mv, QB_K(5, NRMAX)); break;             \
    case 6: if ((NRMAX) >= 6) CASE(mv, QB_K(6, NRMAX)); break;             \
    case 7: if ((NRMAX) >= 7) CASE(mv, QB_K(7, NRMAX)); break;             \
    case 8: if ((NRMAX) >= 8) CASE(mv, QB_K(8, NRMAX)); break;             \
    case 9: if ((NRMAX) >= 9) CASE(mv, QB_K(9, NRMAX)); break;             \
    case 10: if ((NRMAX) >= 10) CASE(mv, QB_K(10, NRMAX)); break;          \
    case 11: if ((NRMAX) >= 11) CASE(mv, QB_K(11, NRMAX)); break;          \
    case 12: if ((NRMAX) >= 12) CASE(mv, QB_K(12, NRMAX)); break;          \
    default: break;                                                        \
    }
#define QB_SW_MV_NR(CASE, MVMAX, NRMAX)                                                           \
    switch (mv) {                                                                                 \
    case 1: QB_SW_NR(CASE, 1, NRMAX) break;                                                       \
    case 2: if ((MVMAX) >= 2) { QB_SW_NR(CASE, QB_K(2, MVMAX), NRMAX) } break;                    \
    case 3: if ((MVMAX) >= 3) { QB_SW_NR(CASE, QB_K(3, MVMAX), NRMAX) } break;                    \
    case 4: if ((MVMAX) >= 4) { QB_SW_NR(CASE, QB_K(4, MVMAX), NRMAX) } break;                    \
    default: break;                                                                               \
    }
#define QB_SW_MV1(CASE, MVMAX)                                                                    \
    switch (mv) {                                                                                 \
    case 1: CASE(1, 1); break;                                                                    \
    case 2: if ((MVMAX) >= 2) CASE(QB_K(2, MVMAX), 1); break;                                     \
    case 3: if ((MVMAX) >= 3) CASE(QB_K(3, MVMAX), 1); break;                                     \
    case 4: if ((MVMAX) >= 4) CASE(QB_K(4, MVMAX), 1); break;                                     \
    default: break;                                                                               \
    }

/* gemm drivers: the next row panel's chunk of weights, prefetched into L2 a slice per token tile while the current
   panel is computed, so the first tile that uses it does not wait on DRAM (measured on 2 threads at
   4096x14336x512: q8_0 gemm 700-740 -> 800-850 GOP/s; the hardware prefetcher alone leaves each panel's first
   tile stalled). Prefetches never fault, so a panel past the end costs nothing but the hint. */
#define QB_PF_MAXMV 8
typedef struct {
    const uint8_t *base[QB_PF_MAXMV];
    size_t lines;  /* 64-byte lines per unit */
    int mv;        /* units */
    size_t per;    /* lines per token tile */
    int unit;      /* cursor: next line to prefetch is line `line` of unit `unit` (no division in the tile loop) */
    size_t line;
} qb_panel_pf;

QB_INLINE void qb_panel_pf_init(qb_panel_pf *p, const uint8_t *const *bases, int mv, size_t bytes, int tiles) {
    p->mv = mv < QB_PF_MAXMV ? mv : QB_PF_MAXMV;
    mv = p->mv;
    for (int i = 0; i < mv; i++) p->base[i] = bases[i];
    p->lines = (bytes + 63) / 64;
    p->per = tiles > 0 ? (p->lines * (size_t)mv + (size_t)tiles - 1) / (size_t)tiles : 0;
    p->unit = 0;
    p->line = 0;
}

QB_INLINE void qb_panel_pf_step(qb_panel_pf *p) {
    for (size_t l = 0; l < p->per && p->unit < p->mv; l++) {
        _mm_prefetch((const char *)p->base[p->unit] + p->line * 64, _MM_HINT_T1);
        if (++p->line == p->lines) { p->line = 0; p->unit++; }
    }
}

#endif
