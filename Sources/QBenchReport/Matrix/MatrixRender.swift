// The renderers of `qbench matrix`: GitHub-flavoured Markdown, JSON (`qbench.matrix/1`) and CSV (RFC 4180), each a
// pure function of a `CompatibilityMatrix`.
import Foundation
import QBenchSupport

/// The output formats of `qbench matrix --format`.
public enum MatrixFormat: String, CaseIterable, Sendable {
    case md, html, json, csv
}

public enum MatrixRender {
    /// The matrix in `format`, ending with a newline.
    public static func render(_ m: CompatibilityMatrix, as format: MatrixFormat) throws -> Data {
        switch format {
        case .md: return Data(markdown(m).utf8)
        case .html: return Data(MatrixHTML.render(m).utf8)
        case .csv: return Data(csv(m).utf8)
        case .json: return try QBJSON.encode(m) + Data("\n".utf8)
        }
    }

    // MARK: Markdown

    /// Devices, then the kernel matrix, then the token estimates per model, then the notes.
    public static func markdown(_ m: CompatibilityMatrix) -> String {
        var out = "# Compatibility matrix\n\n"
        let priced = m.devices.contains { $0.pricePerHour != nil }
        out += "## Devices\n\n"
        var header = ["column", "CPU", "id", "ISA", "threads", "energy", "report"]
        if priced { header.append("USD/h") }
        var devices: [[String]] = []
        for (i, d) in m.devices.enumerated() {
            var row = [
                "\(i + 1)", d.cpuModel, "`\(d.shortId)`", isaText(d), d.threads.map { "\($0)" } ?? "-",
                d.energySource,
                "\(d.report) (\(d.startedAt), \(d.profile)\(d.quick ? ", quick" : ""))",
            ]
            if priced { row.append(d.pricePerHour.map { number($0) } ?? "-") }
            devices.append(row)
        }
        out += table(header, devices)

        out += "\n## Kernels\n\n"
        out +=
            "Best verified variant (dispatch preference) at each device's full-core thread count: GB/s for gemv, "
            + "GOP/s for gemm, over the benchmarked shapes, with the roofline fraction and the cache state.\n\n"
        let columns = m.devices.enumerated().map { "\($0 + 1): \(columnTitle($1))" }
        out += table(
            ["op", "format"] + columns, m.rows.map { ["\($0.op)", $0.weightFormat] + $0.cells.map(cellText) })

        if !m.estimates.isEmpty {
            out += "\n## Token estimates\n\n"
            out +=
                "Per model profile: decode and prefill tokens/s and decode J/token (energy source in brackets)"
                + (priced ? ", and decode tokens per USD" : "") + ", from each report's estimates at its largest "
                + "thread count.\n"
            var models: [String] = []
            for r in m.estimates where models.last != r.model { models.append(r.model) }
            for model in models {
                out += "\n### \(escape(model))\n\n"
                let rows = m.estimates.filter { $0.model == model }
                out += table(["format"] + columns, rows.map { [$0.format] + $0.cells.map(estimateText) })
            }
        }
        if let measured = m.measured, !measured.isEmpty {
            out += "\n## Model runs (measured)\n\n"
            out +=
                "Per model run end to end on the kernels (`qbench run --model`): prompt and generation tokens/s "
                + "(medians), generation J/token, and mean KL divergence from the f32 reference, at each device's "
                + "largest thread count.\n"
            var models: [String] = []
            for r in measured where models.last != r.model { models.append(r.model) }
            for model in models {
                out += "\n### \(escape(model))\n\n"
                let rows = measured.filter { $0.model == model }
                out += table(["format"] + columns, rows.map { [$0.format] + $0.cells.map(measuredText) })
            }
        }
        if !m.notes.isEmpty {
            out += "\n## Notes\n\n" + m.notes.map { "- \(escape($0))\n" }.joined()
        }
        return out
    }

    static func isaText(_ d: MatrixDevice) -> String {
        var s = d.isa ?? "none verified"
        var extra: [String] = []
        if let l = d.limit { extra.append(l) }
        if let t = d.cpuTier, t != d.isa { extra.append("CPU: \(t)") }
        if !extra.isEmpty { s += " (\(extra.joined(separator: "; ")))" }
        return s
    }

    static func columnTitle(_ d: MatrixDevice) -> String {
        "\(d.cpuModel) `\(d.shortId)` \(d.isa ?? "-")" + (d.limit.map { " [\($0)]" } ?? "")
    }

