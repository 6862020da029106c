// AMX (Sapphire Rapids and later): int8 and bf16 tile kernels, the real-instruction build of amx_impl.h.
// Compiled into every x86_64 binary; dispatch runs them only where amx_tile/amx_int8/amx_bf16 are usable
// (CPU, XCR0 and the Linux permission request). Where that is not the case they are `unverified`:
// amx_emul.c runs the same tiling code over an emulated tile file so that logic is still tested.
#if defined(__x86_64__)
#include <immintrin.h>

#include "qb_protos.h"
#include "qbench_hw.h"

#pragma clang attribute push( \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,amx-tile,amx-int8,amx-bf16"))), \
    apply_to = function)

#define QB_AMX_SUFFIX(name) name##_amx
#define QB_AMX_PREPARE() qb_hw_amx_request_permission()
#define QB_TCFG(cfg) _tile_loadconfig(cfg)
#define QB_TZERO(t) _tile_zero(t)
#define QB_TLOAD(t, p, s) _tile_loadd(t, p, (long)(s))
#define QB_TSTORE(t, p, s) _tile_stored(t, p, (long)(s))
#define QB_TDPBSSD(c, a, b) _tile_dpbssd(c, a, b)
#define QB_TDPBF16PS(c, a, b) _tile_dpbf16ps(c, a, b)
#define QB_TRELEASE() _tile_release()

#include "amx_impl.h"

#pragma clang attribute pop
#endif
