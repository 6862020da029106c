// `qbench gate`: a candidate report against a baseline, one verdict and one exit code (docs/gate.md).
//
// Precedence when several failures apply: unreadable input (1) and a baseline that is not comparable (5) are
// decided before any check; then correctness (3), then an invalid candidate (4), then performance (2).
import Foundation
import QBenchSupport
import QBenchProfiles

/// The thresholds a gate applies, and where they came from.
public struct GatePolicy: Codable, Sendable, Equatable {
    /// Largest accepted throughput loss (0.05 = 5 % slower), beyond noise.
    public var maxThroughputRegression: Double
    /// Largest accepted increase in joules per call.
    public var maxEnergyRegression: Double
    /// Largest accepted SQNR drop in dB.
    public var maxSqnrDropDb: Double
    /// The Mann-Whitney significance level.
    public var significance: Double
    /// `policy file <path>`, `baseline provenance`, or `defaults`, per threshold set.
    public var source: String

    public init(
        maxThroughputRegression: Double, maxEnergyRegression: Double, maxSqnrDropDb: Double, significance: Double,
        source: String
    ) {
        self.maxThroughputRegression = maxThroughputRegression; self.maxEnergyRegression = maxEnergyRegression
        self.maxSqnrDropDb = maxSqnrDropDb; self.significance = significance; self.source = source
    }

    /// The default profile's thresholds, for a baseline that recorded none and no policy file.
    public static let defaults = GateThresholds(
        maxThroughputRegression: 0.05, maxEnergyRegression: 0.10, maxSqnrDropDb: 0.5, significance: 0.01)

    /// A policy file: any of the four thresholds; the rest come from the baseline.
    public struct File: Codable, Sendable, Equatable {
        public var maxThroughputRegression: Double?
        public var maxEnergyRegression: Double?
        public var maxSqnrDropDb: Double?
        public var significance: Double?
    }

    /// Reads a policy YAML file (`max_throughput_regression`, `max_energy_regression`, `max_sqnr_drop_db`,
    /// `significance`; unknown keys are refused).
    /// - Throws: `QBError.badInput` naming the file, line and key; `QBError.io` when unreadable.
    public static func loadFile(_ path: String) throws -> File {
        try InputFile.requireRegular(path)
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw QBError.io(path: path, message: "cannot read the policy: \(error.localizedDescription)")
        }
        let f = try YAMLDocument.decode(File.self, yaml: text, path: path)
        func check(_ v: Double?, _ key: String, _ range: ClosedRange<Double>) throws {
            if let v, !(v.isFinite && range.contains(v)) {
                throw QBError.badInput(
                    path: path, message: "\(key): \(v) is out of range \(range.lowerBound)...\(range.upperBound)")
            }
        }
        try check(f.maxThroughputRegression, "max_throughput_regression", 0...1)
        try check(f.maxEnergyRegression, "max_energy_regression", 0...100)
        try check(f.maxSqnrDropDb, "max_sqnr_drop_db", 0...1000)
        try check(f.significance, "significance", 1e-12...0.5)
        return f
    }

    /// The policy file's values where given, else the baseline's recorded gate thresholds, else `defaults`.
    public static func resolve(file: File?, filePath: String?, baseline: Report) -> GatePolicy {
        let recorded = baseline.run.provenance?.gate
        let base = recorded ?? defaults
        let fromFile = [
            file?.maxThroughputRegression, file?.maxEnergyRegression, file?.maxSqnrDropDb,
            file?.significance,
        ].contains { $0 != nil }
        let rest = recorded != nil ? "baseline run.provenance.gate" : "built-in defaults"
        let source: String
        if let filePath, fromFile {
            let all = [
                file?.maxThroughputRegression, file?.maxEnergyRegression, file?.maxSqnrDropDb,
                file?.significance,
            ].allSatisfy { $0 != nil }
            source = all ? "policy \(filePath)" : "policy \(filePath), the rest from \(rest)"
        } else {
            source = rest
        }
        return GatePolicy(
            maxThroughputRegression: file?.maxThroughputRegression ?? base.maxThroughputRegression,
            maxEnergyRegression: file?.maxEnergyRegression ?? base.maxEnergyRegression,
            maxSqnrDropDb: file?.maxSqnrDropDb ?? base.maxSqnrDropDb,
            significance: file?.significance ?? base.significance, source: source)
    }
}

