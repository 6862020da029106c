// Quantization error of a reconstructed tensor against its original, in double precision.
// This is what `accuracy` rows in a report carry (sqnr_db, nmse, cosine, max_abs_err, ...).
import Foundation
import QBenchSupport

/// Error statistics of `reconstructed` against `original` (same length). All sums are in Double.
///
/// Edge cases, so that every field is defined:
/// - identical inputs (including all-zero ones): `sqnrDb` = +inf, `nmse` = 0, `cosine` = 1;
/// - an all-zero original with a non-zero reconstruction: `sqnrDb` = -inf, `nmse` = +inf;
/// - cosine with exactly one all-zero vector: 0;
/// - `maxRelErr` = max |x - x̂| / |x| over elements with x != 0 (zeros are skipped: their error
///   shows in `maxAbsErr`); 0 when every x is 0;
/// - any NaN or infinity in either input makes every field NaN (`count` and `nonFinite` stay exact).
/// Infinities encode through `QBJSON` as "inf" / "-inf".
public struct ErrorMetrics: Codable, Sendable, Equatable {
    /// 10 log10(sum x^2 / sum (x - x̂)^2), in dB.
    public var sqnrDb: Double
    /// sum (x - x̂)^2 / sum x^2.
    public var nmse: Double
    /// x·x̂ / (|x| |x̂|).
    public var cosine: Double
    /// max |x - x̂|.
    public var maxAbsErr: Double
    /// max |x - x̂| / |x| over x != 0.
    public var maxRelErr: Double
    /// sqrt(mean (x - x̂)^2).
    public var rmse: Double
    /// Median of |x - x̂| (linear interpolation between order statistics).
    public var p50AbsErr: Double
    /// 95th percentile of |x - x̂| (linear interpolation between order statistics).
    public var p95AbsErr: Double
    /// Number of elements compared.
    public var count: Int
    /// Elements where either input was NaN or infinite.
    public var nonFinite: Int

    public init(
        sqnrDb: Double, nmse: Double, cosine: Double, maxAbsErr: Double, maxRelErr: Double, rmse: Double,
        p50AbsErr: Double, p95AbsErr: Double, count: Int, nonFinite: Int = 0
    ) {
        self.sqnrDb = sqnrDb; self.nmse = nmse; self.cosine = cosine; self.maxAbsErr = maxAbsErr
        self.maxRelErr = maxRelErr; self.rmse = rmse; self.p50AbsErr = p50AbsErr; self.p95AbsErr = p95AbsErr
        self.count = count; self.nonFinite = nonFinite
    }

    /// Compares two equally long float buffers.
    /// - Throws: `QBError.other` when the lengths differ or the buffers are empty.
    public static func compute(
        original x: UnsafeBufferPointer<Float>, reconstructed y: UnsafeBufferPointer<Float>
    ) throws -> ErrorMetrics {
        guard x.count == y.count else {
            throw QBError.other("error metrics: original has \(x.count) values, reconstruction \(y.count)")
        }
        guard x.count > 0 else { throw QBError.other("error metrics: nothing to compare (0 values)") }
        let n = x.count
        var sx2 = 0.0, sy2 = 0.0, sxy = 0.0, se2 = 0.0, maxAbs = 0.0, maxRel = 0.0
        var bad = 0
        var absErr = [Float](repeating: 0, count: n)
        absErr.withUnsafeMutableBufferPointer { ae in
            for i in 0..<n {
                let a = Double(x[i]), b = Double(y[i])
                if !a.isFinite || !b.isFinite { bad += 1; continue }
                let e = a - b
                let ab = abs(e)
                sx2 += a * a; sy2 += b * b; sxy += a * b; se2 += e * e
                if ab > maxAbs { maxAbs = ab }
                if a != 0 {
                    let r = ab / abs(a)
                    if r > maxRel { maxRel = r }
                }
                ae[i] = Float(ab)
            }
        }
        if bad > 0 {
            return ErrorMetrics(
                sqnrDb: .nan, nmse: .nan, cosine: .nan, maxAbsErr: .nan, maxRelErr: .nan, rmse: .nan,
                p50AbsErr: .nan, p95AbsErr: .nan, count: n, nonFinite: bad)
        }
        let sqnr: Double, nmse: Double
        if se2 == 0 {
            sqnr = .infinity; nmse = 0
        } else if sx2 == 0 {
            sqnr = -.infinity; nmse = .infinity
        } else {
            sqnr = 10 * log10(sx2 / se2); nmse = se2 / sx2
        }
        let cosine: Double
        if sx2 == 0 && sy2 == 0 {
            cosine = 1
        } else if sx2 == 0 || sy2 == 0 {
            cosine = 0
        } else {
            cosine = max(-1, min(1, sxy / (sx2.squareRoot() * sy2.squareRoot())))
        }
        let (p50, p95) = absErr.withUnsafeMutableBufferPointer { ae in
            (Percentile.select(ae, fraction: 0.50), Percentile.select(ae, fraction: 0.95))
        }
        return ErrorMetrics(
            sqnrDb: sqnr, nmse: nmse, cosine: cosine, maxAbsErr: maxAbs, maxRelErr: maxRel,
            rmse: (se2 / Double(n)).squareRoot(), p50AbsErr: p50, p95AbsErr: p95, count: n)
    }

    /// `compute` over arrays.
    public static func compute(original: [Float], reconstructed: [Float]) throws -> ErrorMetrics {
        try original.withUnsafeBufferPointer { x in
            try reconstructed.withUnsafeBufferPointer { y in try compute(original: x, reconstructed: y) }
        }
    }
}
