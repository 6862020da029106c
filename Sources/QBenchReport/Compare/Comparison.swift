// `qbench compare`: results of two reports joined on their key, with the ratio of medians, a Mann-Whitney test on
// the raw samples and geometric means; or, across devices, each report's best verified variant per
// (op, weight format, shape) with absolute throughput, roofline fraction and the token estimates.
import Foundation

/// One result key measured in both reports.
public struct ComparedResult: Codable, Sendable, Equatable {
    public var key: String
    public var weightFormat: String
    public var baseMedianNs: Double
    public var candidateMedianNs: Double
    /// Candidate throughput / baseline throughput = baseline median / candidate median: above 1 the candidate is
    /// faster, below 1 slower.
    public var ratio: Double
    /// Two-sided Mann-Whitney U p-value on the two `samples_ns`; absent when a side has no samples.
    public var p: Double?
    public var test: MannWhitney.Method?
    /// p >= significance (or no test): the difference is within noise (`~` in the tables).
    public var withinNoise: Bool
    public var baseSamples: Int
    public var candidateSamples: Int
}

/// A baseline against one candidate, same device or not.
public struct Comparison: Codable, Sendable, Equatable {
    public var base: String
    public var candidate: String
    /// The level below which a p-value counts as significant (the baseline's `gate.significance`, else 0.05).
    public var significance: Double
    public var rows: [ComparedResult]
    /// Keys measured in one report only.
    public var onlyInBase: [String]
    public var onlyInCandidate: [String]
    /// Geometric mean of `ratio` per weight format, and over every row (absent when there are no rows).
    public var geomeanByFormat: [String: Double]
    public var geomean: Double?
}

public enum Compare {
    /// Used when a report has no recorded gate thresholds.
    public static let defaultSignificance = 0.05

    /// The baseline's significance level: `run.provenance.gate.significance`, else `defaultSignificance`.
    public static func significance(of report: Report) -> Double {
        report.run.provenance?.gate.significance ?? defaultSignificance
    }