/// One thing the gate checked.
public struct GateCheck: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case throughput, energy
        case decodeTokensPerS = "decode_tokens_per_s"
        case prefillTokensPerS = "prefill_tokens_per_s"
        case kernel, accuracy, validity
    }
    public var kind: Kind
    /// The result key, kernel (op/format/activation/variant), estimate (model/format/tN) or accuracy row.
    public var subject: String
    /// Baseline and candidate figures: median ns, joules per call, tokens/s, or SQNR dB (absent for kernel and
    /// validity checks, which say it in `detail`).
    public var base: Double?
    public var candidate: Double?
    /// Relative change in the direction that matters: throughput/tokens lost (0.1 = 10 % slower), energy gained,
    /// or SQNR dB lost.
    public var change: Double?
    /// The threshold `change` is held against.
    public var limit: Double?
    /// Mann-Whitney p of the samples (throughput rows).
    public var p: Double?
    /// Throughput rows: the slowdown is beyond noise.
    public var significant: Bool?
    /// Throughput rows gated with a history (`qbench gate --history`): the largest slowdown seen between the
    /// medians of the baseline and the history's runs of this key (0.2 = the slowest run 20 % below the fastest),
    /// and how many runs it is taken over. The limit is then the larger of the policy's and this.
    public var betweenRuns: Double?
    public var runs: Int?
    /// The exit code this check fails with; absent when it passed.
    public var failure: Int32?
    /// What was compared and why it passed or failed, one line.
    public var detail: String
}

/// The gate's verdict.
public struct GateVerdict: Codable, Sendable, Equatable {
    public static let schemaID = "qbench.gate/1"
    public var schema = GateVerdict.schemaID
    /// 0, 2, 3, 4 or 5.
    public var exitCode: Int32
    /// `pass`, `performance regression`, `correctness regression`, `invalid run`, `baseline not comparable`.
    public var verdict: String
    public var baseline: String
    public var candidate: String
    public var device: String
    public var profile: String
    public var policy: GatePolicy?
    /// The candidate's `run.injected` (a deliberately slowed run), when set.
    public var injected: String?
    /// Why the baseline is not comparable (exit 5), or other run-level notes.
    public var notes: [String]
    /// Failed checks, worst first (by exit code precedence).
    public var failures: [GateCheck]
    public var passes: [GateCheck]
}

public enum Gate {
    /// Exit codes (the same numbers as the CLI's `ExitCodes`).
    public static let pass: Int32 = 0, performance: Int32 = 2, correctness: Int32 = 3, invalid: Int32 = 4,
        notComparable: Int32 = 5

    /// The verdict for an exit code.
    public static func verdictText(_ code: Int32) -> String {
        switch code {
        case pass: return "pass"
        case performance: return "performance regression"
        case correctness: return "correctness regression"
        case invalid: return "invalid run"
        case notComparable: return "baseline not comparable"
        default: return "error"
        }
    }

    /// Reasons the two reports cannot be gated against each other (exit 5); empty when comparable.
    public static func notComparableReasons(base: Report, candidate: Report) -> [String] {
        var out: [String] = []
        if base.schema != candidate.schema {
            out.append("schema differs: baseline \(base.schema), candidate \(candidate.schema)")
        }
        if base.device.id != candidate.device.id {
            out.append("device differs: baseline \(base.device.id), candidate \(candidate.device.id)")
        }
        if base.run.profile != candidate.run.profile {
            out.append("profile differs: baseline \(base.run.profile), candidate \(candidate.run.profile)")
        }
        if out.isEmpty && !base.results.isEmpty && !candidate.results.isEmpty {
            let keys = Set(base.results.map(\.key))
            if !candidate.results.contains(where: { keys.contains($0.key) }) {
                out.append(
                    "no result key in common (\(base.results.count) in the baseline, "
                        + "\(candidate.results.count) in the candidate)")
            }
        } else if out.isEmpty {
            out.append("no result key in common (a report without results)")
        }
        return out
    }

