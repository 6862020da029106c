// The energy meter contract, the figures attached to results, and the reason type for unavailable sources.

/// Where an energy figure came from. Reports always carry it; `modeled` is an estimate, not a measurement.
public enum EnergySource: String, Codable, Sendable, CaseIterable {
    case rapl, perf, hwmon, battery, powermetrics, modeled
}

/// One read of a meter's counters (or of its instantaneous power inputs), with the wall time it was taken at.
public struct EnergyReading: Sendable, Equatable {
    public var wallNs: UInt64
    /// Meter-specific values: microjoule counters (RAPL, hwmon energy), raw perf counts, microwatts
    /// (battery, hwmon power), CPU nanoseconds (modeled).
    public var values: [Double]
    public init(wallNs: UInt64, values: [Double]) { self.wallNs = wallNs; self.values = values }
}

/// A meter: read counters before and after the work, then convert the difference to joules.
public protocol EnergyMeter: Sendable {
    var source: EnergySource { get }
    /// What is measured and how, e.g. "intel-rapl:0 package-0 + intel-rapl:0:0 dram".
    var detail: String { get }
    /// Reads the counters now.
    /// - Throws: `SysfsError` (or a perf error) when a counter that was readable at selection time is not.
    func read() throws -> EnergyReading
    /// Joules spent between two readings (counter wrap handled where the source can wrap).
    func joules(from start: EnergyReading, to end: EnergyReading) -> Double
}

extension EnergyMeter {
    /// Measures `body`: joules, seconds and average watts.
    public func measure(calls: Int = 1, _ body: () throws -> Void) throws -> EnergyMeasurement {
        let a = try read()
        try body()
        let b = try read()
        return measurement(from: a, to: b, calls: calls)
    }

    /// The measurement between two readings covering `calls` invocations of the code under test.
    public func measurement(from a: EnergyReading, to b: EnergyReading, calls: Int) -> EnergyMeasurement {
        EnergyMeasurement(
            source: source, joules: joules(from: a, to: b),
            seconds: Double(b.wallNs &- a.wallNs) / 1e9, calls: max(calls, 1))
    }
}

/// Energy over an interval that covered `calls` invocations.
public struct EnergyMeasurement: Codable, Sendable, Equatable {
    public var source: EnergySource
    public var joules: Double
    public var seconds: Double
    public var calls: Int
    public init(source: EnergySource, joules: Double, seconds: Double, calls: Int) {
        self.source = source; self.joules = joules; self.seconds = seconds; self.calls = calls
    }
    /// Average power over the interval (0 when the interval is empty).
    public var watts: Double { seconds > 0 ? joules / seconds : 0 }

    /// Two intervals of the same meter taken as one (a result measured in rounds).
    public func adding(_ other: EnergyMeasurement) -> EnergyMeasurement {
        EnergyMeasurement(
            source: source, joules: joules + other.joules, seconds: seconds + other.seconds,
            calls: calls + other.calls)
    }
}

/// The energy block of a result row: per call of the kernel.
public struct ResultEnergy: Codable, Sendable, Equatable {
    public var source: EnergySource
    /// Joules per call.
    public var joules: Double
    /// Average power while measuring.
    public var watts: Double
    /// Joules per 10^9 bytes of weights and activations moved by one call.
    public var joulesPerGb: Double?
    /// Joules per 10^9 operations (multiply and add counted separately) of one call.
    public var joulesPerGop: Double?

    public init(source: EnergySource, joules: Double, watts: Double, joulesPerGb: Double?, joulesPerGop: Double?) {
        self.source = source; self.joules = joules; self.watts = watts
        self.joulesPerGb = joulesPerGb; self.joulesPerGop = joulesPerGop
    }

    /// Per-call figures from a measurement over many calls (pure).
    public static func make(_ m: EnergyMeasurement, bytesPerCall: Double, opsPerCall: Double) -> ResultEnergy {
        let perCall = m.joules / Double(max(m.calls, 1))
        return ResultEnergy(
            source: m.source, joules: perCall, watts: m.watts,
            joulesPerGb: bytesPerCall > 0 ? perCall / (bytesPerCall / 1e9) : nil,
            joulesPerGop: opsPerCall > 0 ? perCall / (opsPerCall / 1e9) : nil)
    }
}

/// A source that could not be used, and why (recorded in the report when a later source is used instead).
public struct EnergyUnavailable: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var source: EnergySource
    public var reason: String
    public init(_ source: EnergySource, _ reason: String) { self.source = source; self.reason = reason }
    public var description: String { "\(source.rawValue): \(reason)" }
}
