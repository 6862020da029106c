// Crash isolation for kernel variants: before a variant is trusted it runs once in a forked child, so an
// illegal instruction (a VM that hides AVX-512 state, a wrong feature table), a wild pointer or a hang
// kills only the child. Inputs are allocated and filled in the parent before fork(); the child computes
// and leaves with _exit(0), calling nothing that could take a lock another thread held at fork time.
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qb_ref.h"
#include "qbench_kernels.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#define QB_HAVE_FORK 1
#endif


static double qb_ms_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/// Small finite values everywhere: fp16/bf16 words 0x3c00-ish, int8 in -64..63, scales 1/64.
static void qb_fill(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)((seed >> 24) & 0x3f);
    }
}

int qb_canary_run(const qb_kernel_entry *e, int group, size_t w_stride, size_t x_stride, int timeout_ms,
                  qb_canary_result *out) {
    memset(out, 0, sizeof(*out));
    out->outcome = QB_CANARY_NOT_RUN;
#if !defined(QB_HAVE_FORK)
    (void)e; (void)group; (void)w_stride; (void)x_stride; (void)timeout_ms;
    out->error = ENOSYS;
    return out->outcome;
#else
    const int M = QB_CANARY_M, K = QB_CANARY_K, N = strcmp(e->op, "gemm") == 0 ? 3 : 1;
    const int G = group > 0 ? group : 32, ng = K / G;
    qb_mat_args a;
    memset(&a, 0, sizeof(a));
    a.M = M; a.K = K; a.N = N; a.group = group; a.ldy = (size_t)M;
    a.w_stride = w_stride;
    a.x_stride = x_stride;
    uint8_t *w = (uint8_t *)malloc(a.w_stride * M + 64);
    uint8_t *x = (uint8_t *)malloc(a.x_stride * N + 64 + (size_t)K * 4);
    float *ws = (float *)malloc(sizeof(float) * (size_t)M * (size_t)ng);
    uint8_t *wz = (uint8_t *)malloc((size_t)M * (size_t)ng);
    float *xs = (float *)malloc(sizeof(float) * (size_t)N);
    int32_t *xsum = (int32_t *)malloc(sizeof(int32_t) * (size_t)N * (size_t)ng);
    float *y = (float *)malloc(sizeof(float) * (size_t)M * (size_t)N);
    float *xq = (float *)malloc(sizeof(float) * (size_t)K);
    void *rw = NULL;
    int ok = w && x && ws && wz && xs && xsum && y && xq;
    if (ok) {
        qb_fill(w, a.w_stride * M + 64, 1);
        qb_fill(x, a.x_stride * N + 64, 2);
        for (int i = 0; i < M * ng; i++) { ws[i] = 1.0f / 64; wz[i] = 8; }
        for (int n = 0; n < N; n++) xs[n] = 1.0f / 64;
        memset(xsum, 0, sizeof(int32_t) * (size_t)N * (size_t)ng);
        for (int k = 0; k < K; k++) xq[k] = (float)(k % 7) - 3.0f;
        a.w = w; a.w_scales = ws; a.w_zeros = wz; a.x = x; a.x_scales = xs; a.x_sums = xsum; a.y = y;
        if (e->repack_fn && e->repack_size) {
            const size_t sz = e->repack_size(M, K, group);
            if (sz == 0 || posix_memalign(&rw, 64, sz) != 0) ok = 0;
            else { e->repack_fn(&a, rw); a.w = rw; }
        }
    }
    if (!ok) {
        out->error = ENOMEM;
    } else {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        const pid_t pid = fork();
        if (pid < 0) {
            out->error = errno;
        } else if (pid == 0) {
            /* The parent's crash handlers (the Swift runtime's backtracer, XCTest's) must not run here: they
               can turn a fault into a clean exit. Default dispositions make the child die by the signal. */
            static const int crash_signals[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
            sigset_t unblock;
            sigemptyset(&unblock);
            for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
                signal(crash_signals[i], SIG_DFL);
                sigaddset(&unblock, crash_signals[i]);
            }
            sigprocmask(SIG_UNBLOCK, &unblock, NULL);
            const struct rlimit no_core = {0, 0}; /* an expected crash should not leave a core file */
            setrlimit(RLIMIT_CORE, &no_core);
            if (e->mat) e->mat(&a, 0, M);
            if (e->quant) e->quant(xq, x, xs, xsum, group, K);
            _exit(0);
        } else {
            int status = 0;
            for (;;) {
                const pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid) break;
                if (r < 0 && errno != EINTR) { out->error = errno; break; }
                if (qb_ms_since(&t0) > (double)timeout_ms) {
                    kill(pid, SIGKILL);
                    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
                    out->outcome = QB_CANARY_TIMEOUT;
                    break;
                }
                const struct timespec nap = {0, 1000000};
                nanosleep(&nap, NULL);
            }
            out->elapsed_ms = qb_ms_since(&t0);
            if (out->outcome != QB_CANARY_TIMEOUT && out->error == 0) {
                if (WIFSIGNALED(status)) { out->outcome = QB_CANARY_SIGNALED; out->signal = WTERMSIG(status); }
                else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                    out->outcome = QB_CANARY_EXITED;
                    out->exit_code = WEXITSTATUS(status);
                }
                else out->outcome = QB_CANARY_OK;
            }
        }
    }
    free(w); free(x); free(ws); free(wz); free(xs); free(xsum); free(y); free(xq); free(rw);
    return out->outcome;
#endif
}

void qb_canary_test_spin(const qb_mat_args *a, int m0, int m1) {
    (void)a; (void)m0; (void)m1;
    volatile int forever = 1;
    while (forever) {}
}

void qb_canary_test_segv(const qb_mat_args *a, int m0, int m1) {
    (void)a; (void)m0; (void)m1;
    raise(SIGSEGV);
}

void qb_canary_test_zero(const qb_mat_args *a, int m0, int m1) {
    for (int n = 0; n < a->N; n++)
        for (int m = m0; m < m1; m++) a->y[(size_t)n * a->ldy + m] = 0.0f;
}

void qb_canary_test_sigill(const qb_mat_args *a, int m0, int m1) {
    (void)a; (void)m0; (void)m1;
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("ud2");
#elif defined(__aarch64__)
    __asm__ volatile("udf #0");
#else
    raise(SIGILL);
#endif
}
