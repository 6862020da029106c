// Whole-model figures from per-tensor rows. SQNR is a ratio of energies, so the model's SQNR is
// 10 log10(Σ signal / Σ noise) over its tensors; averaging per-tensor dB would let a small, easy tensor
// count as much as the embedding table. Pure functions of the rows, unit-tested by hand.
import Foundation
import QBenchFormats

public enum AccuracySummary {
    /// 10 log10(signal / noise) with the `ErrorMetrics` conventions: +inf when there is no noise, -inf
    /// when there is noise but no signal.
    public static func sqnrDb(signal: Double, noise: Double) -> Double {
        if noise == 0 { return .infinity }
        if signal == 0 { return -.infinity }
        return 10 * log10(signal / noise)
    }

    /// The summary of `format` over `tensors` (those that lack a result for it count as skipped).
    /// - Parameter modelBytes: every tensor of the model as stored; the covered tensors' stored bytes are
    ///   replaced by their bytes in `format`.
    public static func summarize(_ format: WeightFormat, tensors: [TensorAccuracy], modelBytes: Int) -> FormatSummary {
        var covered = 0, skipped = 0, elements = 0, bytes = 0, originalBytes = 0, allElements = 0
        var signal = 0.0, noise = 0.0, nmse = 0.0, cosine = 0.0
        for t in tensors {
            allElements += t.elementCount
            guard let r = t.result(format) else { skipped += 1; continue }
            covered += 1
            elements += t.elementCount
            bytes += r.bytes
            originalBytes += t.originalBytes
            signal += t.signalEnergy
            noise += r.noiseEnergy
            let n = Double(t.elementCount)
            nmse += n * r.metrics.nmse
            cosine += n * r.metrics.cosine
        }
        let n = Double(elements)
        return FormatSummary(
            format: format, tensors: covered, skippedTensors: skipped, elements: elements,
            coverage: allElements == 0 ? 0 : n / Double(allElements),
            bitsPerWeight: elements == 0 ? 0 : Double(bytes) * 8 / n,
            quantizedBytes: bytes, modelBytes: modelBytes - originalBytes + bytes,
            sqnrDb: elements == 0 ? .nan : sqnrDb(signal: signal, noise: noise),
            nmse: elements == 0 ? .nan : nmse / n, meanCosine: elements == 0 ? .nan : cosine / n,
            signalEnergy: signal, noiseEnergy: noise)
    }

    /// Summaries of every format, sorted by bits per weight (largest first), then SQNR (best first), then name.
    public static func summarize(
        _ formats: [WeightFormat], tensors: [TensorAccuracy], modelBytes: Int
    ) -> [FormatSummary] {
        formats.map { summarize($0, tensors: tensors, modelBytes: modelBytes) }
            .sorted {
                inDisplayOrder(($0.format, $0.bitsPerWeight, $0.sqnrDb), ($1.format, $1.bitsPerWeight, $1.sqnrDb))
            }
    }

    /// Bits per weight descending, then SQNR descending (NaN last), then the format name.
    static func inDisplayOrder(_ a: (WeightFormat, Double, Double), _ b: (WeightFormat, Double, Double)) -> Bool {
        if a.1 != b.1 { return a.1 > b.1 }
        let sa = a.2.isNaN ? -Double.infinity : a.2, sb = b.2.isNaN ? -Double.infinity : b.2
        if sa != sb { return sa > sb }
        return a.0.rawValue < b.0.rawValue
    }

    /// Weighted SQNR of `format` restricted to the tensors every format in `common` could take, so that
    /// formats with different block sizes are compared on the same weights. nil when no tensor qualifies.
    public static func commonSQNR(
        _ format: WeightFormat, over common: [WeightFormat], tensors: [TensorAccuracy]
    ) -> Double? {
        let shared = tensors.filter { t in common.allSatisfy { t.result($0) != nil } && t.result(format) != nil }
        guard !shared.isEmpty else { return nil }
        let signal = shared.reduce(0.0) { $0 + $1.signalEnergy }
        let noise = shared.reduce(0.0) { $0 + $1.result(format)!.noiseEnergy }
        return sqnrDb(signal: signal, noise: noise)
    }

    /// Per method over the calibrated tensors: SQNR from summed energies, element-weighted NMSE and cosine.
    public static func summarize(calibration tensors: [TensorCalibration]) -> [CalibrationMethodSummary] {
        CalibrationMethod.allCases.compactMap { method in
            var signal = 0.0, noise = 0.0, nmse = 0.0, cosine = 0.0, n = 0.0
            for t in tensors {
                guard let r = t.results.first(where: { $0.method == method }) else { continue }
                let e = Double(t.elementCount)
                signal += t.signalEnergy
                noise += r.metrics.rmse * r.metrics.rmse * e
                nmse += e * r.metrics.nmse
                cosine += e * r.metrics.cosine
                n += e
            }
            guard n > 0 else { return nil }
            return CalibrationMethodSummary(
                method: method, sqnrDb: sqnrDb(signal: signal, noise: noise),
                nmse: nmse / n, meanCosine: cosine / n)
        }
    }
}
