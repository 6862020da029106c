// The Mann-Whitney U test (Wilcoxon rank-sum), two-sided, with the method choice, tie correction and continuity
// correction of `scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="auto")` (scipy 1.17):
//
// - exact when either sample has at most 8 values and there are no ties: p = 2 P(U >= max(U1, U2)) under the
//   null distribution of U (every ordering of the pooled values equally likely), clipped to 1;
// - otherwise the normal approximation: z = (max(U1, U2) - n1 n2 / 2 - 0.5) / s with
//   s^2 = n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))) over tie groups of size t, p = 2 (1 - Phi(z)),
//   clipped to 1.
//
// Tests/Fixtures/mannwhitney/pairs.json holds scipy's p-values for sample pairs (Tests/Scripts/mannwhitney_fixture.py)
// and a test checks these functions against them.
import Foundation

public enum MannWhitney {
    /// How the p-value was computed.
    public enum Method: String, Codable, Sendable {
        case exact, asymptotic
    }

    /// The outcome of one two-sided test.
    public struct Result: Sendable, Equatable {
        /// U of the first sample: the number of (x, y) pairs with x > y, ties counting one half.
        public var u1: Double
        /// Two-sided p-value in [0, 1].
        public var p: Double
        public var method: Method
    }

    /// scipy's "auto" rule: exact when either sample has at most this many values and nothing ties.
    public static let exactMaxSmallerSize = 8

    /// Two-sided test of `x` against `y` (integers, e.g. nanoseconds per call).
    public static func test(_ x: [UInt64], _ y: [UInt64]) -> Result? {
        test(x.map(Double.init), y.map(Double.init))
    }

    /// Two-sided test of `x` against `y`.
    /// - Returns: nil when a sample is empty or a value is NaN.
    public static func test(_ x: [Double], _ y: [Double]) -> Result? {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0, !x.contains(where: \.isNaN), !y.contains(where: \.isNaN) else { return nil }
        // Average ranks of the pooled sample (1-based) and the sizes of the tie groups.
        let pooled = (x.map { ($0, true) } + y.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var r1 = 0.0
        var tieTerm = 0.0
        var hasTies = false
        var i = 0
        while i < pooled.count {
            var j = i
            while j + 1 < pooled.count && pooled[j + 1].0 == pooled[i].0 { j += 1 }
            let t = Double(j - i + 1)
            let rank = Double(i + j + 2) / 2
            for k in i...j where pooled[k].1 { r1 += rank }
            if j > i {
                hasTies = true
                tieTerm += t * t * t - t
            }
            i = j + 1
        }
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let u = max(u1, u2)
        let exact = min(n1, n2) <= exactMaxSmallerSize && !hasTies
        let p: Double
        if exact {
            p = 2 * exactSF(Int(u.rounded()), n1: n1, n2: n2)
        } else {
            p = 2 * normalSF(z(u: u, n1: n1, n2: n2, tieTerm: tieTerm))
        }
        return Result(u1: u1, p: min(max(p, 0), 1), method: exact ? .exact : .asymptotic)
    }

    /// The smallest two-sided p-value the test can give for these sample sizes: the two samples fully separated,
    /// with no ties. When it is above a significance level, no data of these sizes can be significant at it.
    public static func minimumP(n1: Int, n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return 1 }
        let u = n1 * n2
        if min(n1, n2) <= exactMaxSmallerSize { return min(1, 2 * exactSF(u, n1: n1, n2: n2)) }
        return min(1, 2 * normalSF(z(u: Double(u), n1: n1, n2: n2, tieTerm: 0)))
    }

    /// The standardized statistic with tie and continuity correction (scipy's `_get_mwu_z`).
    static func z(u: Double, n1: Int, n2: Int, tieTerm: Double) -> Double {
        let a = Double(n1), b = Double(n2), n = a + b
        let s = (a * b / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
        let numerator = u - a * b / 2 - 0.5
        // s is 0 only when every value is equal; then U is n1 n2 / 2 and the numerator -0.5: z = -inf, p = 1.
        return numerator / s
    }

    /// 1 - Phi(z) for the standard normal, accurate in the upper tail.
    static func normalSF(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// P(U >= k) under the null distribution for samples of `n1` and `n2` values without ties.
    ///
    /// The number of orderings with U = j is the coefficient of q^j in the Gaussian binomial
    /// [n1 + n2 choose m]_q (m = the smaller size), built as the product over i = 1...m of
    /// (1 - q^(n + i)) / (1 - q^i) with n the larger size; dividing by the binomial coefficient gives probabilities.
    /// Summed from the nearer end, using the symmetry of the distribution (U and n1 n2 - U are equally likely).
    static func exactSF(_ k: Int, n1: Int, n2: Int) -> Double {
        let m = min(n1, n2), n = max(n1, n2)
        let top = m * n
        if k <= 0 { return 1 }
        if k > top { return 0 }
        let freq = frequencies(m: m, n: n)
        let total = freq.reduce(0, +)
        // P(U >= k) = P(U <= top - k); sum the shorter side.
        let kc = top - k
        if kc < k {
            return freq[0...kc].reduce(0, +) / total
        }
        return 1 - freq[0..<k].reduce(0, +) / total
    }

    /// Coefficients 0...m n of the Gaussian binomial [m + n choose m]_q (orderings per value of U).
    static func frequencies(m: Int, n: Int) -> [Double] {
        let top = m * n
        var c = [Double](repeating: 0, count: top + 1)
        c[0] = 1
        guard m > 0 else { return c }
        for i in 1...m {
            // Multiply by (1 - q^(n + i)), highest degree first so every term reads the old coefficient.
            let shift = n + i
            if shift <= top {
                for d in stride(from: top, through: shift, by: -1) { c[d] -= c[d - shift] }
            }
            // Divide by (1 - q^i): a running sum with stride i (exact: the quotient is a polynomial).
            if i <= top {
                for d in i...top { c[d] += c[d - i] }
            }
        }
        return c
    }
}
