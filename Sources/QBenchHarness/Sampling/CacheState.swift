// Cache state of a measurement, and the rotating-buffer helper that makes "cold" measurements honest.
import QBenchSupport

/// Whether the operands were in cache when a sample was taken.
///
/// - `warm`: the same buffers are reused on every iteration after warm-up, so whatever fits in cache stays there.
/// - `cold`: every iteration uses a different copy of the operands from a pool whose total size is a multiple
///   of the last-level cache (see `ColdBufferRotation`), so each copy has been evicted by the time it comes round.
public enum CacheState: String, Codable, Sendable, CaseIterable {
    case cold, warm
}

/// Round-robin over copies of a working set so that each iteration starts with its operands out of cache.
///
/// How: with `copies` buffers of `workingSetBytes` each, between two uses of the same copy the benchmark touches
/// `(copies - 1) * workingSetBytes` other bytes. `copies` is chosen so that this is at least
/// `factor * lastLevelCacheBytes` (factor 2 by default, because LLC replacement is not strict LRU and inclusive /
/// non-inclusive hierarchies keep lines in L2 as well). The caller allocates `copies` independent copies of the
/// operands (weights and activations), initialises each one, then for every iteration calls `next()` and runs the
/// kernel on that copy. Give the LLC size of the whole package the threads run on (all L3 slices they share).
public struct ColdBufferRotation: Sendable, Equatable {
    public let workingSetBytes: Int
    public let lastLevelCacheBytes: Int
    public let factor: Int
    /// Number of copies to allocate (at least 2).
    public let copies: Int
    public private(set) var index: Int = 0

    /// Total bytes the copies take.
    public var totalBytes: Int { copies &* workingSetBytes }

    /// - Throws: `QBError.other` when a size is not positive, or when the pool would exceed `maxTotalBytes`.
    public init(workingSetBytes: Int, lastLevelCacheBytes: Int, factor: Int = 2,
                maxTotalBytes: Int = 4 << 30) throws {
        guard workingSetBytes > 0, lastLevelCacheBytes > 0, factor > 0 else {
            throw QBError.other("cold buffers: working set (\(workingSetBytes) B), LLC (\(lastLevelCacheBytes) B) and factor (\(factor)) must be positive")
        }
        let (target, overflow) = lastLevelCacheBytes.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw QBError.other("cold buffers: LLC size \(lastLevelCacheBytes) B is too large") }
        // (copies - 1) * ws >= target  =>  copies = ceil(target / ws) + 1
        let copies = max(2, (target + workingSetBytes - 1) / workingSetBytes + 1)
        let (total, totalOverflow) = copies.multipliedReportingOverflow(by: workingSetBytes)
        guard !totalOverflow, total <= maxTotalBytes else {
            throw QBError.other("cold buffers: \(copies) copies of \(workingSetBytes) B exceed the \(maxTotalBytes) B budget")
        }
        self.workingSetBytes = workingSetBytes; self.lastLevelCacheBytes = lastLevelCacheBytes
        self.factor = factor; self.copies = copies
    }

    /// The copy to use for the next iteration.
    public mutating func next() -> Int {
        let i = index
        index = (index + 1) % copies
        return i
    }
}

/// Copies of a benchmark's operands for cold measurements, handed out round-robin.
///
/// `make(i)` builds copy `i` (allocate and fill the weights and activations); build them all before sampling so
/// allocation is not timed. In the sampled body call `next()` and run the kernel on what it returns.
public struct ColdBuffers<Operands> {
    public private(set) var rotation: ColdBufferRotation
    public let copies: [Operands]

    /// - Throws: what `ColdBufferRotation.init` or `make` throws.
    public init(workingSetBytes: Int, lastLevelCacheBytes: Int, factor: Int = 2, maxTotalBytes: Int = 4 << 30,
                make: (Int) throws -> Operands) throws {
        rotation = try ColdBufferRotation(workingSetBytes: workingSetBytes, lastLevelCacheBytes: lastLevelCacheBytes,
                                          factor: factor, maxTotalBytes: maxTotalBytes)
        copies = try (0..<rotation.copies).map(make)
    }

    /// The operands for the next iteration.
    public mutating func next() -> Operands { copies[rotation.next()] }
}