    /// `avx2: 12.3 GB/s, 92% of roofline (t8, cold)`, `scalar only: ...; avx2: unsupported: avx2, fma`,
    /// `unsupported: avx512f`, `crashed: SIGILL`, `avx2: not measured`.
    public static func cellText(_ c: MatrixCell) -> String {
        var s: String
        switch c.status {
        case .noKernel: return "no kernel"
        case .notRunning: return c.reason ?? "not running"
        case .notMeasured: s = "\(c.variant ?? "?")\(c.onlyScalar ? " only" : ""): not measured"
        case .measured:
            s = "\(c.variant ?? "?")\(c.onlyScalar ? " only" : ""): "
            s += c.throughput.map { "\(number($0)) \(c.unit ?? "")" } ?? "-"
            if let f = c.rooflineFraction { s += ", \(Int((f * 100).rounded()))% of roofline" }
            var how: [String] = []
            if let t = c.threads { how.append("t\(t)") }
            if let cache = c.cacheState { how.append(cache.rawValue) }
            if c.valid == false { how.append("invalid") }
            if !how.isEmpty { s += " (\(how.joined(separator: ", ")))" }
        }
        if let r = c.reason { s += "; \(r)" }
        return s
    }

    /// `decode 12.3 · prefill 456 tok/s · 0.81 J/tok (rapl) · 44.3k tok/USD`.
    public static func estimateText(_ c: MatrixEstimateCell) -> String {
        guard c.present else { return "-" }
        var parts = [
            "decode \(c.decodeTokensPerS.map(number) ?? "-")",
            "prefill \(c.prefillTokensPerS.map(number) ?? "-") tok/s",
        ]
        if let j = c.joulesPerToken { parts.append("\(number(j)) J/tok (\(c.energySource ?? "unknown"))") }
        if let t = c.tokensPerDollar { parts.append("\(compact(t)) tok/USD") }
        return parts.joined(separator: " · ")
    }

    /// `pp128 512 · tg32 80.1 tok/s · 0.12 J/tok (rapl) · KLD 2.5e-3 · t2`.
    public static func measuredText(_ r: LLMResult?) -> String {
        guard let r else { return "-" }
        var parts: [String] = []
        if let p = r.pp { parts.append("\(p.label) \(number(p.tokensPerS))") }
        if let g = r.tg { parts.append("\(g.label) \(number(g.tokensPerS)) tok/s") }
        if let j = r.tg?.joulesPerToken {
            parts.append("\(number(j)) J/tok (\(r.tg?.energySource?.rawValue ?? "unknown"))")
        }
        if let a = r.accuracy { parts.append("KLD " + String(format: "%.2e", a.kldMean)) }
        if r.speeds.contains(where: { $0.validity?.valid == false }) { parts.append("invalid") }
        parts.append("t\(r.threads)")
        return parts.joined(separator: " · ")
    }

    /// Three significant figures, without exponent for everyday magnitudes.
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        let a = abs(x)
        if a >= 100 { return String(format: "%.0f", x) }
        if a >= 10 { return String(format: "%.1f", x) }
        if a >= 1 { return String(format: "%.2f", x) }
        return String(format: "%.3g", x)
    }

    /// 44300 -> `44.3k`, 1.2e6 -> `1.20M`.
    public static func compact(_ x: Double) -> String {
        for (scale, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(x) >= scale {
            return number(x / scale) + suffix
        }
        return number(x)
    }

    /// A GitHub-flavoured table; `|` in cells is escaped and line breaks become spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String { "| " + cells.map(escape).joined(separator: " | ") + " |\n" }
        return line(header) + "|" + String(repeating: "---|", count: header.count) + "\n" + rows.map(line).joined()
    }

    static func escape(_ s: String) -> String {
        escapingLineBreaks(s).replacingOccurrences(of: "|", with: "\\|")
    }

    // MARK: CSV

    /// The CSV header: one row per (device, op, format) cell follows.
    public static let csvHeader = [
        "device", "device_id", "cpu_model", "isa", "limit", "op", "weight_format", "status", "variant",
        "activation_format", "only_scalar", "reason", "throughput", "unit", "threads", "cache_state", "shapes",
        "roofline_fraction", "valid",
    ]

    /// RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled.
    public static func csv(_ m: CompatibilityMatrix) -> String {
        var lines = [CSV.record(csvHeader)]
        let devices = Dictionary(m.devices.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for d in m.devices.map(\.key) {
            for r in m.rows {
                for c in r.cells where c.device == d {
                    let dev = devices[d]
                    lines.append(
                        CSV.record([
                            d, dev?.id ?? "", dev?.cpuModel ?? "", dev?.isa ?? "", dev?.limit ?? "", "\(r.op)",
                            r.weightFormat, c.status.rawValue, c.variant ?? "", c.activationFormat ?? "",
                            c.onlyScalar ? "true" : "false", c.reason ?? "", c.throughput.map { "\($0)" } ?? "",
                            c.unit ?? "", c.threads.map { "\($0)" } ?? "", c.cacheState?.rawValue ?? "",
                            c.shapes.map { "\($0)" } ?? "", c.rooflineFraction.map { "\($0)" } ?? "",
                            c.valid.map { $0 ? "true" : "false" } ?? "",
                        ]))
                }
            }
        }
        return lines.joined()
    }
}
