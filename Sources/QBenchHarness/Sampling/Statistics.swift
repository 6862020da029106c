// Harness: sampling, statistics, validity, cache state, progress and interruption for benchmark runs.
// This file: robust summaries of timing samples. Pure functions over arrays, so tests check them by hand.

/// The summary of one benchmark's samples, in nanoseconds.
///
/// Robust figures (median, MAD, percentiles) are the headline; mean and min/max are kept for reference.
/// `madNs` is the raw median absolute deviation (not scaled by 1.4826).
public struct SampleSummary: Codable, Sendable, Equatable {
    public var count: Int
    public var medianNs: Double
    public var madNs: Double
    public var p10Ns: Double
    public var p90Ns: Double
    public var minNs: Double
    public var maxNs: Double
    public var meanNs: Double
    /// Indices (into the sample array, in measurement order) of samples whose modified z-score exceeds 3.5.
    public var outliers: [Int]
    /// MAD / median: the relative noise figure `Validity` checks (0 when the median is 0).
    public var noise: Double

    public init(
        count: Int, medianNs: Double, madNs: Double, p10Ns: Double, p90Ns: Double, minNs: Double,
        maxNs: Double, meanNs: Double, outliers: [Int], noise: Double
    ) {
        self.count = count; self.medianNs = medianNs; self.madNs = madNs; self.p10Ns = p10Ns; self.p90Ns = p90Ns
        self.minNs = minNs; self.maxNs = maxNs; self.meanNs = meanNs; self.outliers = outliers; self.noise = noise
    }
}

public enum Statistics {
    /// Modified z-score limit from Iglewicz & Hoaglin (1993): |0.6745 (x - median) / MAD| > 3.5 is an outlier.
    public static let outlierZLimit = 3.5

    /// Median of already sorted values; nil when empty.
    public static func median(sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// Percentile `p` (0...1) of sorted values by linear interpolation between closest ranks
    /// (Hyndman & Fan type 7, numpy's default): position `p * (n - 1)`.
    public static func percentile(sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let clamped = min(max(p, 0), 1)
        let pos = clamped * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        let frac = pos - Double(lo)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac
    }

    /// Raw median absolute deviation around `median`.
    public static func mad(_ values: [Double], median: Double) -> Double {
        Statistics.median(sorted: values.map { abs($0 - median) }.sorted()) ?? 0
    }

    /// Modified z-scores `0.6745 (x - median) / MAD`.
    ///
    /// When MAD is 0 (more than half the samples identical) the score falls back to
    /// `(x - median) / (1.253314 * meanAbsoluteDeviation)`, the usual substitute; when that is 0 too,
    /// every score is 0 (all samples equal the median).
    public static func modifiedZScores(_ values: [Double]) -> [Double] {
        guard let med = median(sorted: values.sorted()) else { return [] }
        let m = mad(values, median: med)
        if m > 0 { return values.map { 0.6745 * ($0 - med) / m } }
        let meanAD = values.reduce(0) { $0 + abs($1 - med) } / Double(values.count)
        if meanAD > 0 { return values.map { ($0 - med) / (1.253314 * meanAD) } }
        return values.map { _ in 0 }
    }

    /// Indices of outliers by modified z-score.
    public static func outlierIndices(_ values: [Double], limit: Double = outlierZLimit) -> [Int] {
        modifiedZScores(values).enumerated().filter { abs($0.element) > limit }.map(\.offset)
    }

    /// Summarises samples in measurement order; nil when there are none.
    public static func summarize(_ samples: [UInt64]) -> SampleSummary? {
        summarize(samples.map { Double($0) })
    }

    /// Summarises samples in measurement order; nil when there are none.
    public static func summarize(_ values: [Double]) -> SampleSummary? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let med = median(sorted: sorted)!
        let m = mad(values, median: med)
        return SampleSummary(
            count: values.count, medianNs: med, madNs: m,
            p10Ns: percentile(sorted: sorted, 0.10)!, p90Ns: percentile(sorted: sorted, 0.90)!,
            minNs: sorted.first!, maxNs: sorted.last!,
            meanNs: values.reduce(0, +) / Double(values.count),
            outliers: outlierIndices(values), noise: med > 0 ? m / med : 0)
    }
}
