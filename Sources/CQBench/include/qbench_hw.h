// The one seam for raw hardware reads. Swift decodes what these return; tests replay captured values instead.
#ifndef QBENCH_HW_H
#define QBENCH_HW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Architecture this binary was built for: 1 = x86_64, 2 = aarch64, 0 = other.
int qb_hw_arch(void);

/// Executes CPUID(leaf, subleaf). Returns 1 and fills out[0..3] = eax, ebx, ecx, edx; 0 when not x86.
int qb_hw_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/// Reads XCR0 with xgetbv, only when CPUID reports OSXSAVE (xgetbv would fault otherwise).
/// Returns 1 on success, 0 when OSXSAVE is off or not x86.
int qb_hw_xgetbv0(uint64_t *out);

/// Asks Linux for permission to use AMX tile data (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)).
/// Returns 0 when granted, otherwise the errno (or -1 when the platform has no such call).
int qb_hw_amx_request_permission(void);

/// getauxval(type) on Linux. Returns 1 and sets *out, or 0 when unavailable.
int qb_hw_getauxval(unsigned long type, unsigned long *out);

/// SVE vector length in bytes from prctl(PR_SVE_GET_VL), or 0 when SVE is not available.
int qb_hw_sve_vector_length_bytes(void);

/// sysctlbyname(name) as a 64-bit integer on Darwin. Returns 1 on success, 0 otherwise.
int qb_hw_sysctl_int64(const char *name, int64_t *out);

/// sysctlbyname(name) as a NUL-terminated string on Darwin (e.g. machdep.cpu.brand_string).
/// Returns 1 on success (truncating to cap-1 bytes), 0 otherwise.
int qb_hw_sysctl_string(const char *name, char *buf, unsigned long cap);

/// Monotonic clock in nanoseconds (CLOCK_MONOTONIC_RAW where available).
uint64_t qb_hw_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif
