// Accuracy inside `qbench run`: each format's round-to-nearest error on tensors shaped like the profile's
// projections. Without a real checkpoint the weights are synthetic (seeded normal with a few outliers, the
// shape real LLM weights roughly have) and the tensor names say so; `qbench accuracy --model` measures real ones.
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchHarness
import QBenchProfiles
import QBenchReport

public enum RunAccuracy {
    /// - Parameter progress: one step per (model, projection, format).
    /// - Returns: one row per (format, tensor); formats whose block does not divide a tensor's row are skipped.
    public static func measure(
        profile: RunProfile, formats: [String], quick: Bool, interrupt: InterruptFlag?,
        progress: ProgressReporter? = nil
    ) throws -> [AccuracyRow] {
        let rows = quick ? 8 : 64
        var out: [AccuracyRow] = []
        var rng = SplitMix64(seed: 0xacc)
        let projections: [Projection] = [.q, .gate, .down]
        progress?.begin(phase: "accuracy", total: profile.models.count * projections.count * formats.count)
        defer { progress?.finish() }
        for model in profile.models {
            for p in projections {
                let k = model.weightShape(p).k
                guard k > 0 else { continue }
                var x = [Float](repeating: 0, count: rows * k)
                for i in x.indices {
                    // Normal, sigma 0.02 (typical of trained projections); 1 in 4096 an outlier at 10 sigma.
                    x[i] = Float(0.02 * rng.normal() * (rng.below(4096) == 0 ? 10 : 1))
                }
                let name = "synthetic-normal:\(model.name).\(p.rawValue) [\(rows)x\(k)]"
                for f in formats {
                    if interrupt?.isRaised == true { return out }
                    progress?.step("\(model.name).\(p.rawValue) \(f)")
                    guard let wf = WeightFormat(rawValue: f), (try? wf.validate(k: k)) != nil else { continue }
                    let y = try wf.roundTrip(x, rows: rows, k: k)
                    let m = try ErrorMetrics.compute(original: x, reconstructed: y)
                    out.append(
                        AccuracyRow(
                            format: f, method: "rtn", tensor: name, sqnrDb: m.sqnrDb, nmse: m.nmse,
                            cosine: m.cosine, maxAbsErr: m.maxAbsErr))
                }
            }
        }
        return out
    }
}
