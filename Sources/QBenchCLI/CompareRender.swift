// Markdown, CSV and JSON renderings of `qbench compare` and `qbench gate` (pure functions of their values).
import Foundation
import QBenchSupport
import QBenchReport

enum MarkdownTable {
    /// A GitHub-flavoured table; `right` columns are right-aligned. `|` and line breaks in cells are escaped.
    static func render(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> String {
        func cell(_ s: String) -> String {
            s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = "| " + header.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + header.indices.map { right.contains($0) ? " ---: |" : " --- |" }.joined() + "\n"
        for r in rows { out += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }
}

enum Fmt {
    /// 950 ns, 18.07 us, 1.736 ms, 2.10 s.
    static func time(_ ns: Double) -> String {
        guard ns.isFinite else { return "-" }
        if ns < 1e3 { return String(format: "%.0f ns", ns) }
        if ns < 1e6 { return String(format: "%.2f us", ns / 1e3) }
        if ns < 1e9 { return String(format: "%.3f ms", ns / 1e6) }
        return String(format: "%.2f s", ns / 1e9)
    }
    static func ratio(_ r: Double?) -> String { r.map { $0.isFinite ? String(format: "%.3f", $0) : "-" } ?? "-" }
    static func p(_ p: Double?) -> String {
        guard let p else { return "-" }
        return p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p)
    }
    static func g(_ x: Double?, _ digits: Int = 2) -> String {
        x.map { $0.isFinite ? String(format: "%.\(digits)f", $0) : "-" } ?? "-"
    }
    static func code(_ s: String) -> String { "`" + s.replacingOccurrences(of: "`", with: "'") + "`" }
}

enum CompareRender {
    static let direction =
        "ratio = candidate throughput / baseline throughput (baseline median / candidate median): "
        + "above 1 the candidate is faster, below 1 slower."

    static func markdown(_ c: Comparison) -> String {
        var out = "## qbench compare: \(Fmt.code(c.candidate)) against \(Fmt.code(c.base))\n\n"
        out += "\(direction.prefix(1).uppercased() + direction.dropFirst()) "
        out += "`~`: Mann-Whitney p >= \(Gate.num(c.significance)) on the raw samples (within noise).\n\n"
        if c.rows.isEmpty {
            out += "No result key in common.\n"
        } else {
            out += MarkdownTable.render(
                ["key", "baseline median", "candidate median", "ratio", "p", "samples"],
                c.rows.map { r in
                    [
                        r.key, Fmt.time(r.baseMedianNs), Fmt.time(r.candidateMedianNs),
                        Fmt.ratio(r.ratio) + (r.withinNoise ? " ~" : ""), Fmt.p(r.p),
                        "\(r.baseSamples) / \(r.candidateSamples)",
                    ]
                }, right: [1, 2, 3, 4, 5])
            out += "\nGeometric mean of ratios: **\(Fmt.ratio(c.geomean))** overall"
            let formats = c.geomeanByFormat.keys.sorted()
            if !formats.isEmpty {
                out += "; " + formats.map { "\($0) \(Fmt.ratio(c.geomeanByFormat[$0]))" }.joined(separator: ", ")
            }
            out += ".\n"
        }
        out += onlyLists(base: c.onlyInBase, candidate: c.onlyInCandidate)
        return out
    }

    static func onlyLists(base: [String], candidate: [String]) -> String {
        var out = ""
        if !base.isEmpty {
            out += "\nOnly in the baseline (\(base.count)): " + base.map(Fmt.code).joined(separator: ", ") + "\n"
        }
        if !candidate.isEmpty {
            out +=
                "\nOnly in the candidate (\(candidate.count)): "
                + candidate.map(Fmt.code).joined(separator: ", ") + "\n"
        }
        return out
    }

    static let csvHeader =
        "base,candidate,key,weight_format,base_median_ns,candidate_median_ns,ratio,p,within_noise,"
        + "base_samples,candidate_samples,side\n"

    static func csv(_ c: Comparison) -> String {
        var out = ""
        for r in c.rows {
            out +=
                [
                    c.base, c.candidate, r.key, r.weightFormat, "\(r.baseMedianNs)", "\(r.candidateMedianNs)",
                    "\(r.ratio)", r.p.map { "\($0)" } ?? "", r.withinNoise ? "true" : "false", "\(r.baseSamples)",
                    "\(r.candidateSamples)", "both",
                ].map(CSV.field).joined(separator: ",") + "\n"
        }
        for k in c.onlyInBase {
            out +=
                [c.base, c.candidate, k, "", "", "", "", "", "", "", "", "base_only"].map(CSV.field)
                .joined(separator: ",") + "\n"
        }
        for k in c.onlyInCandidate {
            out +=
                [c.base, c.candidate, k, "", "", "", "", "", "", "", "", "candidate_only"].map(CSV.field)
                .joined(separator: ",") + "\n"
        }
        return out
    }

    static func markdown(_ c: CrossDeviceComparison) -> String {
        var out = "## qbench compare --cross-device: \(Fmt.code(c.candidate)) against \(Fmt.code(c.base))\n\n"
        out += "Devices: baseline \(Fmt.code(c.baseDevice)), candidate \(Fmt.code(c.candidateDevice)). "
        out += "Each side's best verified variant per work at its highest thread count; "
        out += "ratio = candidate GOP/s / baseline GOP/s (above 1 the candidate device is faster).\n\n"
        if c.rows.isEmpty {
            out += "No work in common.\n"
        } else {
            out += MarkdownTable.render(
                [
                    "work", "baseline variant", "GB/s", "GOP/s", "roofline", "candidate variant", "GB/s", "GOP/s",
                    "roofline", "ratio",
                ],
                c.rows.map { r in
                    [
                        r.work, "\(r.base.variant) t\(r.base.threads)", Fmt.g(r.base.gbPerS), Fmt.g(r.base.gopPerS),
                        Fmt.g(r.base.rooflineFraction), "\(r.candidate.variant) t\(r.candidate.threads)",
                        Fmt.g(r.candidate.gbPerS), Fmt.g(r.candidate.gopPerS), Fmt.g(r.candidate.rooflineFraction),
                        Fmt.ratio(r.ratio),
                    ]
                }, right: [2, 3, 4, 6, 7, 8, 9])
            out += "\nGeometric mean of ratios: **\(Fmt.ratio(c.geomean))** overall"
            let formats = c.geomeanByFormat.keys.sorted()
            if !formats.isEmpty {
                out += "; " + formats.map { "\($0) \(Fmt.ratio(c.geomeanByFormat[$0]))" }.joined(separator: ", ")
            }
            out += ".\n"
        }
        if !c.estimates.isEmpty {
            out += "\n### Token estimates (candidate / baseline)\n\n"
            out += MarkdownTable.render(
                ["model", "format", "decode tok/s", "ratio", "prefill tok/s", "ratio"],
                c.estimates.map { e in
                    [
                        e.model, e.format,
                        "\(Fmt.g(e.baseDecodeTokensPerS, 1)) -> \(Fmt.g(e.candidateDecodeTokensPerS, 1))",
                        Fmt.ratio(e.decodeRatio),
                        "\(Fmt.g(e.basePrefillTokensPerS, 1)) -> \(Fmt.g(e.candidatePrefillTokensPerS, 1))",
                        Fmt.ratio(e.prefillRatio),
                    ]
                }, right: [2, 3, 4, 5])
        }
        out += onlyLists(base: c.onlyInBase, candidate: c.onlyInCandidate)
        return out
    }

    static let crossCSVHeader =
        "base,candidate,work,weight_format,base_variant,base_threads,base_gb_per_s,base_gop_per_s,base_roofline,"
        + "candidate_variant,candidate_threads,candidate_gb_per_s,candidate_gop_per_s,candidate_roofline,ratio\n"

    static func csv(_ c: CrossDeviceComparison) -> String {
        c.rows.map { r in
            [
                c.base, c.candidate, r.work, r.weightFormat, r.base.variant, "\(r.base.threads)", "\(r.base.gbPerS)",
                "\(r.base.gopPerS)", r.base.rooflineFraction.map { "\($0)" } ?? "", r.candidate.variant,
                "\(r.candidate.threads)", "\(r.candidate.gbPerS)", "\(r.candidate.gopPerS)",
                r.candidate.rooflineFraction.map { "\($0)" } ?? "", "\(r.ratio)",
            ].map(CSV.field).joined(separator: ",") + "\n"
        }.joined()
    }
}

enum GateRender {
    static func markdown(_ v: GateVerdict) -> String {
        let head = v.exitCode == 0 ? "PASS" : "FAIL, \(v.verdict)"
        var out = "**qbench gate: \(head) (exit \(v.exitCode))**\n\n"
        out += "Candidate \(Fmt.code(v.candidate)) against baseline \(Fmt.code(v.baseline))"
        if !v.device.isEmpty { out += " on device \(Fmt.code(v.device)), profile \(Fmt.code(v.profile))" }
        out += ".\n"
        if let p = v.policy {
            out += "\nLimits (\(p.source)): throughput loss above \(Gate.pct(p.maxThroughputRegression, sign: false)) "
            out += "with Mann-Whitney p < \(Gate.num(p.significance)); energy per call above "
            out += "+\(Gate.pct(p.maxEnergyRegression, sign: false)); SQNR drop above \(Fmt.g(p.maxSqnrDropDb)) dB.\n"
        }
        for n in v.notes { out += "\n> \(n)\n" }
        if !v.failures.isEmpty {
            out += "\n### Failures (\(v.failures.count))\n\n"
            out += MarkdownTable.render(
                ["exit", "check", "subject", "baseline", "candidate", "change", "evidence"],
                v.failures.map { c in
                    [
                        "\(c.failure ?? 0)", c.kind.rawValue, c.subject, value(c, c.base), value(c, c.candidate),
                        change(c), c.detail,
                    ]
                }, right: [0, 3, 4, 5])
        }
        if !v.passes.isEmpty {
            out += "\n<details><summary>\(v.passes.count) checks passed</summary>\n\n"
            out += MarkdownTable.render(
                ["check", "subject", "baseline", "candidate", "change", "p", "evidence"],
                v.passes.map { c in
                    [
                        c.kind.rawValue, c.subject, value(c, c.base), value(c, c.candidate), change(c),
                        c.kind == .throughput
                            ? Fmt.p(c.p) + ((c.p ?? 0) >= (v.policy?.significance ?? 0.05) ? " ~" : "") : "",
                        c.detail,
                    ]
                }, right: [2, 3, 4, 5])
            out += "\n</details>\n"
        }
        return out
    }

    static func value(_ c: GateCheck, _ x: Double?) -> String {
        guard let x else { return "" }
        switch c.kind {
        case .throughput: return Fmt.time(x)
        case .energy: return String(format: "%.3g J", x)
        case .decodeTokensPerS, .prefillTokensPerS: return Fmt.g(x, 1) + " tok/s"
        case .accuracy: return Gate.db(x) + " dB"
        case .kernel, .validity: return ""
        }
    }

    static func change(_ c: GateCheck) -> String {
        guard let x = c.change else { return "" }
        switch c.kind {
        case .throughput, .decodeTokensPerS, .prefillTokensPerS: return Gate.pct(-x)
        case .energy: return Gate.pct(x)
        case .accuracy: return "-" + Gate.db(x) + " dB"
        case .kernel, .validity: return ""
        }
    }
}
