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
    /// MAD / median: the spread of the samples (0 when the median is 0). Reported, no longer a validity limit.
    public var noise: Double
    /// Distribution-free 95 % confidence interval of the median (`Statistics.medianInterval`): its lower and
    /// upper order statistics, ...
    public var medianCILowNs: Double
    public var medianCIHighNs: Double
    /// ...its half-width relative to the median, (high - low) / 2 / median (0 when the median is 0): the
    /// precision figure `Validity` checks against `max_noise` and the sampler samples down to...
    public var medianCIHalfWidth: Double
    /// ...and its real coverage (0.95 or a little more from exact binomial ranks; less for n < 6).
    public var medianCICoverage: Double

    public init(
        count: Int, medianNs: Double, madNs: Double, p10Ns: Double, p90Ns: Double, minNs: Double,
        maxNs: Double, meanNs: Double, outliers: [Int], noise: Double,
        medianCILowNs: Double? = nil, medianCIHighNs: Double? = nil, medianCICoverage: Double = 0
    ) {
        self.count = count; self.medianNs = medianNs; self.madNs = madNs; self.p10Ns = p10Ns; self.p90Ns = p90Ns
        self.minNs = minNs; self.maxNs = maxNs; self.meanNs = meanNs; self.outliers = outliers; self.noise = noise
        self.medianCILowNs = medianCILowNs ?? medianNs; self.medianCIHighNs = medianCIHighNs ?? medianNs
        self.medianCIHalfWidth = Statistics.relativeHalfWidth(
            low: self.medianCILowNs, high: self.medianCIHighNs, median: medianNs)
        self.medianCICoverage = medianCICoverage
    }
}

/// A confidence interval of the median from order statistics: `[x(lowerRank), x(upperRank)]` (1-based ranks
/// into the sorted samples) and the probability it covers the true median.
public struct MedianInterval: Sendable, Equatable {
    public var lowerRank: Int
    public var upperRank: Int
    public var lowNs: Double
    public var highNs: Double
    /// 1 - 2 P(Binomial(n, 1/2) < lowerRank): exact for n <= `Statistics.exactBinomialLimit`, else the nominal
    /// 0.95 of the normal approximation.
    public var coverage: Double
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

    /// Up to this many samples the median's interval uses exact binomial ranks; above it the normal approximation.
    public static let exactBinomialLimit = 1000

    /// The ranks of the distribution-free confidence interval of the median (nonparametric, from order
    /// statistics; e.g. Conover, Practical Nonparametric Statistics, the sign-test interval).
    ///
    /// The number of samples below the true median is Binomial(n, 1/2), so `[x(j), x(n+1-j)]` covers it with
    /// probability 1 - 2 P(B < j). `j` is the largest rank with P(B < j) <= (1 - level) / 2 (0.025 for 95 %).
    /// Exact binomial sums up to `exactBinomialLimit` samples; above, the normal approximation with continuity
    /// correction, j = floor(n/2 + 1/2 - z sqrt(n)/2), z = 1.959964 (it agrees with the exact rank at n = 1000).
    /// For n < 6 no rank reaches 95 %: the interval is [min, max] (j = 1), whose coverage 1 - 2^(1-n) is returned
    /// (n = 5: 0.9375, n = 4: 0.875, n = 3: 0.75, n = 2: 0.5, n = 1: 0).
    /// - Returns: (lower rank j, upper rank n + 1 - j, coverage), 1-based; nil when n < 1.
    public static func medianCIRanks(count n: Int) -> (lower: Int, upper: Int, coverage: Double)? {
        guard n >= 1 else { return nil }
        let tail = 0.025
        if n > exactBinomialLimit {
            let j = normalLowerRank(count: n)
            return (j, n + 1 - j, 0.95)
        }
        // P(B = 0) = 2^-n, exactly representable for n <= 1022; then pmf(k + 1) = pmf(k) (n - k) / (k + 1).
        var pmf = Double(sign: .plus, exponent: -n, significand: 1)
        var below = 0.0  // P(B < j) for the current j, starting at j = 1: P(B < 1) = P(B = 0)
        var j = 0
        var k = 0
        while true {
            let next = below + pmf  // P(B < k + 1)
            if next > tail { break }
            below = next; j = k + 1
            pmf = pmf * Double(n - k) / Double(k + 1)
            k += 1
        }
        if j == 0 {  // n < 6: even [min, max] covers less than 95 %
            let minMaxTail = Double(sign: .plus, exponent: -n, significand: 1)
            return (1, n, max(0, 1 - 2 * minMaxTail))
        }
        return (j, n + 1 - j, 1 - 2 * below)
    }

    /// The lower rank by the normal approximation of Binomial(n, 1/2) with continuity correction:
    /// P(B < j) ~ Phi((j - 1/2 - n/2) / (sqrt(n)/2)) <= 0.025 gives j = floor(n/2 + 1/2 - 1.959964 sqrt(n)/2).
    static func normalLowerRank(count n: Int) -> Int {
        max(1, Int((Double(n) / 2 + 0.5 - 1.959964 * Double(n).squareRoot() / 2).rounded(.down)))
    }

    /// The 95 % confidence interval of the median of sorted values (see `medianCIRanks`); nil when empty.
    public static func medianInterval(sorted: [Double]) -> MedianInterval? {
        guard let r = medianCIRanks(count: sorted.count) else { return nil }
        return MedianInterval(
            lowerRank: r.lower, upperRank: r.upper, lowNs: sorted[r.lower - 1], highNs: sorted[r.upper - 1],
            coverage: r.coverage)
    }

    /// (high - low) / 2 / median, the half-width relative to the median; 0 when the median is not positive.
    public static func relativeHalfWidth(low: Double, high: Double, median: Double) -> Double {
        median > 0 ? (high - low) / 2 / median : 0
    }

    /// The relative half-width of the median's 95 % interval for samples in any order (sorts a copy): the
    /// sampler's precision check. Infinity when empty.
    public static func medianPrecision(_ samples: [UInt64]) -> Double {
        let sorted = samples.map { Double($0) }.sorted()
        guard let ci = medianInterval(sorted: sorted), let med = median(sorted: sorted) else { return .infinity }
        return relativeHalfWidth(low: ci.lowNs, high: ci.highNs, median: med)
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
        let ci = medianInterval(sorted: sorted)!
        return SampleSummary(
            count: values.count, medianNs: med, madNs: m,
            p10Ns: percentile(sorted: sorted, 0.10)!, p90Ns: percentile(sorted: sorted, 0.90)!,
            minNs: sorted.first!, maxNs: sorted.last!,
            meanNs: values.reduce(0, +) / Double(values.count),
            outliers: outlierIndices(values), noise: med > 0 ? m / med : 0,
            medianCILowNs: ci.lowNs, medianCIHighNs: ci.highNs, medianCICoverage: ci.coverage)
    }
}