    /// A verdict of exit 5 without checks.
    public static func notComparable(
        baselinePath: String, candidatePath: String, candidate: Report?, reasons: [String]
    ) -> GateVerdict {
        GateVerdict(
            exitCode: notComparable, verdict: verdictText(notComparable), baseline: baselinePath,
            candidate: candidatePath, device: candidate?.device.id ?? "", profile: candidate?.run.profile ?? "",
            policy: nil, injected: candidate?.run.injected, notes: reasons, failures: [], passes: [])
    }

    /// Evaluates every check (pure).
    /// - Parameter allowInvalid: substrings; an invalid candidate passes validity when each of its reasons
    ///   contains one of them.
    /// - Parameter history: earlier runs of the baseline's code on the same device and profile (others are left
    ///   out with a note): their medians, with the baseline's, give each key's between-run spread, and a result
    ///   fails only when it is slower than that spread too. Samples within one run cannot show how far a shared
    ///   host shifts between runs; a history can.
    public static func evaluate(
        base: Report, candidate: Report, policy: GatePolicy, allowInvalid: [String] = [],
        baselinePath: String = "baseline", candidatePath: String = "candidate", history: [Report] = []
    ) -> GateVerdict {
        let reasons = notComparableReasons(base: base, candidate: candidate)
        if !reasons.isEmpty {
            return notComparable(
                baselinePath: baselinePath, candidatePath: candidatePath, candidate: candidate, reasons: reasons)
        }
        // Listed in this order within each group (failures, passes): performance, then correctness, validity.
        let usable = history.filter { notComparableReasons(base: base, candidate: $0).isEmpty }
        let perf = throughputChecks(base: base, candidate: candidate, policy: policy, history: usable)
        var checks = perf
        checks += estimateChecks(base: base, candidate: candidate, policy: policy, throughput: perf)
        checks += energyChecks(base: base, candidate: candidate, policy: policy)
        checks += accuracyChecks(base: base, candidate: candidate, policy: policy)
        checks += kernelChecks(base: base, candidate: candidate)
        checks.append(validityCheck(candidate: candidate, allowInvalid: allowInvalid))
        var notes: [String] = []
        if !base.validity.valid {
            notes.append("the baseline itself is invalid: \(base.validity.reasons.joined(separator: "; "))")
        }
        if let inj = candidate.run.injected {
            notes.append("the candidate was deliberately slowed: \(inj)")
        }
        if !history.isEmpty {
            notes.append(
                "between-run spread from \(usable.count + 1) runs (the baseline and \(usable.count) of "
                    + "\(history.count) history reports"
                    + (usable.count < history.count ? "; the rest are of another device or profile" : "") + ")")
        }
        let order: [Int32] = [correctness, invalid, performance]
        let failures = order.flatMap { c in checks.filter { $0.failure == c } }
        let code = order.first { c in failures.contains { $0.failure == c } } ?? pass
        return GateVerdict(
            exitCode: code, verdict: verdictText(code), baseline: baselinePath, candidate: candidatePath,
            device: candidate.device.id, profile: candidate.run.profile, policy: policy,
            injected: candidate.run.injected, notes: notes, failures: failures,
            passes: checks.filter { $0.failure == nil })
    }

    // MARK: Correctness

