// The human rendering of an accuracy report: the per-format summary, then (verbose) every tensor, the
// calibration methods and the mixed-precision plan. A pure function of the report.
import Foundation
import QBenchFormats
import QBenchAccuracy
import QBenchSupport

enum AccuracyTable {
    static func render(_ r: AccuracyReport, verbose: Bool = false) -> String {
        var out = ""
        let m = r.model
        out += "Model     \(m.path)\n"
        out +=
            "          \(m.container.rawValue), \(m.tensorCount) tensors, \(count(m.parameterCount)) parameters, "
            + "\(megabytes(m.tensorBytes)) of tensors\n"
        var scope = "\(m.matrixTensors) weight matrices (\(count(m.matrixElements)) elements)"
        if let p = r.tensorFilter { scope += " of the \(m.selectedTensors) tensors matching /\(p)/" }
        out += "Analysed  \(scope) in \(String(format: "%.1f", r.elapsedSeconds)) s\n"
        for n in r.notes { out += "Note      \(n)\n" }
        out += "\n"

        out += table(
            ["format", "bits/w", "SQNR dB", "NMSE", "cosine", "model MB", "tensors"],
            r.summary.map { s in
                [
                    s.format.rawValue, fixed(s.bitsPerWeight, 3), fixed(s.sqnrDb, 2), sci(s.nmse),
                    fixed(s.meanCosine, 6),
                    fixed(Double(s.modelBytes) / 1e6, 2), "\(s.tensors)/\(s.tensors + s.skippedTensors)",
                ]
            }, rightAligned: [1, 2, 3, 4, 5, 6])
        out +=
            "SQNR = 10 log10(Σ signal / Σ noise) over each format's tensors; "
            + "NMSE and cosine weighted by tensor size; "
            + "model MB = those tensors in the format, the rest as stored.\n"

        if verbose {
            out += "\nPer tensor\n"
            var rows: [[String]] = []
            for t in r.tensors {
                let head = "\(t.name) \(t.rows)x\(t.cols) (\(t.source))"
                for (i, x) in t.results.enumerated() {
                    rows.append([
                        i == 0 ? head : "", x.format.rawValue, fixed(x.bitsPerWeight, 3), fixed(x.metrics.sqnrDb, 2),
                        sci(x.metrics.nmse), fixed(x.metrics.cosine, 6), sci(x.metrics.maxAbsErr),
                        sci(x.metrics.p95AbsErr), "",
                    ])
                }
                for (i, s) in t.skipped.enumerated() {
                    rows.append([
                        t.results.isEmpty && i == 0 ? head : "", s.format.rawValue, "-", "-", "-", "-", "-", "-",
                        "skipped: \(s.reason)",
                    ])
                }
            }
            out += table(
                ["tensor", "format", "bits/w", "SQNR dB", "NMSE", "cosine", "max|err|", "p95|err|", ""], rows,
                rightAligned: [2, 3, 4, 5, 6, 7])
            if !r.skippedTensors.isEmpty {
                out += "\nSkipped tensors\n"
                out += table(
                    ["tensor", "type", "shape", "reason"],
                    r.skippedTensors.map { [$0.name, $0.storedType, "\($0.shape)", $0.reason] }, rightAligned: [])
            }
        }

        if let c = r.calibration {
            out +=
                "\nCalibration: int8 per tensor, scale = T/127 with the clip threshold T of each method; "
                + "\(c.tensors.count) largest tensors, SQNR dB\n"
            let methods = CalibrationMethod.allCases
            var rows = c.tensors.map { t in
                [t.name]
                    + methods.map { m in t.results.first { $0.method == m }.map { fixed($0.metrics.sqnrDb, 2) } ?? "-" }
            }
            rows.append(
                ["weighted"]
                    + methods.map { m in c.summary.first { $0.method == m }.map { fixed($0.sqnrDb, 2) } ?? "-" })
            out += table(["tensor"] + methods.map(\.rawValue), rows, rightAligned: Array(1...methods.count))
        }

        if let p = r.mixedPrecision {
            out +=
                "\nMixed precision, budget \(fixed(p.budgetBits, 2)) bits/weight: "
                + "\(fixed(p.bitsPerWeight, 3)) bits/weight, "
                + "SQNR \(fixed(p.sqnrDb, 2)) dB, \(p.upgrades) upgrades from the smallest formats"
                + (p.withinBudget ? "" : " (over budget: the smallest candidates already exceed it)") + "\n"
            out +=
                "  formats: " + p.formatCounts.map { "\($0.format.rawValue) x\($0.tensors)" }.joined(separator: ", ")
                + "\n"
            // The uniform formats that fit the same budget, and the smallest one that does not.
            let fitting = p.uniform.filter { $0.bitsPerWeight <= p.budgetBits }
            let over = p.uniform.filter { $0.bitsPerWeight > p.budgetBits }
            let above = over.filter { $0.bitsPerWeight == over.last?.bitsPerWeight }.max { $0.sqnrDb < $1.sqnrDb }
            let shown = verbose ? p.uniform : (above.map { [$0] } ?? []) + fitting
            if !shown.isEmpty {
                out +=
                    "  uniform on the same tensors: "
                    + shown.map { "\($0.format.rawValue) \(fixed($0.bitsPerWeight, 2)) b/w \(fixed($0.sqnrDb, 2)) dB" }
                    .joined(separator: ", ") + "\n"
            }
            if !p.excludedTensors.isEmpty {
                out += "  excluded (no candidate fits): \(p.excludedTensors.joined(separator: ", "))\n"
            }
            if verbose {
                out += table(
                    ["tensor", "format", "bits/w", "SQNR dB"],
                    p.assignments.map {
                        [$0.tensor, $0.format.rawValue, fixed($0.bitsPerWeight, 3), fixed($0.sqnrDb, 2)]
                    },
                    rightAligned: [2, 3])
            }
        }

        if let w = r.written {
            out +=
                "\nWrote     \(w.path) (\(w.format.rawValue), \(megabytes(w.bytes))): "
                + "\(w.quantizedTensors) tensors quantized, "
                + "\(w.copiedTensors.count) copied as stored"
                + (w.omittedTensors.isEmpty ? "" : ", \(w.omittedTensors.count) left out (no GGUF type)") + "\n"
        }
        return out
    }

    static func table(_ header: [String], _ rows: [[String]], rightAligned: [Int]) -> String {
        var t = TextTable(header, rightAligned: Set(rightAligned))
        t.rows = rows
        return t.render()
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.\(digits)f", v)
    }

    static func sci(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == 0 { return "0" }
        return String(format: "%.3e", v)
    }

    static func count(_ n: Int) -> String {
        if n >= 1_000_000_000 { return String(format: "%.2fG", Double(n) / 1e9) }
        if n >= 1_000_000 { return String(format: "%.2fM", Double(n) / 1e6) }
        if n >= 10_000 { return String(format: "%.1fK", Double(n) / 1e3) }
        return "\(n)"
    }

    static func megabytes(_ n: Int) -> String { String(format: "%.2f MB", Double(n) / 1e6) }
}
