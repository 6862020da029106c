// Validity in the MLPerf sense: a run counts only when it met its minimum sample count and duration and
// its noise stayed within a limit. Invalid runs are still reported, with every reason, never dropped.

/// The limits a measurement must meet to be valid.
public struct ValidityLimits: Codable, Sendable, Equatable {
    public var minSamples: Int
    public var minTotalNs: UInt64
    /// Largest MAD / median accepted.
    public var maxNoise: Double

    /// Defaults: 10 samples, 100 ms, noise 10 %.
    public init(minSamples: Int = 10, minTotalNs: UInt64 = 100_000_000, maxNoise: Double = 0.10) {
        self.minSamples = minSamples; self.minTotalNs = minTotalNs; self.maxNoise = maxNoise
    }
}

/// `valid` and the reasons it is not (empty when valid).
public struct Validity: Codable, Sendable, Equatable {
    public var valid: Bool
    public var reasons: [String]

    public init(valid: Bool, reasons: [String]) { self.valid = valid; self.reasons = reasons }

    public static let ok = Validity(valid: true, reasons: [])

    /// Judges one run.
    ///
    /// Reasons, each a sentence naming the figure and the limit: too few samples, too short in total,
    /// noise above the limit, interrupted.
    public static func evaluate(_ run: SampleRun, limits: ValidityLimits) -> Validity {
        var reasons: [String] = []
        let n = run.samplesNs.count
        if n < limits.minSamples {
            reasons.append("too few samples: \(n) < \(limits.minSamples)")
        }
        if run.measuredNs < limits.minTotalNs {
            reasons.append("too short: \(formatNs(run.measuredNs)) measured < \(formatNs(limits.minTotalNs)) minimum")
        }
        if let s = run.summary, s.noise > limits.maxNoise {
            reasons.append("too noisy: MAD/median \(percent(s.noise)) > \(percent(limits.maxNoise)) limit")
        }
        if run.stopReason == .interrupted {
            reasons.append("interrupted before the minimums were met")
        }
        return Validity(valid: reasons.isEmpty, reasons: reasons)
    }

    /// Combines many validities (e.g. one per result) into the run's: valid only when all are,
    /// each reason prefixed with its label (the result key).
    public static func combine(_ parts: [(label: String, validity: Validity)]) -> Validity {
        var reasons: [String] = []
        for p in parts where !p.validity.valid {
            reasons += p.validity.reasons.map { p.label.isEmpty ? $0 : "\(p.label): \($0)" }
        }
        return Validity(valid: reasons.isEmpty, reasons: reasons)
    }

    static func formatNs(_ ns: UInt64) -> String {
        if ns >= 1_000_000_000 { return String(format2: Double(ns) / 1e9) + " s" }
        if ns >= 1_000_000 { return String(format2: Double(ns) / 1e6) + " ms" }
        if ns >= 1_000 { return String(format2: Double(ns) / 1e3) + " us" }
        return "\(ns) ns"
    }

    static func percent(_ x: Double) -> String { String(format2: x * 100) + " %" }
}

extension String {
    /// Two decimals without Foundation's locale-dependent formatting.
    init(format2 x: Double) {
        guard x.isFinite, abs(x) < 1e15 else { self = "\(x)"; return }
        let scaled = (abs(x) * 100).rounded()
        let whole = Int(scaled / 100)
        let frac = Int(scaled.truncatingRemainder(dividingBy: 100))
        self = (x < 0 && scaled > 0 ? "-" : "") + "\(whole)." + (frac < 10 ? "0\(frac)" : "\(frac)")
    }
}
