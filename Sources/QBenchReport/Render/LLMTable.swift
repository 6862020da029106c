// The measured model table (`qbench llm`, and the `llm` section of a report's Markdown and HTML): one row per
// (model, format, threads) with each speed test's median tokens/s ± MAD, joules per token, and the accuracy figures.
import Foundation

public enum LLMTable {
    /// Header and rows, cells unescaped. Speed tests are the union over the results, in first-seen order; a result
    /// without a test shows "-". An invalid speed test is marked "(invalid)"; its reasons are in `invalidReasons`.
    static func cells(_ results: [LLMResult]) -> (header: [String], rows: [[String]]) {
        var tests: [String] = []
        for r in results { for s in r.speeds where !tests.contains(s.label) { tests.append(s.label) } }
        let acc = results.contains { $0.accuracy != nil }
        let multiModel = Set(results.map(\.model)).count > 1
        var header = (multiModel ? ["model"] : []) + ["format", "threads", "bits/weight", "MB"]
        header += tests.map { "\($0) t/s" } + ["J/token (tg)"]
        if acc { header += ["PPL", "mean KLD", "p99 KLD", "top-1 %"] }
        header += ["gemv / gemm"]
        let rows = results.map { r -> [String] in
            var row = (multiModel ? [r.model] : []) + [r.format, "\(r.threads)"]
            row += [String(format: "%.2f", r.bitsPerWeight), String(format: "%.0f", Double(r.matrixBytes) / 1e6)]
            for t in tests {
                guard let s = r.speeds.first(where: { $0.label == t }) else {
                    row.append("-")
                    continue
                }
                let mark = s.validity?.valid == false ? " (invalid)" : ""
                row.append(String(format: "%.1f ± %.1f", s.tokensPerS, s.madTokensPerS) + mark)
            }
            row.append(r.tg?.joulesPerToken.map { Fmt.num($0) + " " + (r.tg?.energySource?.rawValue ?? "") } ?? "-")
            if acc {
                if let a = r.accuracy {
                    row += [
                        String(format: "%.3f", a.perplexity), String(format: "%.2e", a.kldMean),
                        String(format: "%.2e", a.kldP99), String(format: "%.2f", 100 * a.top1Agreement),
                    ]
                } else {
                    row += ["-", "-", "-", "-"]
                }
            }
            row.append("\(r.gemv) / \(r.gemm)")
            return row
        }
        return (header, rows)
    }

    /// "format tN ppN: reason" for every invalid speed test.
    static func invalidReasons(_ results: [LLMResult]) -> [String] {
        results.flatMap { r in
            r.speeds.flatMap { s in
                (s.validity?.valid == false ? s.validity?.reasons ?? [] : []).map {
                    "\(r.format) t\(r.threads) \(s.label): \($0)"
                }
            }
        }
    }

    /// The reference perplexity line, when accuracy was scored.
    static func referenceLine(_ results: [LLMResult]) -> String? {
        guard let r = results.first(where: { $0.referencePerplexity != nil }), let ppl = r.referencePerplexity,
            let a = r.accuracy
        else { return nil }
        return String(format: "f32 reference perplexity %.4f", ppl)
            + " over \(a.tokensScored) tokens in \(a.chunks) chunks" + (r.text.map { " of \($0)" } ?? "") + "."
    }

    /// A Markdown table, then the reference perplexity and any invalid tests, one line each.
    public static func markdown(_ results: [LLMResult]) -> String {
        let (header, rows) = cells(results)
        var out = MD.table(header, rows)
        if let line = referenceLine(results) { out += "\n" + line + "\n" }
        let invalid = invalidReasons(results)
        if !invalid.isEmpty { out += "\nInvalid:\n" + invalid.map { "- \($0)\n" }.joined() }
        return out
    }
}

extension LLMSpeed {
    /// "pp128", "tg32".
    public var label: String { "\(test)\(tokens)" }
}
