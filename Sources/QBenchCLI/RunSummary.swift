// The terminal summary of `qbench run`: per format the best variant on the representative shapes, the
// device's ceilings, the model estimates and the verification matrix. The JSON report holds everything.
import Foundation
import QBenchSupport
import QBenchKernels
import QBenchReport
import QBenchFormats

enum RunSummary {
    static func render(_ r: Report) -> String {
        var out = ""
        let d = r.device
        out +=
            "QuantBench run: \(r.run.profile) on \(d.cpu.model) (\(d.topology.cores) cores, device \(d.id))"
            + "\(r.run.quick ? " [quick]" : "")\n"
        if let plan = r.run.dispatch, plan != "static" { out += "Kernel plan: \(plan)\n" }
        out += "\n"

        // Ceilings.
        let threadCounts = Array(Set(r.roofline.bandwidth.map(\.threads) + r.roofline.peaks.map(\.threads))).sorted()
        if !threadCounts.isEmpty {
            out += "Roofline (measured ceilings: best of repetitions)\n"
            for t in threadCounts {
                let bw = r.roofline.bandwidth.filter { $0.threads == t }.map { "\($0.level) \(f1($0.gbPerS)) GB/s" }
                let families = Dictionary(grouping: r.roofline.peaks.filter { $0.threads == t }, by: \.family)
                let pk = families.keys.sorted().compactMap { k in
                    families[k]!.max { $0.gopPerS < $1.gopPerS }.map { "\(k) \(f0($0.gopPerS)) GOP/s (\($0.variant))" }
                }
                out += "  t\(t): " + bw.joined(separator: ", ") + "\n       " + pk.joined(separator: ", ") + "\n"
            }
            out += "\n"
        }

        // Per format: best result for the largest decode and prefill shape at the most threads.
        let maxT = r.results.map(\.threads).max() ?? 1
        out +=
            "Per format at t\(maxT) (largest per-layer shape; gemv weights cold, gemm warm; "
            + "roofline: against the run's best\n"
        out += "ceilings; adjacent: against the same ceiling re-measured just before and after the result)\n"
        var perFormat = TextTable(
            [
                "format", "op", "shape", "variant", "median", "GB/s", "GOP/s", "roofline", "adjacent",
                "energy",
            ], rightAligned: [4, 5, 6], indent: "  ")
        let formats = uniq(r.results.map(\.weightFormat))
        var disturbed = false
        for op in KernelOp.matrix {
            let shapes = r.results.filter { $0.op == op && $0.shape.tokens == (op == .gemv ? 1 : $0.shape.tokens) }
                .filter { !(op == .gemv && $0.shape.outputs > 4 * $0.shape.k) }  // lm_head is not a per-layer shape
            guard let biggest = shapes.max(by: { $0.shape.ops < $1.shape.ops })?.shape else { continue }
            for f in formats {
                guard
                    let best = r.results.filter({
                        $0.op == op && $0.weightFormat == f && $0.shape == biggest && $0.threads == maxT
                    })
                    .min(by: { $0.medianNs < $1.medianNs })
                else { continue }
                let roof = best.roofline.map { "\(pct($0.fraction)) \($0.bound.rawValue)" } ?? "-"
                let energy = best.energy.map { "\($0.source.rawValue) \(String(format: "%.3g", $0.joules)) J" } ?? "-"
                // "*": the caches were slower than at the run's start while this result was measured.
                let adj = best.adjacent.map { pct($0.fraction) + (($0.l2ReadVsRun ?? 1) < 0.8 ? "*" : "") } ?? "-"
                perFormat.append([
                    f, op.rawValue, "\(best.shape)", best.variant, ms(best.medianNs),
                    f1(best.throughput.gbPerS), f1(best.throughput.gopPerS), roof, adj,
                    energy + (best.validity.valid ? "" : " INVALID"),
                ])
                if (best.adjacent?.l2ReadVsRun ?? 1) < 0.8 { disturbed = true }
            }
        }
        out += perFormat.render()
        if disturbed {
            out +=
                "  * L2 read bandwidth measured next to the result was below 80% of the run's: "
                + "the caches were disturbed\n"
            out += "    (e.g. a busy SMT sibling on a shared host), so that result understates the kernel\n"
        }
        out += "\n"

        // Estimates.
        let est = r.estimates.filter { $0.threads == maxT }
        if !est.isEmpty {
            out += "Model estimates at t\(maxT) (linear projections only: attention, norms, sampling excluded)\n"
            var table = TextTable(
                ["model", "format", "decode tok/s", "ms/token", "prefill tok/s", "J/token"],
                rightAligned: [2, 3, 4, 5], indent: "  ")
            for e in est {
                table.append([
                    e.model, e.format, e.decodeTokensPerS.map(f1) ?? "-", e.decodeMsPerToken.map(f1) ?? "-",
                    e.prefillTokensPerS.map(f1) ?? "-", e.joulesPerToken.map { String(format: "%.3g", $0) } ?? "-",
                ])
            }
            out += table.render()
            out +=
                "  energy source: \(r.energy.source.rawValue)"
                + "\(r.energy.source == .modeled ? " (a model, not a measurement)" : "")\n\n"
        }
        if let llm = r.llm, !llm.isEmpty {
            out += "Model run end to end (measured; KLD against the f32 reference)\n"
            var table = TextTable(
                ["model", "format", "threads", "pp tok/s", "tg tok/s", "J/token (tg)", "mean KLD", "top-1"],
                rightAligned: [2, 3, 4, 5, 6, 7], indent: "  ")
            for e in llm {
                table.append([
                    e.model, e.format, "\(e.threads)", e.pp.map { f1($0.tokensPerS) } ?? "-",
                    e.tg.map { f1($0.tokensPerS) } ?? "-",
                    e.tg?.joulesPerToken.map { String(format: "%.3g", $0) } ?? "-",
                    e.accuracy.map { String(format: "%.2e", $0.kldMean) } ?? "-",
                    e.accuracy.map { String(format: "%.1f%%", 100 * $0.top1Agreement) } ?? "-",
                ])
            }
            out += table.render() + "\n"
        }

        // Verification.
        let byStatus = Dictionary(grouping: r.kernels, by: \.status)
        out +=
            "Kernels: "
            + KernelStatus.allCases.compactMap { s in byStatus[s].map { "\($0.count) \(s.rawValue)" } }.joined(
                separator: ", ") + "\n"
        for k in r.kernels where k.status == .mismatch || k.status == .crashed || k.status == .timeout {
            out +=
                "  \(k.status.rawValue): \(k.op) \(k.weightFormat) \(k.variant)\(k.signal.map { " (\($0))" } ?? "")\n"
        }
        let variants = uniq(r.kernels.filter { $0.status == .verified }.map(\.variant))
        out += "  verified variants: \(variants.joined(separator: " "))\n"
        // Where measurement disagrees with the static plan by more than 10% (dispatch_check in the report).
        for c in r.dispatchCheck ?? [] where c.fastest != c.planned && (c.speedup ?? 0) > 1.1 {
            out +=
                "  measured: \(c.op) \(c.weightFormat) \(c.shape) t\(c.threads): \(c.fastest) is "
                + String(format: "%.2fx", c.speedup ?? 0) + " faster than the planned \(c.planned)\n"
        }

        // Accuracy: mean SQNR per format.
        let acc = Dictionary(grouping: r.accuracy, by: \.format)
        if !acc.isEmpty {
            out += "Accuracy (round-to-nearest, mean SQNR dB over \(Set(r.accuracy.map(\.tensor)).count) tensors): "
            out +=
                uniq(r.accuracy.map(\.format)).map { f in
                    let v = acc[f]!.map(\.sqnrDb).filter { $0.isFinite }
                    return "\(f) \(v.isEmpty ? "inf" : f1(v.reduce(0, +) / Double(v.count)))"
                }.joined(separator: ", ") + "\n"
        }
        for w in r.run.warnings ?? [] { out += "Warning: \(w)\n" }
        out += "Validity: \(r.validity.valid ? "VALID" : "INVALID")"
        if !r.validity.reasons.isEmpty {
            out +=
                " (\(r.validity.reasons.prefix(3).joined(separator: "; "))"
                + "\(r.validity.reasons.count > 3 ? "; ..." : ""))"
        }
        return out + "\n"
    }

    static func uniq(_ xs: [String]) -> [String] {
        var seen = Set<String>(); return xs.filter { seen.insert($0).inserted }
    }
    static func f0(_ x: Double) -> String { String(format: "%.0f", x) }
    static func f1(_ x: Double) -> String { String(format: "%.1f", x) }
    static func pct(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }
    static func ms(_ ns: Double) -> String {
        ns >= 1e6 ? String(format: "%.2f ms", ns / 1e6) : String(format: "%.1f us", ns / 1e3)
    }
}
