// A pool of persistent worker threads that split a kernel's output rows. Threads are created once, and hand
// jobs over by spinning first (qbench_sync.h), so a benchmark sample pays neither thread creation nor, between
// back-to-back calls, a kernel wake-up.
import CQBench
import Foundation
import QBenchFormats

/// Contiguous row ranges for `threads` workers: the same size except the last, each starting on a multiple of
/// `align` (a variant's register tile), so no tile straddles two threads. Workers beyond the rows get empty ranges.
public func kernelRowRanges(rows: Int, threads: Int, align: Int) -> [Range<Int>] {
    let t = max(1, threads), a = max(1, align), r = max(0, rows)
    let tiles = (r + a - 1) / a
    let perThread = (tiles + t - 1) / t
    return (0..<t).map { i in
        let lo = min(r, i * perThread * a), hi = min(r, (i + 1) * perThread * a)
        return lo..<hi
    }
}

/// Persistent workers; the calling thread is worker 0, so `threads` = 1 runs inline.
///
/// Hand-off (`qbench_sync.h`): after a job each worker spins on a generation counter for up to `spinMicros`
/// before it sleeps, and the caller spins the same way while it waits for the workers, so back-to-back benchmark
/// calls do not pay a kernel wake-up each (about 100 us per call here with semaphores: 7% of a 1.4 ms gemv).
/// Spinning workers keep their cores busy for at most `spinMicros` after the last call.
///
/// Pinning: `placement` runs once on each worker thread as it starts (worker index as argument), and once on
/// the caller for worker 0 at the first job; `qbench run` passes ThreadPlacer's hwloc binding (one core each).
public final class KernelThreadPool: @unchecked Sendable {
    public let threadCount: Int
    /// NUMA node (OS index) of each worker's CPU when the placement pins it, else empty: where its rows of
    /// the weights should live (`WeightPlacement`).
    public let nodes: [Int?]
    /// How long a worker (or the waiting caller) spins before it sleeps, in microseconds.
    public let spinMicros: Int
    /// The longest idle spin accepted (1 s); larger values are clamped.
    public static let maxSpinMicros = 1_000_000
    private let placement: (@Sendable (Int) -> Void)?
    private let shared: Shared
    private let lock = NSLock()
    private var callerPlaced = false

    /// What workers see. They hold it strongly, so a pool released while they sleep leaves them a valid
    /// object to find `stopping` in; the hand-off is freed when the last of them lets go.
    private final class Shared: @unchecked Sendable {
        let sync: OpaquePointer
        // Written by the caller before `qb_sync_publish`, read by workers after `qb_sync_wait_job` returns the
        // new generation: the hand-off's sequentially consistent atomics order every access.
        var job: ((Int) -> Void)?
        var stopping = false
        init(workers: Int) {
            guard let s = qb_sync_create(Int32(workers)) else {
                fatalError("qbench: out of memory creating a thread pool")
            }
            sync = s
        }
        deinit { qb_sync_destroy(sync) }
    }

    public init(threads: Int, placement: (@Sendable (Int) -> Void)? = nil, nodes: [Int?] = [], spinMicros: Int = 1_000)
    {
        threadCount = max(1, threads)
        self.placement = placement
        self.nodes = nodes
        // At most a second: the spin is a latency trade, and UInt64(spinMicros) * 1_000 must not overflow.
        self.spinMicros = min(max(0, spinMicros), KernelThreadPool.maxSpinMicros)
        shared = Shared(workers: threadCount - 1)
        let spinNs = UInt64(self.spinMicros) * 1_000
        for i in 1..<threadCount {
            let s = shared, place = placement
            let t = Thread {
                place?(i)
                var seen: UInt64 = 0
                while true {
                    seen = qb_sync_wait_job(s.sync, seen, spinNs)
                    if s.stopping { return }
                    s.job?(i)
                    qb_sync_done(s.sync)
                }
            }
            t.name = "qbench-kernel-\(i)"
            t.stackSize = 8 << 20  // kernels keep tiles and side tables on the stack
            t.start()
        }
    }

    deinit {
        shared.stopping = true
        if threadCount > 1 { qb_sync_publish(shared.sync) }
    }

    /// Runs `body(worker)` on every worker at once and returns when all finished. Calls are serialised.
    public func onEveryThread(_ body: (Int) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        if !callerPlaced { placement?(0); callerPlaced = true }
        withoutActuallyEscaping(body) { b in
            shared.job = b
            if threadCount > 1 { qb_sync_publish(shared.sync) }
            b(0)
            if threadCount > 1 { qb_sync_wait_done(shared.sync, UInt64(spinMicros) * 1_000) }
            shared.job = nil
        }
    }

    /// Splits rows [0, rows) with `kernelRowRanges` and runs `body(m0, m1)` for each non-empty range.
    public func parallelRows(_ rows: Int, align: Int, _ body: (Int, Int) -> Void) {
        parallel(over: kernelRowRanges(rows: rows, threads: threadCount, align: align), body)
    }

    /// Runs `body(m0, m1)` on worker i for `ranges[i]` when non-empty: for callers that also placed memory by
    /// the same ranges (KernelBench), so placement and execution use one split, not two computed alike.
    public func parallel(over ranges: [Range<Int>], _ body: (Int, Int) -> Void) {
        precondition(ranges.count == threadCount, "one row range per worker")
        onEveryThread { w in
            let r = ranges[w]
            if !r.isEmpty { body(r.lowerBound, r.upperBound) }
        }
    }
}
