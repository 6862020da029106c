// One device's compatibility table: per (op, weight format, activation format) row and variant, did it run and
// verify, and for verified variants how fast it went in this run.
import QBenchKernels
import QBenchFormats

public struct CompatibilityCell: Sendable, Equatable {
    public var status: KernelStatus
    /// Why it did not run: missing CPU features, the signal, or the row's detail.
    public var why: String?
    /// The best result of this variant at the largest thread count it was measured with, when measured.
    public var best: ResultRow?
}

public struct CompatibilityRow: Sendable, Equatable {
    public var op: KernelOp
    public var weightFormat: String
    public var activationFormat: String
    /// Keyed by variant name.
    public var cells: [String: CompatibilityCell]
}

public struct CompatibilityTable: Sendable, Equatable {
    /// Variants in the order their rows first appear in the report (scalar first in reports qbench writes).
    public var variants: [String]
    public var rows: [CompatibilityRow]

    /// Builds the table from the report's kernel rows; a variant's throughput comes from its results at the largest
    /// thread count measured for it (warm results preferred over cold, then the highest throughput).
    public static func make(_ report: Report) -> CompatibilityTable {
        var variants: [String] = []
        var rowIndex: [String: Int] = [:]
        var rows: [CompatibilityRow] = []
        var resultsByRow: [String: [ResultRow]] = [:]
        for r in report.results {
            resultsByRow["\(r.op)|\(r.weightFormat)|\(r.variant)", default: []].append(r)
        }
        for k in report.kernels where k.op != .quantizeRow {
            if !variants.contains(k.variant) { variants.append(k.variant) }
            let id = "\(k.op)|\(k.weightFormat)|\(k.activationFormat)"
            if rowIndex[id] == nil {
                rowIndex[id] = rows.count
                rows.append(
                    CompatibilityRow(
                        op: k.op, weightFormat: k.weightFormat, activationFormat: k.activationFormat, cells: [:]))
            }
            let why: String? =
                switch k.status {
                case .unsupported: k.missingFeatures.map { "needs " + $0.joined(separator: " ") }
                case .crashed: k.signal
                default: k.detail
                }
            let best = k.status == .verified ? bestResult(resultsByRow["\(k.op)|\(k.weightFormat)|\(k.variant)"]) : nil
            rows[rowIndex[id]!].cells[k.variant] = CompatibilityCell(status: k.status, why: why, best: best)
        }
        return CompatibilityTable(variants: variants, rows: rows)
    }

    static func bestResult(_ results: [ResultRow]?) -> ResultRow? {
        guard let results, let threads = results.map(\.threads).max() else { return nil }
        let atMax = results.filter { $0.threads == threads }
        let warm = atMax.filter { $0.cacheState == .warm }
        return (warm.isEmpty ? atMax : warm).max { headline($0) < headline($1) }
    }

    /// The figure a result is judged by: GOP/s for gemm (compute-bound), GB/s for gemv and dot (memory-bound).
    public static func headline(_ r: ResultRow) -> Double {
        r.op == .gemm ? r.throughput.gopPerS : r.throughput.gbPerS
    }

    public static func headlineText(_ r: ResultRow) -> String {
        r.op == .gemm ? "\(Fmt.num(r.throughput.gopPerS)) GOP/s" : "\(Fmt.num(r.throughput.gbPerS)) GB/s"
    }
}
