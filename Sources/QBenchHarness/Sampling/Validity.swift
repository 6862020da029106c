// Validity in the MLPerf sense: a run counts only when it met its minimum sample count and duration and
// its median is known precisely enough (its 95 % confidence interval within a limit). Invalid runs are still
// reported, with every reason, never dropped.

/// The limits a measurement must meet to be valid.
public struct ValidityLimits: Codable, Sendable, Equatable {
    public var minSamples: Int
    public var minTotalNs: UInt64
    /// Largest relative half-width of the median's 95 % confidence interval accepted,
    /// (ci high - ci low) / 2 / median (`SampleSummary.medianCIHalfWidth`).
    public var maxNoise: Double

    /// Defaults: 10 samples, 100 ms, median known to ±10 %.
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
    /// Reasons, each a sentence naming the figure and the limit: too few samples (against `minSamples`, or the
    /// run's lower `sampleFloor` when the sampler set one for a slow body), too short in total, an imprecise
    /// median (the relative half-width of its 95 % confidence interval above `maxNoise`; MAD / median is named
    /// alongside), interrupted.
    public static func evaluate(_ run: SampleRun, limits: ValidityLimits) -> Validity {
        var reasons: [String] = []
        let n = run.samplesNs.count
        let required = min(limits.minSamples, run.sampleFloor ?? .max)
        if n < required {
            let lowered =
                required < limits.minSamples ? " (floor for a slow body; min_samples \(limits.minSamples))" : ""
            reasons.append("too few samples: \(n) < \(required)" + lowered)
        }
        if run.measuredNs < limits.minTotalNs {
            reasons.append("too short: \(formatNs(run.measuredNs)) measured < \(formatNs(limits.minTotalNs)) minimum")
        }
        if let s = run.summary, s.medianCIHalfWidth > limits.maxNoise {
            reasons.append(
                "imprecise median: \(ciLabel(s)) ±\(percent(s.medianCIHalfWidth)) > \(percent(limits.maxNoise)) limit "
                    + "(MAD/median \(percent(s.noise)))")
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

    /// "95% CI", or for fewer than 6 samples the [min, max] interval with its real coverage.
    static func ciLabel(_ s: SampleSummary) -> String {
        s.medianCICoverage >= 0.95 ? "95% CI" : "min-max interval (\(percent(s.medianCICoverage)) coverage)"
    }
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
