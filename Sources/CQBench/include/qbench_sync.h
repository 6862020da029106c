// Hand-off between a kernel thread pool's caller and its workers: spin first, then sleep.
//
// Why: a benchmark call of a decode gemv lasts about a millisecond, and waking a worker that sleeps in the
// kernel costs tens of microseconds (measured here, a KVM guest: about 100 us for a wake-up and done round trip
// through semaphores). Workers therefore spin on a generation counter for a while after each job (as OpenMP's
// active wait and ggml's thread pool do) and only then block on a condition variable; the caller does the same
// while it waits for the workers to finish. Correctness does not depend on the spin: a sleeper is always woken.
#ifndef QBENCH_SYNC_H
#define QBENCH_SYNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qb_pool_sync qb_pool_sync;

/// A hand-off for `workers` workers (not counting the caller); NULL when out of memory.
qb_pool_sync *qb_sync_create(int workers);
void qb_sync_destroy(qb_pool_sync *s);

/// Caller: publish a new job to every worker (they see generation + 1) and wake those asleep.
void qb_sync_publish(qb_pool_sync *s);
/// Worker: wait until the generation differs from `seen` (spinning up to `spin_ns`, then sleeping); returns it.
uint64_t qb_sync_wait_job(qb_pool_sync *s, uint64_t seen, uint64_t spin_ns);
/// Worker: this job is finished.
void qb_sync_done(qb_pool_sync *s);
/// Caller: wait until every worker called qb_sync_done for the last published job (spin, then sleep).
void qb_sync_wait_done(qb_pool_sync *s, uint64_t spin_ns);
/// Current generation (0 before the first publish).
uint64_t qb_sync_generation(qb_pool_sync *s);

#ifdef __cplusplus
}
#endif
#endif
