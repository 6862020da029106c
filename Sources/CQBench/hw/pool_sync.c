// Spin-then-sleep hand-off for the kernel thread pool (include/qbench_sync.h).
//
// Lost wake-ups: a thread about to sleep increments `*_sleepers` and re-checks the condition under the mutex;
// the other side changes the condition (seq_cst) and then reads the sleeper count, locking the mutex and
// broadcasting when it is non-zero. In the single total order of seq_cst operations either the sleeper sees the
// new condition or the waker sees the sleeper, and the mutex keeps the broadcast from landing between the
// sleeper's check and its wait.
#include "qbench_sync.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "qbench_hw.h" /* qb_hw_now_ns */

struct qb_pool_sync {
    _Atomic uint64_t gen;
    _Atomic int pending;
    _Atomic int job_sleepers;
    _Atomic int done_sleepers;
    int workers;
    pthread_mutex_t mu;
    pthread_cond_t job_cv;
    pthread_cond_t done_cv;
};

static inline void qb_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

qb_pool_sync *qb_sync_create(int workers) {
    qb_pool_sync *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->workers = workers < 0 ? 0 : workers;
    atomic_init(&s->gen, 0);
    atomic_init(&s->pending, 0);
    atomic_init(&s->job_sleepers, 0);
    atomic_init(&s->done_sleepers, 0);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->job_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    return s;
}

void qb_sync_destroy(qb_pool_sync *s) {
    if (!s) return;
    pthread_cond_destroy(&s->job_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

uint64_t qb_sync_generation(qb_pool_sync *s) { return atomic_load(&s->gen); }

void qb_sync_publish(qb_pool_sync *s) {
    atomic_store(&s->pending, s->workers);
    atomic_fetch_add(&s->gen, 1);
    if (atomic_load(&s->job_sleepers) > 0) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(&s->job_cv);
        pthread_mutex_unlock(&s->mu);
    }
}

uint64_t qb_sync_wait_job(qb_pool_sync *s, uint64_t seen, uint64_t spin_ns) {
    uint64_t g = atomic_load(&s->gen);
    if (g != seen) return g;
    if (spin_ns > 0) {
        const uint64_t t0 = qb_hw_now_ns();
        for (unsigned i = 1;; i++) {
            qb_cpu_relax();
            if ((g = atomic_load(&s->gen)) != seen) return g;
            if ((i & 63) == 0 && qb_hw_now_ns() - t0 >= spin_ns) break;
        }
    }
    pthread_mutex_lock(&s->mu);
    atomic_fetch_add(&s->job_sleepers, 1);
    while ((g = atomic_load(&s->gen)) == seen) pthread_cond_wait(&s->job_cv, &s->mu);
    atomic_fetch_sub(&s->job_sleepers, 1);
    pthread_mutex_unlock(&s->mu);
    return g;
}

void qb_sync_done(qb_pool_sync *s) {
    if (atomic_fetch_sub(&s->pending, 1) == 1 && atomic_load(&s->done_sleepers) > 0) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(&s->done_cv);
        pthread_mutex_unlock(&s->mu);
    }
}

void qb_sync_wait_done(qb_pool_sync *s, uint64_t spin_ns) {
    if (atomic_load(&s->pending) == 0) return;
    if (spin_ns > 0) {
        const uint64_t t0 = qb_hw_now_ns();
        for (unsigned i = 1;; i++) {
            qb_cpu_relax();
            if (atomic_load(&s->pending) == 0) return;
            if ((i & 63) == 0 && qb_hw_now_ns() - t0 >= spin_ns) break;
        }
    }
    pthread_mutex_lock(&s->mu);
    atomic_fetch_add(&s->done_sleepers, 1);
    while (atomic_load(&s->pending) != 0) pthread_cond_wait(&s->done_cv, &s->mu);
    atomic_fetch_sub(&s->done_sleepers, 1);
    pthread_mutex_unlock(&s->mu);
}
