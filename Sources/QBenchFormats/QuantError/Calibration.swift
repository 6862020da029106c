// Post-training calibration of a per-tensor symmetric int8 scale: choose the clipping threshold T
// (scale = T/127) by min-max, a percentile of |x|, TensorRT-style entropy (KL divergence over a
// histogram), or a search for the clipping ratio of least squared error.
import Foundation
import QBenchSupport

/// How the clipping threshold is chosen.
public enum CalibrationMethod: String, CaseIterable, Codable, Sendable {
    /// T = max |x|: nothing clips, outliers stretch the step.
    case minMax = "min_max"
    /// T = the given percentile of |x| (99.99 by default).
    case percentile
    /// T minimizing KL(P || Q) between the |x| histogram and its 128-level quantization (TensorRT).
    case entropy
    /// T = r * max |x| for the ratio r minimizing the squared error of the quantized tensor.
    case mse
}

/// Settings of the calibration methods; the defaults are the usual ones.
public struct CalibrationOptions: Codable, Sendable, Equatable {
    /// Percentile of |x| for `.percentile`, in percent.
    public var percentile: Double = 99.99
    /// Histogram bins over [0, max|x|] for `.entropy`.
    public var bins: Int = 2048
    /// Quantized levels on one side of zero for `.entropy` (128 for int8, as TensorRT).
    public var levels: Int = 128
    /// Coarse ratio steps in (0, 1] for `.mse`; a 21-point refinement around the best follows.
    public var mseSteps: Int = 100

    public init(percentile: Double = 99.99, bins: Int = 2048, levels: Int = 128, mseSteps: Int = 100) {
        self.percentile = percentile; self.bins = bins; self.levels = levels; self.mseSteps = mseSteps
    }
}

/// The chosen threshold and scale, and the error of the tensor quantized with them.
public struct CalibrationResult: Codable, Sendable, Equatable {
    public var method: CalibrationMethod
    /// Clipping threshold T: values beyond ±T saturate to ±127.
    public var threshold: Double
    /// Quantization step T/127 (q = clamp(round_half_away(x/scale), -127, 127)).
    public var scale: Float
    public var metrics: ErrorMetrics
}

public enum Calibration {
    /// Calibrates a per-tensor int8 scale for `x` and measures the resulting error.
    /// - Throws: `QBError.other` for an empty tensor, non-finite values or options out of range.
    public static func calibrate(
        _ x: UnsafeBufferPointer<Float>, method: CalibrationMethod,
        options: CalibrationOptions = CalibrationOptions()
    ) throws -> CalibrationResult {
        guard x.count > 0 else { throw QBError.other("calibration: empty tensor") }
        if let bad = WeightFormat.firstNonFinite(x) {
            throw QBError.other("calibration: value \(x[bad]) at index \(bad) is not finite")
        }
        var amax: Float = 0
        for v in x { let a = abs(v); amax = amax > a ? amax : a }
        let threshold: Double
        switch method {
        case .minMax:
            threshold = Double(amax)
        case .percentile:
            guard options.percentile > 0, options.percentile <= 100 else {
                throw QBError.other("calibration: percentile \(options.percentile) is not in (0, 100]")
            }
            var mags = x.map { abs($0) }
            threshold = mags.withUnsafeMutableBufferPointer {
                Percentile.select($0, fraction: options.percentile / 100)
            }
        case .entropy:
            guard options.bins >= options.levels, options.levels >= 2 else {
                throw QBError.other("calibration: need bins (\(options.bins)) >= levels (\(options.levels)) >= 2")
            }
            threshold = entropyThreshold(x, amax: amax, bins: options.bins, levels: options.levels)
        case .mse:
            guard options.mseSteps >= 1 else { throw QBError.other("calibration: mseSteps must be >= 1") }
            threshold = mseThreshold(x, amax: amax, steps: options.mseSteps)
        }
        let scale = Float(threshold) / 127
        var y = [Float](repeating: 0, count: x.count)
        y.withUnsafeMutableBufferPointer { fakeQuantize(x, scale: scale, into: $0) }
        let metrics = try y.withUnsafeBufferPointer { try ErrorMetrics.compute(original: x, reconstructed: $0) }
        return CalibrationResult(method: method, threshold: threshold, scale: scale, metrics: metrics)
    }

