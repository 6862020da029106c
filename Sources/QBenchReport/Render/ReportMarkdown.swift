// `qbench report --format md`: one report as a Markdown page a person reads (GitHub-flavoured tables).
import Foundation
import QBenchDevice

public enum ReportMarkdown {
    public static func render(_ report: Report, path: String? = nil) -> String {
        let d = report.device
        var out = "# qbench report: \(report.run.profile) on \(d.cpu.model) (\(d.id))\n\n"
        if let path { out += "From `\(path)`.\n\n" }
        out += "**Validity: \(report.validity.valid ? "VALID" : "INVALID")**"
        if report.run.interrupted { out += " (interrupted: the run was stopped early)" }
        out += "\n\n"
        out += run(report) + device(report) + compatibility(report) + roofline(report) + results(report)
        out += estimates(report) + llm(report) + energy(report) + accuracy(report) + validity(report)
        return out
    }

    static func run(_ r: Report) -> String {
        var rows: [[String]] = [
            ["qbench", r.run.qbenchVersion + (r.run.provenance?.build.commit.map { " (\($0.prefix(12)))" } ?? "")],
            ["profile", "\(r.run.profile) (\(r.run.profileSource))" + (r.run.quick ? ", quick timing" : "")],
            ["started", r.run.startedAt], ["finished", r.run.finishedAt ?? "never (interrupted)"],
        ]
        for w in r.run.warnings ?? [] { rows.append(["warning", w]) }
        return "## Run\n\n" + MD.table(["", ""], rows) + "\n"
    }

    static func device(_ r: Report) -> String {
        let d = r.device, t = d.topology
        let caches = t.caches.map {
            "L\($0.level)\($0.type == "unified" ? "" : $0.type.prefix(1)) \(bytes($0.sizeBytes))"
        }
        let rows: [[String]] = [
            ["CPU", "\(d.cpu.vendor) \(d.cpu.model) (\(d.cpu.arch))"],
            ["device id", d.id],
            ["topology", "\(t.packages) package(s), \(t.cores) cores, \(t.pus) PUs, \(t.numaNodes) NUMA node(s)"],
            ["caches", caches.joined(separator: ", ")],
            ["features", d.cpu.features.map(\.rawValue).joined(separator: " ")],
            ["OS", "\(d.os.name) \(d.os.kernel)"],
        ]
        return "## Device\n\n" + MD.table(["", ""], rows) + "\n"
    }

    static func compatibility(_ r: Report) -> String {
        let table = CompatibilityTable.make(r)
        guard !table.rows.isEmpty else { return "## Compatibility\n\nNo kernels in this report.\n\n" }
        var out = "## Compatibility\n\n"
        out += "Per variant: its status; for a verified variant measured in this run, its best median throughput at "
        out += "the largest thread count it ran with, and the fraction of its roofline ceiling.\n\n"
        let rows = table.rows.map { row -> [String] in
            ["\(row.op)", row.weightFormat, row.activationFormat]
                + table.variants.map { v in
                    guard let c = row.cells[v] else { return "-" }
                    guard c.status == .verified else { return c.status.rawValue + (c.why.map { ": \($0)" } ?? "") }
                    guard let b = c.best else { return "verified" }
                    let roof = b.roofline.map { ", \(Fmt.percent($0.fraction)) of roofline" } ?? ""
                    return "verified, \(CompatibilityTable.headlineText(b)) t\(b.threads)\(roof)"
                }
        }
        out += MD.table(["op", "weights", "activations"] + table.variants, rows)
        return out + "\n"
    }

    static func roofline(_ r: Report) -> String {
        guard !r.roofline.bandwidth.isEmpty || !r.roofline.peaks.isEmpty else { return "" }
        var out = "## Roofline (measured in this run)\n\n"
        out += MD.table(
            ["level", "threads", "working set", "read GB/s"],
            r.roofline.bandwidth.map { [$0.level, "\($0.threads)", bytes($0.workingSetBytes), Fmt.num($0.gbPerS)] })
        out += "\n"
        out += MD.table(
            ["family", "threads", "instruction set", "peak GOP/s"],
            r.roofline.peaks.map { [$0.family, "\($0.threads)", $0.variant, Fmt.num($0.gopPerS)] })
        return out + "\n"
    }

