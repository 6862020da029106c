// `qbench report --format openmetrics`: the report's figures as OpenMetrics gauges, for Prometheus (or anything
// that reads the text exposition format) to scrape from a file. Base units as the format asks: seconds, bytes,
// joules; rates as "per second" gauges.
import Foundation

public enum OpenMetrics {
    struct Family {
        var name: String
        var help: String
        var unit: String?
        var samples: [(labels: [(String, String)], value: Double)] = []
    }

    public static func render(_ report: Report) -> String {
        let device = report.device.id
        var median = Family(name: "qbench_median_seconds", help: "Median time of one call.", unit: "seconds")
        var gbps = Family(
            name: "qbench_throughput_gb_per_s", help: "10^9 bytes moved per second at the median time.", unit: nil)
        var gops = Family(
            name: "qbench_throughput_gop_per_s", help: "10^9 operations per second at the median time.", unit: nil)
        var roof = Family(
            name: "qbench_roofline_fraction", help: "Achieved over attainable under the measured roofline.", unit: nil)
        var joules = Family(name: "qbench_energy_joules", help: "Energy of one call.", unit: "joules")
        var valid = Family(name: "qbench_result_valid", help: "1 when the result met the validity limits.", unit: nil)
        var kernel = Family(
            name: "qbench_kernel_verified", help: "1 when the variant ran and agreed with the reference.", unit: nil)
        var decode = Family(
            name: "qbench_decode_tokens_per_s", help: "Estimated decode tokens per second (linear layers).",
            unit: nil)
        var prefill = Family(
            name: "qbench_prefill_tokens_per_s", help: "Estimated prefill tokens per second (linear layers).",
            unit: nil)
        var runValid = Family(name: "qbench_run_valid", help: "1 when every result of the run is valid.", unit: nil)

        for r in report.results {
            let labels = [
                ("device", device), ("key", r.key), ("op", "\(r.op)"), ("weight_format", r.weightFormat),
                ("variant", r.variant), ("threads", "\(r.threads)"), ("cache_state", r.cacheState.rawValue),
            ]
            median.samples.append((labels, r.medianNs / 1e9))
            gbps.samples.append((labels, r.throughput.gbPerS))
            gops.samples.append((labels, r.throughput.gopPerS))
            if let f = r.roofline?.fraction { roof.samples.append((labels, f)) }
            if let e = r.energy { joules.samples.append((labels + [("source", e.source.rawValue)], e.joules)) }
            valid.samples.append((labels, r.validity.valid ? 1 : 0))
        }
        for k in report.kernels {
            kernel.samples.append(
                (
                    [
                        ("device", device), ("op", "\(k.op)"), ("weight_format", k.weightFormat),
                        ("activation_format", k.activationFormat), ("variant", k.variant),
                        ("status", k.status.rawValue),
                    ], k.status == .verified ? 1 : 0
                ))
        }
        for e in report.estimates {
            let labels = [("device", device), ("model", e.model), ("format", e.format), ("threads", "\(e.threads)")]
            if let v = e.decodeTokensPerS { decode.samples.append((labels, v)) }
            if let v = e.prefillTokensPerS {
                prefill.samples.append((labels + [("prompt_length", "\(e.promptLength)")], v))
            }
        }
        runValid.samples.append(([("device", device), ("profile", report.run.profile)], report.validity.valid ? 1 : 0))

        var out = ""
        for f in [median, gbps, gops, roof, joules, valid, kernel, decode, prefill, runValid] where !f.samples.isEmpty {
            out += "# TYPE \(f.name) gauge\n"
            if let unit = f.unit { out += "# UNIT \(f.name) \(unit)\n" }
            out += "# HELP \(f.name) \(escape(f.help, quote: false))\n"
            // A label set may appear once per family: the first sample of a duplicated key wins.
            var seen = Set<String>()
            for s in f.samples {
                let set = s.labels.map { "\($0.0)=\"\(escape($0.1, quote: true))\"" }.joined(separator: ",")
                guard seen.insert(set).inserted else { continue }
                out += "\(f.name){\(set)} \(value(s.value))\n"
            }
        }
        return out + "# EOF\n"
    }

    /// OpenMetrics escaping: backslash and newline everywhere, double quotes in label values.
    static func escape(_ s: String, quote: Bool) -> String {
        var t = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
        if quote { t = t.replacingOccurrences(of: "\"", with: "\\\"") }
        return t
    }

    static func value(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return "\(v)"
    }
}
