// The clock seam: every timing in the harness reads a `BenchClock`, so tests script time instead of sleeping.
import CQBench

/// A monotonic nanosecond clock.
public protocol BenchClock: Sendable {
    func nowNs() -> UInt64
}

/// CLOCK_MONOTONIC_RAW (Linux) / CLOCK_MONOTONIC through `qb_hw_now_ns` in CQBench.
public struct MonotonicClock: BenchClock {
    public init() {}
    public func nowNs() -> UInt64 { qb_hw_now_ns() }
}

/// What the clock can resolve, measured rather than assumed.
public struct ClockResolution: Codable, Sendable, Equatable {
    /// Smallest non-zero step seen between two consecutive reads.
    public var resolutionNs: UInt64
    /// Median cost of one read (time between two back-to-back reads, zeros included).
    public var readOverheadNs: UInt64

    public init(resolutionNs: UInt64, readOverheadNs: UInt64) {
        self.resolutionNs = resolutionNs; self.readOverheadNs = readOverheadNs
    }

    /// Measures the clock: `trials` times, spin until the reading changes and keep the smallest step.
    ///
    /// A clock that never changes within `spinLimit` reads is reported with resolution `UInt64.max`
    /// so every sample is then flagged as under the resolution rather than silently trusted.
    public static func measure(
        _ clock: any BenchClock = MonotonicClock(), trials: Int = 200,
        spinLimit: Int = 1_000_000
    ) -> ClockResolution {
        var best = UInt64.max
        var overheads: [UInt64] = []
        overheads.reserveCapacity(trials)
        for _ in 0..<max(trials, 1) {
            let a = clock.nowNs()
            let b = clock.nowNs()
            overheads.append(b &- a)
            var spins = 0
            var c = clock.nowNs()
            while c == b && spins < spinLimit { c = clock.nowNs(); spins += 1 }
            if c > b { best = min(best, c - b) }
        }
        overheads.sort()
        return ClockResolution(resolutionNs: best, readOverheadNs: overheads[overheads.count / 2])
    }
}