    static func results(_ r: Report) -> String {
        guard !r.results.isEmpty else { return "## Results\n\nNo results.\n\n" }
        let rows = r.results.map { x -> [String] in
            [
                x.key, "\(x.samplesNs.count)", Fmt.duration(ns: x.medianNs),
                x.medianNs > 0 ? Fmt.percent(x.madNs / x.medianNs) : "-", Fmt.num(x.throughput.gbPerS),
                Fmt.num(x.throughput.gopPerS), x.roofline.map { "\(Fmt.percent($0.fraction)) \($0.bound)" } ?? "-",
                x.energy.map { "\(Fmt.num($0.joules)) J (\($0.source))" } ?? "-",
                x.validity.valid ? "yes" : "no: " + x.validity.reasons.joined(separator: "; "),
            ]
        }
        return "## Results\n\n"
            + MD.table(
                ["key", "samples", "median", "MAD", "GB/s", "GOP/s", "roofline", "energy/call", "valid"], rows)
            + "\n"
    }

    static func estimates(_ r: Report) -> String {
        guard !r.estimates.isEmpty else { return "" }
        let rows = r.estimates.map { e -> [String] in
            [
                e.model, e.format, "\(e.threads)", Fmt.num(e.decodeTokensPerS),
                "\(Fmt.num(e.prefillTokensPerS)) (\(e.promptLength) tokens)", Fmt.num(e.joulesPerToken),
                e.energySource?.rawValue ?? "-",
                e.missing.isEmpty ? "" : "missing: " + e.missing.joined(separator: ", "),
            ]
        }
        var out = "## Estimates (linear layers only)\n\n"
        out += MD.table(
            ["model", "format", "threads", "decode tok/s", "prefill tok/s", "J/token", "energy", "note"], rows)
        if let note = r.estimates.first?.note { out += "\n" + note + "\n" }
        return out + "\n"
    }

    static func llm(_ r: Report) -> String {
        guard let results = r.llm, !results.isEmpty else { return "" }
        return "## Model runs (measured)\n\n" + LLMTable.markdown(results) + "\n"
    }

    static func energy(_ r: Report) -> String {
        var out = "## Energy\n\nSource: **\(r.energy.source.rawValue)**: \(r.energy.detail)\n"
        for reason in r.energy.fallbackReasons { out += "- not used: \(reason)\n" }
        return out + "\n"
    }

    static func accuracy(_ r: Report) -> String {
        guard !r.accuracy.isEmpty else { return "" }
        let rows = r.accuracy.map {
            [$0.format, $0.method, $0.tensor, Fmt.num($0.sqnrDb), Fmt.num($0.nmse), Fmt.num($0.cosine)]
        }
        return "## Accuracy\n\n" + MD.table(["format", "method", "tensor", "SQNR dB", "NMSE", "cosine"], rows) + "\n"
    }

    static func validity(_ r: Report) -> String {
        let head =
            r.validity.valid
            ? "## Validity\n\nEvery result is valid.\n"
            : "## Validity\n\nINVALID:\n\n" + r.validity.reasons.map { "- \($0)\n" }.joined()
        guard let again = retaken(r) else { return head }
        return head + "\nMeasured again at the end of the run (first attempt not valid):\n\n" + again
    }

    /// One line per result measured again (`Fmt.retake`); nil when there was no retake.
    static func retaken(_ r: Report) -> String? {
        let lines = r.results.compactMap { x in Fmt.retake(x).map { "- `\(x.key)`: \($0)\n" } }
        return lines.isEmpty ? nil : lines.joined()
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 30, n % (1 << 30) == 0 { return "\(n >> 30) GiB" }
        if n >= 1 << 20, n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10, n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) B"
    }
}
