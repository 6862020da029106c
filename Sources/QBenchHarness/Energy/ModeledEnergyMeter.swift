// The modeled proxy used when no counter is readable: process CPU time x watts per thread.
// It ignores idle, uncore and DRAM power and frequency; it is an order-of-magnitude figure and is always
// reported with source `modeled` and its basis (TDP table entry, --tdp, or the 4 W default).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Vendor TDP / processor base power and core count of a known CPU.
public struct TDPEntry: Sendable, Equatable {
    /// Lowercase tokens that must appear consecutively in the normalised model string, e.g. ["epyc", "9654"].
    public var tokens: [String]
    public var watts: Double
    public var cores: Int
    public var label: String
    public var wattsPerCore: Double { watts / Double(max(cores, 1)) }
}

/// A small table of CPUs the suite has fixtures for. Figures are the vendors' listed TDP (Intel: "processor base
/// power" for 12th gen and later) and core counts as the author knows them from AMD's and Intel's product pages;
/// they were not re-fetched when this table was written. Approximate by nature: real power depends on load,
/// frequency and the platform's power limits.
public enum TDPTable {
    public static let entries: [TDPEntry] = [
        TDPEntry(tokens: ["epyc", "9654"], watts: 360, cores: 96, label: "AMD EPYC 9654"),
        TDPEntry(tokens: ["epyc", "7763"], watts: 280, cores: 64, label: "AMD EPYC 7763"),
        TDPEntry(tokens: ["epyc", "7451"], watts: 180, cores: 24, label: "AMD EPYC 7451"),
        TDPEntry(tokens: ["max", "9460"], watts: 350, cores: 40, label: "Intel Xeon CPU Max 9460"),
        TDPEntry(tokens: ["gold", "6230"], watts: 125, cores: 20, label: "Intel Xeon Gold 6230"),
        TDPEntry(tokens: ["gold", "6140"], watts: 140, cores: 18, label: "Intel Xeon Gold 6140"),
        TDPEntry(tokens: ["e5-2680", "v3"], watts: 120, cores: 12, label: "Intel Xeon E5-2680 v3"),
        TDPEntry(tokens: ["e5-2650"], watts: 95, cores: 8, label: "Intel Xeon E5-2650"),
        TDPEntry(tokens: ["x5650"], watts: 95, cores: 6, label: "Intel Xeon X5650"),
        TDPEntry(tokens: ["phi", "cpu", "7210"], watts: 215, cores: 64, label: "Intel Xeon Phi 7210"),
        TDPEntry(tokens: ["i7-1370p"], watts: 28, cores: 14, label: "Intel Core i7-1370P"),
    ]

    /// Watts per thread when nothing is known about the CPU.
    public static let defaultWattsPerThread = 4.0

    /// Lowercase, "(R)"/"(TM)" removed, split on spaces.
    static func tokens(_ model: String) -> [String] {
        model.lowercased().replacingOccurrences(of: "(r)", with: " ").replacingOccurrences(of: "(tm)", with: " ")
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// The entry whose tokens appear consecutively in the model string and are not followed by a different
    /// version token ("e5-2650" must not match "E5-2650 v3", which is another chip).
    public static func lookup(cpuModel: String) -> TDPEntry? {
        let t = tokens(cpuModel)
        for e in entries where e.tokens.count <= t.count {
            for start in 0...(t.count - e.tokens.count) where Array(t[start..<start + e.tokens.count]) == e.tokens {
                let next = start + e.tokens.count < t.count ? t[start + e.tokens.count] : ""
                let isVersion = next.count >= 2 && next.first == "v" && next.dropFirst().allSatisfy(\.isNumber)
                if !isVersion { return e }
            }
        }
        return nil
    }
}

/// CPU time of this process (all threads) x watts per thread.
public struct ModeledEnergyMeter: EnergyMeter {
    public let wattsPerThread: Double
    /// How `wattsPerThread` was chosen, e.g. "TDP table: AMD EPYC 9654 360 W / 96 cores (approximate)".
    public let basis: String
    public let cpuTimeNs: @Sendable () -> UInt64
    public let clock: any BenchClock
    public var source: EnergySource { .modeled }
    public var detail: String {
        "modeled: process CPU time x \(String(format2: wattsPerThread)) W per thread (\(basis))"
    }

    public init(
        wattsPerThread: Double, basis: String, cpuTimeNs: @escaping @Sendable () -> UInt64 = processCPUTimeNs,
        clock: any BenchClock = MonotonicClock()
    ) {
        self.wattsPerThread = wattsPerThread; self.basis = basis; self.cpuTimeNs = cpuTimeNs; self.clock = clock
    }

    /// Picks the watts per thread: `--tdp` over `cores`, else the TDP table, else 4 W.
    public static func make(
        cpuModel: String, cores: Int, tdpOverrideWatts: Double?,
        cpuTimeNs: @escaping @Sendable () -> UInt64 = processCPUTimeNs,
        clock: any BenchClock = MonotonicClock()
    ) -> ModeledEnergyMeter {
        if let tdp = tdpOverrideWatts, tdp > 0, tdp.isFinite {
            let c = max(cores, 1)
            return ModeledEnergyMeter(
                wattsPerThread: tdp / Double(c),
                basis: "--tdp \(String(format2: tdp)) W / \(c) cores", cpuTimeNs: cpuTimeNs, clock: clock)
        }
        if let e = TDPTable.lookup(cpuModel: cpuModel) {
            return ModeledEnergyMeter(
                wattsPerThread: e.wattsPerCore,
                basis: "TDP table: \(e.label) \(Int(e.watts)) W / \(e.cores) cores (approximate)",
                cpuTimeNs: cpuTimeNs, clock: clock)
        }
        return ModeledEnergyMeter(
            wattsPerThread: TDPTable.defaultWattsPerThread,
            basis:
                "CPU \"\(cpuModel)\" not in the TDP table: "
                + "default \(Int(TDPTable.defaultWattsPerThread)) W per thread (approximate)",
            cpuTimeNs: cpuTimeNs, clock: clock)
    }

    public func read() throws -> EnergyReading {
        EnergyReading(wallNs: clock.nowNs(), values: [Double(cpuTimeNs())])
    }

    public func joules(from start: EnergyReading, to end: EnergyReading) -> Double {
        guard let a = start.values.first, let b = end.values.first else { return 0 }
        return max(b - a, 0) / 1e9 * wattsPerThread
    }
}

/// CLOCK_PROCESS_CPUTIME_ID: CPU time of every thread of this process.
@Sendable public func processCPUTimeNs() -> UInt64 {
    var ts = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 else { return 0 }
    return UInt64(max(ts.tv_sec, 0)) &* 1_000_000_000 &+ UInt64(max(ts.tv_nsec, 0))
}
