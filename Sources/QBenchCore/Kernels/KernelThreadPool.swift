// A pool of persistent worker threads that split a kernel's output rows. Threads are created once, so a
// benchmark sample pays two semaphore hand-offs per thread, not thread creation.
import Foundation

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
/// Pinning: `placement` runs once on each worker thread as it starts (worker index as argument), and once on
/// the caller for worker 0 at the first job; `qbench run` passes ThreadPlacer's hwloc binding (one core each).
public final class KernelThreadPool: @unchecked Sendable {
    public let threadCount: Int
    /// NUMA node (OS index) of each worker's CPU when the placement pins it, else empty: where its rows of
    /// the weights should live (`WeightPlacement`).
    public let nodes: [Int?]
    private let placement: (@Sendable (Int) -> Void)?
    private let shared: Shared
    private let lock = NSLock()
    private var callerPlaced = false

    /// What workers see. They hold it strongly, so a pool released while they sleep leaves them a valid
    /// object to find `stopping` in.
    private final class Shared: @unchecked Sendable {
        let wake: [DispatchSemaphore]
        let done = DispatchSemaphore(value: 0)
        // Written by the caller before the wake-up signals, read by workers after their wait: the semaphores
        // order every access.
        var job: ((Int) -> Void)?
        var stopping = false
        init(workers: Int) { wake = (0..<workers).map { _ in DispatchSemaphore(value: 0) } }
    }

    public init(threads: Int, placement: (@Sendable (Int) -> Void)? = nil, nodes: [Int?] = []) {
        threadCount = max(1, threads)
        self.placement = placement
        self.nodes = nodes
        shared = Shared(workers: threadCount - 1)
        for i in 1..<threadCount {
            let s = shared, place = placement
            let t = Thread {
                place?(i)
                while true {
                    s.wake[i - 1].wait()
                    if s.stopping { return }
                    s.job?(i)
                    s.done.signal()
                }
            }
            t.name = "qbench-kernel-\(i)"
            t.stackSize = 8 << 20 // kernels keep tiles and side tables on the stack
            t.start()
        }
    }

    deinit {
        shared.stopping = true
        for s in shared.wake { s.signal() }
    }

    /// Runs `body(worker)` on every worker at once and returns when all finished. Calls are serialised.
    public func onEveryThread(_ body: (Int) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        if !callerPlaced { placement?(0); callerPlaced = true }
        withoutActuallyEscaping(body) { b in
            shared.job = b
            for s in shared.wake { s.signal() }
            b(0)
            for _ in shared.wake { shared.done.wait() }
            shared.job = nil
        }
    }

    /// Splits rows [0, rows) with `kernelRowRanges` and runs `body(m0, m1)` for each non-empty range.
    public func parallelRows(_ rows: Int, align: Int, _ body: (Int, Int) -> Void) {
        let ranges = kernelRowRanges(rows: rows, threads: threadCount, align: align)
        onEveryThread { w in
            let r = ranges[w]
            if !r.isEmpty { body(r.lowerBound, r.upperBound) }
        }
    }
}