    /// Joins `base` and `candidate` on result key (pure).
    public static func compare(
        base: Report, candidate: Report, basePath: String = "base", candidatePath: String = "candidate",
        significance: Double? = nil
    ) -> Comparison {
        let alpha = significance ?? Self.significance(of: base)
        let b = Dictionary(base.results.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let c = Dictionary(candidate.results.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [ComparedResult] = []
        var seen = Set<String>()
        for r in base.results where c[r.key] != nil && seen.insert(r.key).inserted {
            let x = c[r.key]!
            let test = MannWhitney.test(r.samplesNs, x.samplesNs)
            rows.append(
                ComparedResult(
                    key: r.key, weightFormat: r.weightFormat, baseMedianNs: r.medianNs,
                    candidateMedianNs: x.medianNs, ratio: ratio(base: r.medianNs, candidate: x.medianNs),
                    p: test?.p, test: test?.method, withinNoise: test.map { $0.p >= alpha } ?? true,
                    baseSamples: r.samplesNs.count, candidateSamples: x.samplesNs.count))
        }
        var byFormat: [String: [Double]] = [:]
        for r in rows { byFormat[r.weightFormat, default: []].append(r.ratio) }
        return Comparison(
            base: basePath, candidate: candidatePath, significance: alpha, rows: rows,
            onlyInBase: orderedKeys(base.results).filter { c[$0] == nil },
            onlyInCandidate: orderedKeys(candidate.results).filter { b[$0] == nil },
            geomeanByFormat: byFormat.compactMapValues(geometricMean),
            geomean: geometricMean(rows.map(\.ratio)))
    }

    /// Candidate throughput over baseline throughput for the same work: base median / candidate median.
    public static func ratio(base: Double, candidate: Double) -> Double {
        guard base > 0, candidate > 0 else { return .nan }
        return base / candidate
    }

    /// exp(mean(log x)) over the finite positive values; nil when there are none.
    public static func geometricMean(_ xs: [Double]) -> Double? {
        let v = xs.filter { $0.isFinite && $0 > 0 }
        guard !v.isEmpty else { return nil }
        return exp(v.map { log($0) }.reduce(0, +) / Double(v.count))
    }

    static func orderedKeys(_ rows: [ResultRow]) -> [String] {
        var seen = Set<String>()
        return rows.map(\.key).filter { seen.insert($0).inserted }
    }
}

// MARK: - Across devices

/// One report's best verified variant for one (op, weight format, shape, cache state).
public struct BestResult: Codable, Sendable, Equatable {
    public var key: String
    public var variant: String
    public var threads: Int
    public var medianNs: Double
    public var gbPerS: Double
    public var gopPerS: Double
    /// Achieved / attainable under the report's own roofline; absent when not measured.
    public var rooflineFraction: Double?
}

/// Both devices' best on the same work.
public struct CrossDeviceRow: Codable, Sendable, Equatable {
    /// `op/weight_format/shape` (+ `/cold`).
    public var work: String
    public var weightFormat: String
    public var base: BestResult
    public var candidate: BestResult
    /// Candidate GOP/s / baseline GOP/s (> 1: the candidate device is faster).
    public var ratio: Double
}

/// Token estimates of one model and format on both devices (each at its highest thread count).
public struct CrossDeviceEstimate: Codable, Sendable, Equatable {
    public var model: String
    public var format: String
    public var baseThreads: Int
    public var candidateThreads: Int
    public var baseDecodeTokensPerS: Double?
    public var candidateDecodeTokensPerS: Double?
    /// Candidate / baseline decode tokens per second.
    public var decodeRatio: Double?
    public var basePrefillTokensPerS: Double?
    public var candidatePrefillTokensPerS: Double?
    public var prefillRatio: Double?
}

public struct CrossDeviceComparison: Codable, Sendable, Equatable {
    public var base: String
    public var candidate: String
    public var baseDevice: String
    public var candidateDevice: String
    public var rows: [CrossDeviceRow]
    /// Work measured (with a verified variant) in one report only.
    public var onlyInBase: [String]
    public var onlyInCandidate: [String]
    public var estimates: [CrossDeviceEstimate]
    public var geomeanByFormat: [String: Double]
    public var geomean: Double?
}

extension Compare {
    /// `op/weight_format/shape` (+ `/cold`): the work of a result, whatever variant and threads ran it.
    public static func work(_ r: ResultRow) -> String {
        "\(r.op)/\(r.weightFormat)/\(r.shape)" + (r.cacheState == .cold ? "/cold" : "")
    }

    /// Per work: the fastest median among results whose variant's kernel row is `verified`, at the report's
    /// highest thread count for that work.
    public static func bestVerified(_ report: Report) -> [String: BestResult] {
        let verified = Set(
            report.kernels.filter { $0.status == .verified }.map { "\($0.op)/\($0.weightFormat)/\($0.variant)" })
        var groups: [String: [ResultRow]] = [:]
        for r in report.results where r.medianNs > 0 && verified.contains("\(r.op)/\(r.weightFormat)/\(r.variant)") {
            groups[work(r), default: []].append(r)
        }
        return groups.compactMapValues { rows in
            guard let maxThreads = rows.map(\.threads).max(),
                let best = rows.filter({ $0.threads == maxThreads }).min(by: { $0.medianNs < $1.medianNs })
            else { return nil }
            return BestResult(
                key: best.key, variant: best.variant, threads: best.threads, medianNs: best.medianNs,
                gbPerS: best.throughput.gbPerS, gopPerS: best.throughput.gopPerS,
                rooflineFraction: best.roofline?.fraction)
        }
    }

    /// Joins two reports of (usually) different devices on the work (pure).
    public static func crossDevice(
        base: Report, candidate: Report, basePath: String = "base", candidatePath: String = "candidate"
    ) -> CrossDeviceComparison {
        let b = bestVerified(base), c = bestVerified(candidate)
        let formatOf = Dictionary(
            (base.results + candidate.results).map { (work($0), $0.weightFormat) }, uniquingKeysWith: { a, _ in a })
        var rows: [CrossDeviceRow] = []
        for w in b.keys.sorted() {
            guard let x = b[w], let y = c[w] else { continue }
            rows.append(
                CrossDeviceRow(
                    work: w, weightFormat: formatOf[w] ?? "", base: x, candidate: y,
                    ratio: x.gopPerS > 0 ? y.gopPerS / x.gopPerS : .nan))
        }
        var byFormat: [String: [Double]] = [:]
        for r in rows { byFormat[r.weightFormat, default: []].append(r.ratio) }
        return CrossDeviceComparison(
            base: basePath, candidate: candidatePath, baseDevice: base.device.id, candidateDevice: candidate.device.id,
            rows: rows, onlyInBase: b.keys.filter { c[$0] == nil }.sorted(),
            onlyInCandidate: c.keys.filter { b[$0] == nil }.sorted(),
            estimates: crossEstimates(base: base.estimates, candidate: candidate.estimates),
            geomeanByFormat: byFormat.compactMapValues(geometricMean), geomean: geometricMean(rows.map(\.ratio)))
    }

    /// Estimates joined on (model, format), each side at its highest thread count.
    static func crossEstimates(base: [TokenEstimate], candidate: [TokenEstimate]) -> [CrossDeviceEstimate] {
        func top(_ es: [TokenEstimate]) -> [String: TokenEstimate] {
            var out: [String: TokenEstimate] = [:]
            for e in es {
                let k = "\(e.model)\u{1F}\(e.format)"
                if let cur = out[k], cur.threads >= e.threads { continue }
                out[k] = e
            }
            return out
        }
        func ratio(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b, a > 0 else { return nil }
            return b / a
        }
        let b = top(base), c = top(candidate)
        return b.keys.sorted().compactMap { k in
            guard let x = b[k], let y = c[k] else { return nil }
            return CrossDeviceEstimate(
                model: x.model, format: x.format, baseThreads: x.threads, candidateThreads: y.threads,
                baseDecodeTokensPerS: x.decodeTokensPerS, candidateDecodeTokensPerS: y.decodeTokensPerS,
                decodeRatio: ratio(x.decodeTokensPerS, y.decodeTokensPerS),
                basePrefillTokensPerS: x.prefillTokensPerS, candidatePrefillTokensPerS: y.prefillTokensPerS,
                prefillRatio: ratio(x.prefillTokensPerS, y.prefillTokensPerS))
        }
    }
}
