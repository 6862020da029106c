// `qbench report --format gab`: github-action-benchmark's `customBiggerIsBetter` input (a JSON array of
// {name, unit, value, range, extra}), so the existing GitHub Action charts each figure's history per commit.
import Foundation
import QBenchSupport

public struct GABEntry: Codable, Sendable, Equatable {
    public var name: String
    public var unit: String
    public var value: Double
    /// The spread, as the action shows it: "± MAD" of the headline figure.
    public var range: String?
    public var extra: String?
}

public enum GitHubActionBenchmark {
    /// Per result its headline throughput (GOP/s for gemm, GB/s for gemv), then per estimate decode and prefill
    /// tokens/s. Invalid results are kept and say so in `extra` (the chart should show the point, marked).
    public static func entries(_ report: Report) -> [GABEntry] {
        var out: [GABEntry] = []
        for r in report.results {
            let headline = CompatibilityTable.headline(r)
            let unit = r.op == .gemm ? "GOP/s" : "GB/s"
            // MAD of the time, carried to the throughput at the median: value * MAD / median.
            let spread = r.medianNs > 0 ? headline * r.madNs / r.medianNs : 0
            var extra = "median \(Fmt.duration(ns: r.medianNs)) over \(r.samplesNs.count) samples"
            if let f = r.roofline?.fraction { extra += "; \(Fmt.percent(f)) of roofline (\(r.roofline!.bound))" }
            extra += "; device \(report.device.id) (\(report.device.cpu.model))"
            if !r.validity.valid { extra += "; INVALID: " + r.validity.reasons.joined(separator: "; ") }
            out.append(
                GABEntry(name: r.key, unit: unit, value: headline, range: "± \(Fmt.num(spread))", extra: extra))
        }
        for e in report.estimates {
            let base = "estimate/\(e.model)/\(e.format)/t\(e.threads)"
            let note = "linear layers only; energy source \(e.energySource?.rawValue ?? "none")"
            if let v = e.decodeTokensPerS {
                out.append(GABEntry(name: base + "/decode", unit: "tokens/s", value: v, range: nil, extra: note))
            }
            if let v = e.prefillTokensPerS {
                out.append(
                    GABEntry(
                        name: base + "/prefill\(e.promptLength)", unit: "tokens/s", value: v, range: nil, extra: note))
            }
        }
        return out
    }

    public static func render(_ report: Report) throws -> Data {
        // Plain keys (name, unit, ...) as the action reads them; finite values only (JSON has no infinity).
        try QBJSON.encode(entries(report).filter { $0.value.isFinite }, pretty: true)
    }
}
