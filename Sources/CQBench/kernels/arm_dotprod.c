// AArch64 integer kernels on the dot-product extension (FEAT_DotProd: sdot), same tiling and epilogue
// as the baseline NEON ones (arm_int_template.h), so results are bit-identical to the scalar reference.
// Requires "asimd,asimddp" (Cortex-A76/Neoverse-N1 and later, Apple M1+).
#if defined(__aarch64__)
#include "arm_common.h"

QB_ARM_NO_CONTRACT

#define QB_V neon_dotprod
#define QB_VATTR QB_ARM_DOTPROD
#define QB_DOT16(c, a, b) vdotq_s32(c, a, b)
#include "arm_int_template.h"
#endif
