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

#endif