    static func kernelChecks(base: Report, candidate: Report) -> [GateCheck] {
        func id(_ k: KernelRow) -> String { "\(k.op)/\(k.weightFormat)/\(k.activationFormat)/\(k.variant)" }
        let c = Dictionary(candidate.kernels.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        return base.kernels.filter { $0.status == .verified && seen.insert(id($0)).inserted }.map { k in
            let subject = id(k)
            guard let x = c[subject] else {
                return GateCheck(
                    kind: .kernel, subject: subject, failure: nil,
                    detail: "verified in the baseline; not checked in the candidate")
            }
            if x.status == .verified {
                return GateCheck(kind: .kernel, subject: subject, failure: nil, detail: "verified in both")
            }
            if x.status == .unsupported, let missing = x.missingFeatures, !missing.isEmpty {
                return GateCheck(
                    kind: .kernel, subject: subject, failure: nil,
                    detail: "unsupported in the candidate (missing \(missing.joined(separator: ", ")))")
            }
            var why = x.status.rawValue
            if let s = x.signal { why += " (\(s))" }
            if let d = x.detail { why += ": \(d)" }
            return GateCheck(
                kind: .kernel, subject: subject, failure: correctness,
                detail: "verified in the baseline, \(why) in the candidate")
        }
    }

    static func accuracyChecks(base: Report, candidate: Report, policy: GatePolicy) -> [GateCheck] {
        func id(_ a: AccuracyRow) -> String { "\(a.format)/\(a.method)/\(a.tensor)" }
        let c = Dictionary(candidate.accuracy.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        return base.accuracy.compactMap { a in
            guard let x = c[id(a)] else { return nil }
            let drop: Double =
                a.sqnrDb == x.sqnrDb ? 0 : (a.sqnrDb.isNaN || x.sqnrDb.isNaN ? .infinity : a.sqnrDb - x.sqnrDb)
            let failed = drop > policy.maxSqnrDropDb
            return GateCheck(
                kind: .accuracy, subject: id(a), base: a.sqnrDb, candidate: x.sqnrDb, change: drop,
                limit: policy.maxSqnrDropDb, failure: failed ? correctness : nil,
                detail: "SQNR \(db(a.sqnrDb)) -> \(db(x.sqnrDb)) dB: "
                    + (failed ? "dropped \(db(drop)) dB, more than" : "within") + " \(db(policy.maxSqnrDropDb)) dB")
        }
    }

    // MARK: Validity

    static func validityCheck(candidate: Report, allowInvalid: [String]) -> GateCheck {
        let v = candidate.validity
        if v.valid { return GateCheck(kind: .validity, subject: "candidate", failure: nil, detail: "valid") }
        let unmatched = v.reasons.filter { r in !allowInvalid.contains { !$0.isEmpty && r.contains($0) } }
        if !allowInvalid.isEmpty && unmatched.isEmpty && !v.reasons.isEmpty {
            return GateCheck(
                kind: .validity, subject: "candidate", failure: nil,
                detail: "invalid, allowed by --allow-invalid: \(v.reasons.joined(separator: "; "))")
        }
        let listed = (allowInvalid.isEmpty ? v.reasons : unmatched)
        return GateCheck(
            kind: .validity, subject: "candidate", failure: invalid,
            detail: "invalid: "
                + (listed.isEmpty ? "no reason given" : listed.joined(separator: "; "))
                + (allowInvalid.isEmpty ? "" : " (not matched by --allow-invalid)"))
    }

    // MARK: Performance

    /// Is the candidate's slowdown beyond noise? Mann-Whitney at `alpha`, or, when no samples of these sizes
    /// could reach it (the smallest possible p is above alpha), p10-p90 ranges that do not overlap.
    static func slowdownSignificant(
        base: ResultRow, candidate: ResultRow, alpha: Double
    )
        -> (significant: Bool, p: Double?, how: String)
    {
        let n1 = base.samplesNs.count, n2 = candidate.samplesNs.count
        let minP = MannWhitney.minimumP(n1: n1, n2: n2)
        if n1 == 0 || n2 == 0 || minP > alpha {
            let apart = candidate.p10Ns > base.p90Ns
            let why =
                n1 == 0 || n2 == 0
                ? "no samples on one side"
                : "\(n1) and \(n2) samples cannot reach p < \(num(alpha)) (smallest possible p \(num(minP)))"
            return (
                apart, nil,
                "\(why): p10-p90 ranges " + (apart ? "do not overlap" : "overlap")
            )
        }
        guard let t = MannWhitney.test(base.samplesNs, candidate.samplesNs) else { return (false, nil, "no test") }
        return (t.p < alpha, t.p, "Mann-Whitney p = \(num(t.p)) (\(t.method.rawValue)), alpha \(num(alpha))")
    }

    /// For two results measured in rounds (`round_medians_ns` on both): is every candidate round slower than every
    /// baseline round by more than `limit` (1 - slowest baseline round / fastest candidate round > limit)? A slow
    /// spell of a shared host reaches some rounds of a run, a slower kernel all of them, each by about its own size;
    /// so with rounds a throughput failure needs this as well as the sample test. nil when either side has no rounds.
    static func roundsSeparate(base: ResultRow, candidate: ResultRow, limit: Double) -> (separate: Bool, how: String)? {
        guard let b = base.roundMediansNs, let c = candidate.roundMediansNs, b.count > 1, c.count > 1,
            let bMax = b.max(), let cMin = c.min(), cMin > 0
        else { return nil }
        let list = { (m: [Double]) in m.map { num($0 / 1000) }.joined(separator: "/") + " us" }
        let apart = 1 - bMax / cMin
        let separate = apart > limit
        return (
            separate,
            "round medians \(list(b)) -> \(list(c))"
                + (separate
                    ? ", every round slower by more than \(pct(limit, sign: false))"
                    : apart > 0
                        ? ", every round slower but the closest rounds only \(pct(-apart))"
                        : ", the rounds overlap")
        )
    }

    /// The largest throughput loss between the medians of `medians` (1 - fastest / slowest); 0 for one run.
    public static func betweenRunSpread(_ medians: [Double]) -> Double {
        guard let lo = medians.min(), let hi = medians.max(), lo > 0 else { return 0 }
        return 1 - lo / hi
    }

    static func throughputChecks(
        base: Report, candidate: Report, policy: GatePolicy, history: [Report] = []
    ) -> [GateCheck] {
        let c = Dictionary(candidate.results.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let past = history.map { h in
            Dictionary(h.results.map { ($0.key, $0.medianNs) }, uniquingKeysWith: { a, _ in a })
        }
        var seen = Set<String>()
        return base.results.compactMap { r -> GateCheck? in
            guard let x = c[r.key], seen.insert(r.key).inserted else { return nil }
            let ratio = Compare.ratio(base: r.medianNs, candidate: x.medianNs)
            let loss = 1 - ratio
            let sig = slowdownSignificant(base: r, candidate: x, alpha: policy.significance)
            let medians = [r.medianNs] + past.compactMap { $0[r.key] }
            let spread = history.isEmpty ? nil : betweenRunSpread(medians)
            let limit = max(policy.maxThroughputRegression, spread ?? 0)
            let over = loss > limit
            // Measured in rounds on both sides: the slowdown, beyond the limit, must be there at every moment both runs
            // sampled.
            let rounds = roundsSeparate(base: r, candidate: x, limit: limit)
            let beyondNoise = sig.significant && (rounds?.separate ?? true)
            let failed = over && beyondNoise
            let verdict: String
            if failed {
                verdict = "slower beyond the limit and beyond noise"
            } else if over, sig.significant, let rounds {
                verdict = "slower beyond the limit, but not in every round (~): \(rounds.how)"
            } else if over {
                verdict = "slower beyond the limit but within noise (~)"
            } else if loss > policy.maxThroughputRegression {
                verdict = "within the between-run spread (\(pct(-(spread ?? 0))) over \(medians.count) runs)"
            } else {
                verdict = "within the limit"
            }
            var check = GateCheck(
                kind: .throughput, subject: r.key, base: r.medianNs, candidate: x.medianNs, change: loss,
                limit: limit, p: sig.p, significant: over ? beyondNoise : nil,
                failure: failed ? performance : nil,
                detail: "\(pct(-loss)) throughput: \(verdict); \(sig.how)"
                    + (failed || !over ? rounds.map { "; \($0.how)" } ?? "" : ""))
            check.betweenRuns = spread
            check.runs = spread == nil ? nil : medians.count
            return check
        }
    }

    /// Joules per call, only where both reports measured it with the same, non-modeled source: modeled energy is
    /// time times a modeled power, already judged by the throughput check.
    static func energyChecks(base: Report, candidate: Report, policy: GatePolicy) -> [GateCheck] {
        let c = Dictionary(candidate.results.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        return base.results.compactMap { r -> GateCheck? in
            guard let x = c[r.key], seen.insert(r.key).inserted, let e = r.energy, let f = x.energy,
                e.source == f.source, e.source != .modeled, e.joules > 0
            else { return nil }
            let gain = f.joules / e.joules - 1
            let failed = gain > policy.maxEnergyRegression
            return GateCheck(
                kind: .energy, subject: r.key, base: e.joules, candidate: f.joules, change: gain,
                limit: policy.maxEnergyRegression, failure: failed ? performance : nil,
                detail: "\(pct(gain)) joules per call (\(e.source.rawValue)): "
                    + (failed ? "more than" : "within") + " +\(pct(policy.maxEnergyRegression, sign: false))")
        }
    }

    /// Decode and prefill tokens/s per (model, format, threads). An estimate fails when it lost more than the
    /// throughput limit and one of the results it is built from is significantly slower (an estimate has no
    /// samples of its own).
    static func estimateChecks(
        base: Report, candidate: Report, policy: GatePolicy, throughput: [GateCheck]
    )
        -> [GateCheck]
    {
        func id(_ e: TokenEstimate) -> String { "\(e.model)/\(e.format)/t\(e.threads)" }
        let c = Dictionary(candidate.estimates.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        // A basis result backs the estimate when it is slower beyond noise: significant, and (measured in rounds on
        // both sides) slower in every round by more than its limit.
        let bRows = Dictionary(base.results.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let cRows = Dictionary(candidate.results.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let slower = Set(
            throughput.filter { t in
                guard (t.change ?? 0) > 0, t.significant == true || (t.p ?? 1) < policy.significance else {
                    return false
                }
                guard let b = bRows[t.subject], let x = cRows[t.subject] else { return true }
                return roundsSeparate(base: b, candidate: x, limit: t.limit ?? policy.maxThroughputRegression)?
                    .separate ?? true
            }.map(\.subject))
        var out: [GateCheck] = []
        for e in base.estimates {
            guard let x = c[id(e)] else { continue }
            let backed = e.basis.filter { slower.contains($0) }
            for (kind, a, b) in [
                (GateCheck.Kind.decodeTokensPerS, e.decodeTokensPerS, x.decodeTokensPerS),
                (.prefillTokensPerS, e.prefillTokensPerS, x.prefillTokensPerS),
            ] {
                guard let a, let b, a > 0 else { continue }
                let loss = 1 - b / a
                let over = loss > policy.maxThroughputRegression
                let failed = over && !backed.isEmpty
                let why =
                    !over
                    ? "within the limit"
                    : backed.isEmpty
                        ? "beyond the limit, but none of its results is significantly slower (~)"
                        : "beyond the limit; significantly slower: \(backed.prefix(3).joined(separator: ", "))"
                            + (backed.count > 3 ? ", ..." : "")
                out.append(
                    GateCheck(
                        kind: kind, subject: id(e), base: a, candidate: b, change: loss,
                        limit: policy.maxThroughputRegression, failure: failed ? performance : nil,
                        detail: "\(pct(-loss)) tokens/s: \(why)"))
            }
        }
        return out
    }

    // MARK: Formatting

    /// "+3.2%" / "-10.0%".
    public static func pct(_ x: Double, sign: Bool = true) -> String {
        guard x.isFinite else { return x > 0 ? "+inf%" : "-inf%" }
        return String(format: sign ? "%+.1f%%" : "%.1f%%", x * 100)
    }
    public static func db(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", x) : (x > 0 ? "inf" : "-inf") }
    /// A p-value or level: 3 significant digits.
    public static func num(_ x: Double) -> String { String(format: "%.3g", x) }
}
