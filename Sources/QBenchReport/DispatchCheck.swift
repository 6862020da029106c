// The static dispatch plan checked against measurement: where a run timed several verified variants of one
// (op, format) on one shape, which was fastest, and how the planned one compares. The plan stays a pure function
// of features (docs/kernels.md); this says where a device's measured speed disagrees with it (e.g. a machine
// whose vdpbf16ps runs at half its FMA rate, so widening bf16 to f32 beats the bf16 dot instruction).
import Foundation
import QBenchKernels
import QBenchProfiles
import QBenchFormats

public struct DispatchCheck: Codable, Sendable, Equatable {
    public var op: KernelOp
    public var weightFormat: String
    public var shape: MatmulShape
    public var threads: Int
    /// The variant the plan chooses for (op, weight format): over its activation formats, the best-ranked choice
    /// (what `qbench run` benchmarks as the format's best).
    public var planned: String
    /// The verified variant with the lowest median on this shape among valid results, or the planned one when it
    /// is faster still (valid or not), so `speedup` is never below 1.
    public var fastest: String
    /// planned median / fastest median (1 when the plan chose the fastest); nil when the planned variant was not
    /// measured on this shape.
    public var speedup: Double?
    /// Variants compared.
    public var variants: [String]

    public init(
        op: KernelOp, weightFormat: String, shape: MatmulShape, threads: Int, planned: String, fastest: String,
        speedup: Double?, variants: [String]
    ) {
        self.op = op; self.weightFormat = weightFormat; self.shape = shape; self.threads = threads
        self.planned = planned; self.fastest = fastest; self.speedup = speedup; self.variants = variants
    }

    /// Every (op, weight format, shape, threads) with at least two variants measured (pure).
    public static func compare(plan: DispatchPlan, results: [ResultRow]) -> [DispatchCheck] {
        struct Key: Hashable { var op: KernelOp; var format: String; var shape: String; var threads: Int }
        let groups = Dictionary(grouping: results) {
            Key(op: $0.op, format: $0.weightFormat, shape: "\($0.shape)", threads: $0.threads)
        }
        var out: [DispatchCheck] = []
        for (key, rows) in groups {
            // Report rows carry the schema's strings; the plan is typed.
            let variants = Array(Set(rows.map(\.variant))).sorted()
            guard let format = WeightFormat(rawValue: key.format) else { continue }
            let pref = KernelDispatch.preference(
                family: FormatFamily(format), op: key.op, arch: plan.arch, sveVectorBits: nil)
            let chosen = plan.rows.filter { $0.op == key.op && $0.weightFormat == format }.compactMap(\.chosen)
            let planned = chosen.min { (pref.firstIndex(of: $0) ?? Int.max) < (pref.firstIndex(of: $1) ?? Int.max) }
            guard variants.count >= 2, let planned = planned?.rawValue else { continue }
            let pool = rows.contains { $0.validity.valid } ? rows.filter { $0.validity.valid } : rows
            guard var fastest = pool.min(by: { $0.medianNs < $1.medianNs }) else { continue }
            let plannedRow = rows.filter { $0.variant == planned }.min { $0.medianNs < $1.medianNs }
            // A planned result faster than every valid one still wins, noisy or not: the check only reports
            // variants that beat the plan.
            if let p = plannedRow, p.medianNs <= fastest.medianNs { fastest = p }
            let speedup = plannedRow.flatMap { p in fastest.medianNs > 0 ? p.medianNs / fastest.medianNs : nil }
            out.append(
                DispatchCheck(
                    op: key.op, weightFormat: key.format, shape: fastest.shape, threads: key.threads,
                    planned: planned, fastest: fastest.variant, speedup: speedup, variants: variants))
        }
        return out.sorted { ($0.op, $0.weightFormat, $0.threads) < ($1.op, $1.weightFormat, $1.threads) }
    }
}
