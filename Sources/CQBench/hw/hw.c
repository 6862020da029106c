// Raw hardware reads, split by architecture inside this one file so Swift never needs #if for them.
#include "qbench_hw.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#if defined(__linux__)
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

int qb_hw_arch(void) {
#if defined(__x86_64__)
    return 1;
#elif defined(__aarch64__)
    return 2;
#else
    return 0;
#endif
}

int qb_hw_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
#if defined(__x86_64__)
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
    out[0] = a; out[1] = b; out[2] = c; out[3] = d;
    return 1;
#else
    (void)leaf; (void)subleaf;
    out[0] = out[1] = out[2] = out[3] = 0;
    return 0;
#endif
}

int qb_hw_xgetbv0(uint64_t *out) {
#if defined(__x86_64__)
    uint32_t r[4];
    qb_hw_cpuid(1, 0, r);
    if (!(r[2] & (1u << 27))) return 0; /* OSXSAVE off: xgetbv would raise #UD */
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    *out = ((uint64_t)hi << 32) | lo;
    return 1;
#else
    (void)out;
    return 0;
#endif
}

int qb_hw_amx_request_permission(void) {
#if defined(__x86_64__) && defined(__linux__)
    /* ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 (arch/x86/include/uapi/asm/prctl.h) */
    long rc = syscall(SYS_arch_prctl, 0x1023, 18);
    return rc == 0 ? 0 : errno;
#else
    return -1;
#endif
}

int qb_hw_getauxval(unsigned long type, unsigned long *out) {
#if defined(__linux__)
    errno = 0;
    unsigned long v = getauxval(type);
    if (v == 0 && errno == ENOENT) return 0;
    *out = v;
    return 1;
#else
    (void)type; (void)out;
    return 0;
#endif
}

int qb_hw_sve_vector_length_bytes(void) {
#if defined(__aarch64__) && defined(__linux__)
#ifndef PR_SVE_GET_VL
#define PR_SVE_GET_VL 51
#endif
    int rc = prctl(PR_SVE_GET_VL);
    if (rc < 0) return 0;
    return rc & 0xffff; /* PR_SVE_VL_LEN_MASK */
#else
    return 0;
#endif
}

int qb_hw_sysctl_int64(const char *name, int64_t *out) {
#if defined(__APPLE__)
    int64_t v = 0;
    size_t len = sizeof(v);
    if (sysctlbyname(name, &v, &len, NULL, 0) != 0) return 0;
    if (len == sizeof(int32_t)) { int32_t v32; memcpy(&v32, &v, 4); v = v32; }
    *out = v;
    return 1;
#else
    (void)name; (void)out;
    return 0;
#endif
}

int qb_hw_sysctl_string(const char *name, char *buf, unsigned long cap) {
    if (cap == 0) return 0;
#if defined(__APPLE__)
    size_t len = (size_t)cap;
    if (sysctlbyname(name, buf, &len, NULL, 0) != 0) { buf[0] = 0; return 0; }
    if (len >= cap) len = cap - 1; /* the value may arrive without a terminator when it fills the buffer */
    buf[len] = 0;
    return 1;
#else
    (void)name;
    buf[0] = 0;
    return 0;
#endif
}

uint64_t qb_hw_now_ns(void) {
    struct timespec ts;
#if defined(CLOCK_MONOTONIC_RAW)
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
