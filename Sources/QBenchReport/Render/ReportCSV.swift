// `qbench report --format csv`: one record per result with the fields people sort and plot by (RFC 4180).
public enum ReportCSV {
    public static let header = [
        "device_id", "key", "op", "weight_format", "activation_format", "variant", "m", "n", "k", "threads",
        "cache_state", "samples", "median_ns", "mad_ns", "p10_ns", "p90_ns", "gb_per_s", "gop_per_s",
        "roofline_fraction", "roofline_bound", "joules_per_call", "energy_source", "valid", "validity_reasons",
    ]

    public static func render(_ report: Report) -> String {
        var out = CSV.record(header)
        for r in report.results {
            out += CSV.record([
                report.device.id, r.key, "\(r.op)", r.weightFormat, r.activationFormat, r.variant,
                "\(r.shape.tokens)", "\(r.shape.outputs)", "\(r.shape.k)", "\(r.threads)", r.cacheState.rawValue,
                "\(r.samplesNs.count)", number(r.medianNs), number(r.madNs), number(r.p10Ns), number(r.p90Ns),
                number(r.throughput.gbPerS), number(r.throughput.gopPerS), r.roofline.map { number($0.fraction) } ?? "",
                r.roofline?.bound.rawValue ?? "", r.energy.map { number($0.joules) } ?? "",
                r.energy?.source.rawValue ?? "", r.validity.valid ? "true" : "false",
                r.validity.reasons.joined(separator: "; "),
            ])
        }
        return out
    }

    /// Full precision, no exponent for ordinary magnitudes (spreadsheets read both).
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }
}
