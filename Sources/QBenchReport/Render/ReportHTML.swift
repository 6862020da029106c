// `qbench report --format html`: one self-contained page (inline CSS and SVG; no script, font or image from the
// network, so it opens from disk and in a CI artifact viewer): device card, the compatibility matrix as a heat map,
// the roofline chart, throughput per format and thread count, estimates, accuracy and validity.
import Foundation

public enum ReportHTML {
    public static func render(_ report: Report, path: String? = nil) -> String {
        let d = report.device
        let title = "qbench: \(report.run.profile) on \(d.cpu.model) (\(d.id))"
        var body = "<h1>\(esc(title))</h1>\n"
        if let path { body += "<p class=\"muted\">From <code>\(esc(path))</code>.</p>\n" }
        let valid = report.validity.valid
        body += "<p class=\"verdict \(valid ? "ok" : "bad")\">\(valid ? "VALID" : "INVALID")"
        body += report.run.interrupted ? " (interrupted: the run was stopped early)" : ""
        body += "</p>\n"
        body += deviceCard(report) + compatibility(report) + rooflineChart(report) + throughputByFormat(report)
        body += estimates(report) + llm(report) + accuracy(report) + validity(report)
        return page(title: title, body: body)
    }

    /// The page frame shared with the matrix page.
    public static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title>
        <style>
        \(css)
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    static let css = """
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1b1f24; }
        h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d0d7de; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: #57606a; } code { font-size: 12px; }
        .verdict { font-weight: bold; font-size: 16px; } .ok { color: #1a7f37; } .bad { color: #cf222e; }
        td.cell { font-size: 12px; min-width: 70px; }
        .s-verified { background: #dafbe1; } .s-mismatch { background: #ff8182; } .s-crashed { background: #fd8c73; }
        .s-timeout { background: #fbca04; } .s-unverified { background: #fff8c5; }
        .s-unsupported { background: #eaeef2; color: #57606a; } .s-not_built { background: #f6f8fa; color: #8c959f; }
        .legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #d0d7de; }
        .bar { background: #54aeff; height: 10px; display: inline-block; vertical-align: middle; }
        svg text { font: 11px system-ui, sans-serif; fill: #1b1f24; }
        """

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
        var out = "<table>\n"
        if header.contains(where: { !$0.isEmpty }) {
            out += "<tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
        }
        for r in rows {
            out += "<tr>"
            for (i, c) in r.enumerated() {
                out += numeric.contains(i) ? "<td class=\"num\">\(c)</td>" : "<td>\(c)</td>"
            }
            out += "</tr>\n"
        }
        return out + "</table>\n"
    }

    static func deviceCard(_ r: Report) -> String {
        let d = r.device, t = d.topology
        let quick = r.run.quick ? " (quick)" : ""
        let caches = t.caches.map {
            "L\($0.level)\($0.type == "unified" ? "" : String($0.type.prefix(1))) \(ReportMarkdown.bytes($0.sizeBytes))"
        }
        let rows: [[String]] = [
            ["CPU", esc("\(d.cpu.vendor) \(d.cpu.model) (\(d.cpu.arch))")], ["device id", "<code>\(esc(d.id))</code>"],
            ["topology", "\(t.packages) package(s), \(t.cores) cores, \(t.pus) PUs, \(t.numaNodes) NUMA node(s)"],
            ["caches", esc(caches.joined(separator: ", "))],
            ["features", esc(d.cpu.features.map(\.rawValue).joined(separator: " "))],
            ["OS", esc("\(d.os.name) \(d.os.kernel)")],
            ["run", esc("qbench \(r.run.qbenchVersion), profile \(r.run.profile)\(quick), \(r.run.startedAt)")],
            ["energy", esc(r.energy.detail)],
        ]
        return "<h2>Device</h2>\n" + table(["", ""], rows)
    }

    static func compatibility(_ r: Report) -> String {
        let t = CompatibilityTable.make(r)
        guard !t.rows.isEmpty else { return "<h2>Compatibility</h2>\n<p>No kernels in this report.</p>\n" }
        var out = "<h2>Compatibility</h2>\n<p class=\"legend\">"
        for s in ["verified", "mismatch", "crashed", "timeout", "unverified", "unsupported", "not_built"] {
            out += "<span class=\"s-\(s)\">\(s)</span>"
        }
        out += "</p>\n<p class=\"muted\">Verified cells measured in this run show the best median throughput at the "
        out += "largest thread count and their roofline fraction; the green deepens with the fraction.</p>\n"
        out += "<table class=\"matrix\">\n<tr><th>op</th><th>weights</th><th>activations</th>"
        out += t.variants.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
        for row in t.rows {
            out += "<tr><td>\(row.op)</td><td>\(esc(row.weightFormat))</td><td>\(esc(row.activationFormat))</td>"
            for v in t.variants {
                guard let c = row.cells[v] else {
                    out += "<td class=\"cell muted\">-</td>"
                    continue
                }
                out += cell(c)
            }
            out += "</tr>\n"
        }
        return out + "</table>\n"
    }

    /// A heat-map cell: status colour, and for measured verified variants a green whose depth is the roofline
    /// fraction.
    static func cell(_ c: CompatibilityCell) -> String {
        let status = c.status.rawValue
        guard c.status == .verified, let b = c.best else {
            let why = c.why.map { "<br><span class=\"muted\">\(esc(shortWhy($0)))</span>" } ?? ""
            return "<td class=\"cell s-\(status)\" title=\"\(esc(status + (c.why.map { ": \($0)" } ?? "")))\">"
                + "\(esc(status))\(why)</td>"
        }
        let roof = b.roofline.map { "<br>\(Fmt.percent($0.fraction)) of roofline" } ?? ""
        return "<td class=\"cell\" style=\"\(heatStyle(b.roofline?.fraction))\" title=\"\(esc(b.key))\">"
            + "\(esc(CompatibilityTable.headlineText(b))) t\(b.threads)\(roof)</td>"
    }

    /// The heat-map colours of a measured cell: from pale (#dafbe1) to deep (#2da44e) green with the roofline
    /// fraction (clamped to 0...1), white text on the deeper greens.
    static func heatStyle(_ fraction: Double?) -> String {
        let f = min(max(fraction ?? 0, 0), 1)
        func mix(_ a: Int, _ z: Int) -> Int { a + Int(Double(z - a) * f) }
        let colour = String(format: "#%02x%02x%02x", mix(0xda, 0x2d), mix(0xfb, 0xa4), mix(0xe1, 0x4e))
        return "background:\(colour);color:\(f > 0.6 ? "#ffffff" : "#1b1f24")"
    }

    /// "needs avx512f avx512bw avx512vl avx512dq avx512_vnni" as "needs avx512_vnni +4" in a cell (the last
    /// feature is the one that names the variant; the full list is in the cell's tooltip).
    static func shortWhy(_ why: String) -> String {
        guard why.hasPrefix("needs ") else { return why }
        let features = why.dropFirst(6).split(separator: " ")
        guard features.count > 2, let last = features.last else { return why }
        return "needs \(last) +\(features.count - 1)"
    }

    static let palette = [
        "#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0550ae", "#bf3989", "#116329", "#953800",
        "#6639ba", "#57606a", "#a40e26",
    ]

    /// Log-log roofline: the measured read bandwidths (at the largest thread count) as slopes, every measured peak
    /// as a ceiling, every result as a point coloured by weight format with its key as a tooltip.
    static func rooflineChart(_ r: Report) -> String {
        let points = r.results.filter { $0.opsPerCall > 0 && $0.bytesPerCall > 0 && $0.medianNs > 0 }
        guard let threads = (r.roofline.bandwidth.map(\.threads) + r.roofline.peaks.map(\.threads)).max(),
            !points.isEmpty
        else { return "<h2>Roofline</h2>\n<p>Not measured in this run.</p>\n" }
        let bws = r.roofline.bandwidth.filter { $0.threads == threads && $0.gbPerS > 0 }
        var peaks: [String: PeakPoint] = [:]
        for p in r.roofline.peaks where p.threads == threads && p.gopPerS > 0 {
            if (peaks[p.family]?.gopPerS ?? 0) < p.gopPerS { peaks[p.family] = p }
        }
        let ais = points.map { $0.opsPerCall / $0.bytesPerCall }
        let perf = points.map { $0.throughput.gopPerS }
        let xLo = pow(10, floor(log10(max(ais.min()! / 2, 1e-3)))), xHi = pow(10, ceil(log10(ais.max()! * 4)))
        let maxPeak = peaks.values.map(\.gopPerS).max() ?? perf.max()!
        let yLo = pow(10, floor(log10(max(perf.min()! / 2, 1e-3)))), yHi = pow(10, ceil(log10(maxPeak * 1.5)))
        let w = 760.0, h = 420.0, left = 60.0, right = 150.0, top = 16.0, bottom = 40.0
        func x(_ v: Double) -> Double {
            left + (log10(v) - log10(xLo)) / (log10(xHi) - log10(xLo)) * (w - left - right)
        }
        func y(_ v: Double) -> Double {
            h - bottom - (log10(v) - log10(yLo)) / (log10(yHi) - log10(yLo)) * (h - top - bottom)
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func line(
            _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ style: String, _ tip: String? = nil
        )
            -> String
        {
            let end = tip.map { "><title>\(esc($0))</title></line>" } ?? "/>"
            return "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" \(style)\(end)\n"
        }
        func text(_ tx: Double, _ ty: Double, _ content: String, anchor: String = "start") -> String {
            "<text x=\"\(f(tx))\" y=\"\(f(ty))\" text-anchor=\"\(anchor)\">\(esc(content))</text>\n"
        }
        let grid = "stroke=\"#eaeef2\""
        var svg = "<svg class=\"roofline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" "
        svg += "height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"roofline chart\">\n"
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(w - left - right))\" "
        svg += "height=\"\(f(h - top - bottom))\" fill=\"#ffffff\" stroke=\"#d0d7de\"/>\n"
        var decade = xLo
        while decade <= xHi * 1.0001 {
            svg += line(x(decade), top, x(decade), h - bottom, grid)
            svg += text(x(decade), h - bottom + 14, Fmt.num(decade), anchor: "middle")
            decade *= 10
        }
        decade = yLo
        while decade <= yHi * 1.0001 {
            svg += line(left, y(decade), w - right, y(decade), grid)
            svg += text(left - 4, y(decade) + 4, Fmt.num(decade), anchor: "end")
            decade *= 10
        }
        svg += text((left + w - right) / 2, h - 6, "arithmetic intensity (operations per byte)", anchor: "middle")
        svg += "<text transform=\"translate(14 \(f((top + h - bottom) / 2))) rotate(-90)\" "
        svg += "text-anchor=\"middle\">GOP/s</text>\n"
        // Bandwidth slopes: GOP/s = intensity x GB/s, from the left edge to where they meet the highest peak.
        for bw in bws.sorted(by: { $0.gbPerS > $1.gbPerS }) {
            let x1 = min(xHi, maxPeak / bw.gbPerS), y1 = x1 * bw.gbPerS
            guard y1 > yLo else { continue }
            let sx = max(xLo, yLo / bw.gbPerS)
            let tip = "\(bw.level) read \(Fmt.num(bw.gbPerS)) GB/s, \(bw.threads) threads"
            svg += line(x(sx), y(sx * bw.gbPerS), x(x1), y(y1), "stroke=\"#57606a\" stroke-dasharray=\"5 3\"", tip)
            // Labelled at the left end, where the slopes are furthest apart.
            svg += text(x(sx) + 4, y(sx * bw.gbPerS) - 4, "\(bw.level) \(Fmt.num(bw.gbPerS)) GB/s")
        }
        for p in peaks.values.sorted(by: { $0.gopPerS > $1.gopPerS }) {
            let tip = "\(p.family) peak \(Fmt.num(p.gopPerS)) GOP/s (\(p.variant))"
            svg += line(left, y(p.gopPerS), w - right, y(p.gopPerS), "stroke=\"#8c959f\"", tip)
            svg += text(w - right + 4, y(p.gopPerS) + 4, "\(p.family) peak \(Fmt.num(p.gopPerS))")
        }
        let formats = Array(Set(points.map(\.weightFormat))).sorted()
        for (p, ai) in zip(points, ais) {
            let colour = palette[(formats.firstIndex(of: p.weightFormat) ?? 0) % palette.count]
            let shape = p.op == .gemm ? "rect" : "circle"
            let cx = x(ai), cy = y(p.throughput.gopPerS)
            let tip =
                "\(p.key): \(Fmt.num(p.throughput.gopPerS)) GOP/s, \(Fmt.num(p.throughput.gbPerS)) GB/s"
                + (p.roofline.map { ", \(Fmt.percent($0.fraction)) of roofline" } ?? "")
            if shape == "rect" {
                svg += "<rect x=\"\(f(cx - 4))\" y=\"\(f(cy - 4))\" width=\"8\" height=\"8\" fill=\"\(colour)\" "
            } else {
                svg += "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"4\" fill=\"\(colour)\" "
            }
            svg += "fill-opacity=\"0.75\"><title>\(esc(tip))</title></\(shape)>\n"
        }
        // Legend: formats by colour (circles are gemv, squares gemm).
        for (i, fmt) in formats.enumerated() {
            let ly = top + 128 + Double(i) * 14
            svg += "<circle cx=\"\(f(w - right + 12))\" cy=\"\(f(ly))\" r=\"4\" "
            svg += "fill=\"\(palette[i % palette.count])\"/>\n"
            svg += text(w - right + 20, ly + 4, fmt)
        }
        svg += "</svg>\n"
        return "<h2>Roofline</h2>\n<p class=\"muted\">Ceilings measured in this run at \(threads) thread(s): read "
            + "bandwidth per level (dashed slopes) and peak rates (lines). Circles are gemv results, squares gemm; "
            + "hover for the key.</p>\n" + svg
    }

    static func throughputByFormat(_ r: Report) -> String {
        struct Group: Hashable { var op: String, format: String, threads: Int }
        var best: [Group: ResultRow] = [:]
        for x in r.results {
            let g = Group(op: "\(x.op)", format: x.weightFormat, threads: x.threads)
            if best[g].map({ CompatibilityTable.headline($0) < CompatibilityTable.headline(x) }) ?? true { best[g] = x }
        }
        guard !best.isEmpty else { return "" }
        let top = Dictionary(grouping: best.values, by: { "\($0.op)" }).mapValues {
            $0.map(CompatibilityTable.headline).max() ?? 1
        }
        let rows = best.keys.sorted { ($0.op, $0.format, $0.threads) < ($1.op, $1.format, $1.threads) }.map {
            g -> [String] in
            let x = best[g]!
            let width = Int(160 * CompatibilityTable.headline(x) / max(top[g.op] ?? 1, 1e-12))
            return [
                g.op, esc(g.format), "\(g.threads)", esc(x.variant),
                "<span class=\"bar\" style=\"width:\(width)px\"></span> \(esc(CompatibilityTable.headlineText(x)))",
                Fmt.percent(x.roofline?.fraction),
            ]
        }
        return "<h2>Throughput per format and thread count</h2>\n<p class=\"muted\">The fastest variant's best shape; "
            + "GB/s for gemv (memory-bound), GOP/s for gemm.</p>\n"
            + table(["op", "weights", "threads", "variant", "throughput", "roofline"], rows, numeric: [2, 5])
    }

    static func estimates(_ r: Report) -> String {
        guard !r.estimates.isEmpty else { return "" }
        let rows = r.estimates.map { e -> [String] in
            [
                esc(e.model), esc(e.format), "\(e.threads)", Fmt.num(e.decodeTokensPerS),
                "\(Fmt.num(e.prefillTokensPerS)) (\(e.promptLength))", Fmt.num(e.joulesPerToken),
                esc(e.energySource?.rawValue ?? "-"),
            ]
        }
        return "<h2>Estimates (linear layers only)</h2>\n"
            + table(
                ["model", "format", "threads", "decode tok/s", "prefill tok/s (prompt)", "J/token", "energy"], rows,
                numeric: [2, 3, 4, 5])
            + "<p class=\"muted\">\(esc(r.estimates[0].note))</p>\n"
    }

    static func llm(_ r: Report) -> String {
        guard let results = r.llm, !results.isEmpty else { return "" }
        let (header, rows) = LLMTable.cells(results)
        let numeric = Set(header.indices.filter { header[$0].hasSuffix("t/s") || header[$0] == "threads" })
        var out = "<h2>Model runs (measured)</h2>\n" + table(header, rows.map { $0.map(esc) }, numeric: numeric)
        if let line = LLMTable.referenceLine(results) { out += "<p class=\"muted\">\(esc(line))</p>\n" }
        let invalid = LLMTable.invalidReasons(results)
        if !invalid.isEmpty { out += "<ul>\n" + invalid.map { "<li>\(esc($0))</li>\n" }.joined() + "</ul>\n" }
        return out
    }

    static func accuracy(_ r: Report) -> String {
        guard !r.accuracy.isEmpty else { return "" }
        let rows = r.accuracy.map {
            [esc($0.format), esc($0.method), esc($0.tensor), Fmt.num($0.sqnrDb), Fmt.num($0.nmse), Fmt.num($0.cosine)]
        }
        return "<h2>Accuracy</h2>\n"
            + table(["format", "method", "tensor", "SQNR dB", "NMSE", "cosine"], rows, numeric: [3, 4, 5])
    }

    static func validity(_ r: Report) -> String {
        var out =
            r.validity.valid
            ? "<h2>Validity</h2>\n<p class=\"ok\">Every result is valid.</p>\n"
            : "<h2>Validity</h2>\n<ul>\n" + r.validity.reasons.map { "<li>\(esc($0))</li>\n" }.joined() + "</ul>\n"
        let again = r.results.compactMap { x in
            Fmt.retake(x).map { "<li><code>\(esc(x.key))</code>: \(esc($0))</li>\n" }
        }
        if !again.isEmpty {
            out +=
                "<p>Measured again at the end of the run (first attempt not valid):</p>\n<ul>\n" + again.joined()
                + "</ul>\n"
        }
        return out
    }
}