    /// `calibrate` over an array.
    public static func calibrate(
        _ x: [Float], method: CalibrationMethod,
        options: CalibrationOptions = CalibrationOptions()
    ) throws -> CalibrationResult {
        try x.withUnsafeBufferPointer { try calibrate($0, method: method, options: options) }
    }

    /// Symmetric int8 quantize-dequantize with a given step: clamp(round_half_away(x/s), -127, 127) * s.
    public static func fakeQuantize(
        _ x: UnsafeBufferPointer<Float>, scale s: Float, into y: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(y.count >= x.count, "fakeQuantize: output shorter than input")
        if s == 0 {
            for i in 0..<x.count { y[i] = 0 }
            return
        }
        for i in 0..<x.count {
            y[i] = Float(Rounding.clamp(Rounding.roundHalfAway(x[i] / s), -127, 127)) * s
        }
    }

    /// Sum of squared errors of `fakeQuantize` at step `s`, in Double.
    static func squaredError(_ x: UnsafeBufferPointer<Float>, scale s: Float) -> Double {
        var acc = 0.0
        if s == 0 {
            for v in x { acc += Double(v) * Double(v) }
            return acc
        }
        for v in x {
            let q = Float(Rounding.clamp(Rounding.roundHalfAway(v / s), -127, 127)) * s
            let e = Double(v) - Double(q)
            acc += e * e
        }
        return acc
    }

    static func mseThreshold(_ x: UnsafeBufferPointer<Float>, amax: Float, steps: Int) -> Double {
        if amax == 0 { return 0 }
        var bestR = 1.0, bestErr = Double.infinity
        func tryRatio(_ r: Double) {
            guard r > 0, r <= 1 else { return }
            let e = squaredError(x, scale: Float(r * Double(amax)) / 127)
            if e < bestErr { bestErr = e; bestR = r }
        }
        // Largest ratio first so that ties keep the wider range.
        for j in stride(from: steps, through: 1, by: -1) { tryRatio(Double(j) / Double(steps)) }
        let step = 1 / Double(steps), coarse = bestR
        for j in -10...10 where j != 0 { tryRatio(coarse + Double(j) * step / 10) }
        return bestR * Double(amax)
    }

    /// TensorRT's entropy calibration on the |x| histogram: for each candidate threshold bin i
    /// (levels...bins), P = hist[0..<i] with the clipped tail added to its last bin, Q = hist[0..<i]
    /// merged into `levels` groups and spread back evenly over each group's non-empty bins; the
    /// threshold is the upper edge of the i minimizing KL(P || Q) (normalized; Q = 0 where P > 0
    /// replaced by 1e-4 smoothing so the divergence stays finite).
    static func entropyThreshold(_ x: UnsafeBufferPointer<Float>, amax: Float, bins: Int, levels: Int) -> Double {
        if amax == 0 { return 0 }
        var hist = [Double](repeating: 0, count: bins)
        let width = Double(amax) / Double(bins)
        for v in x {
            let b = Int(min(Double(bins - 1), (Double(abs(v)) / width).rounded(.down)))
            hist[b] += 1
        }
        var suffix = [Double](repeating: 0, count: bins + 1)  // suffix[i] = sum hist[i...]
        for i in stride(from: bins - 1, through: 0, by: -1) { suffix[i] = suffix[i + 1] + hist[i] }
        var bestI = bins, bestKL = Double.infinity
        var p = [Double](repeating: 0, count: bins), q = [Double](repeating: 0, count: bins)
        let eps = 1e-4
        for i in levels...bins {
            for b in 0..<i { p[b] = hist[b] }
            p[i - 1] += suffix[i]
            let merged = i / levels
            for g in 0..<levels {
                let start = g * merged, stop = g == levels - 1 ? i : start + merged
                var total = 0.0, nonzero = 0
                for b in start..<stop where hist[b] != 0 { total += hist[b]; nonzero += 1 }
                for b in start..<stop { q[b] = (hist[b] != 0 && nonzero > 0) ? total / Double(nonzero) : 0 }
            }
            var sp = 0.0, sq = 0.0
            for b in 0..<i { sp += p[b]; sq += q[b] }
            if sp == 0 || sq == 0 { continue }
            var kl = 0.0
            for b in 0..<i where p[b] > 0 {
                let pn = p[b] / sp
                let qn = q[b] > 0 ? q[b] / sq : eps
                kl += pn * log(pn / qn)
            }
            if kl < bestKL { bestKL = kl; bestI = i }
        }
        return Double(bestI) * width
    }
}
