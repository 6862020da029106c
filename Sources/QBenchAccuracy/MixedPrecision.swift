// Mixed precision under a size budget: which format each weight matrix should get so that the model's
// weighted SQNR is as high as the bits allow. Greedy by sensitivity: every tensor starts at its smallest
// candidate; each step upgrades the (tensor, format) pair that raises the model's SQNR most per extra bit,
// as long as the average bits per weight stays within the budget. A pure function of measured errors.
import Foundation
import QBenchFormats

/// The measured choices for one tensor.
public struct MixedPrecisionTensor: Sendable, Equatable {
    public struct Option: Sendable, Equatable {
        public var format: WeightFormat
        public var bytes: Int
        /// Σ(x - x̂)² of the tensor in this format.
        public var noiseEnergy: Double
        public init(format: WeightFormat, bytes: Int, noiseEnergy: Double) {
            self.format = format; self.bytes = bytes; self.noiseEnergy = noiseEnergy
        }
    }

    public var name: String
    public var elements: Int
    public var signalEnergy: Double
    public var options: [Option]

    public init(name: String, elements: Int, signalEnergy: Double, options: [Option]) {
        self.name = name; self.elements = elements; self.signalEnergy = signalEnergy; self.options = options
    }

    /// The rows of an accuracy report as planner input (formats restricted to `candidates`).
    public init(_ t: TensorAccuracy, candidates: [WeightFormat]) {
        self.init(
            name: t.name, elements: t.elementCount, signalEnergy: t.signalEnergy,
            options: t.results.filter { candidates.contains($0.format) }
                .map { Option(format: $0.format, bytes: $0.bytes, noiseEnergy: $0.noiseEnergy) })
    }
}

/// The plan: a format per tensor, its size and SQNR, and the uniform formats on the same tensors.
public struct MixedPrecisionPlan: Codable, Sendable, Equatable {
    public struct Assignment: Codable, Sendable, Equatable {
        public var tensor: String
        public var format: WeightFormat
        public var bitsPerWeight: Double
        public var sqnrDb: Double
        public init(tensor: String, format: WeightFormat, bitsPerWeight: Double, sqnrDb: Double) {
            self.tensor = tensor; self.format = format; self.bitsPerWeight = bitsPerWeight; self.sqnrDb = sqnrDb
        }
    }

    /// A uniform format over exactly the planned tensors, for comparison.
    public struct Uniform: Codable, Sendable, Equatable {
        public var format: WeightFormat
        public var bitsPerWeight: Double
        public var sqnrDb: Double
        public init(format: WeightFormat, bitsPerWeight: Double, sqnrDb: Double) {
            self.format = format; self.bitsPerWeight = bitsPerWeight; self.sqnrDb = sqnrDb
        }
    }

    /// Average bits per weight allowed.
    public var budgetBits: Double
    /// False when even the smallest candidate of every tensor exceeds the budget (the plan is then that).
    public var withinBudget: Bool
    public var bitsPerWeight: Double
    public var bytes: Int
    public var elements: Int
    /// 10 log10(Σ signal / Σ noise) of the planned tensors.
    public var sqnrDb: Double
    /// Upgrades applied after the all-smallest start.
    public var upgrades: Int
    public var assignments: [Assignment]
    /// Uniform formats that every planned tensor can take, sorted by bits per weight (largest first).
    public var uniform: [Uniform]
    /// Tensors no candidate format could take (left out of the plan).
    public var excludedTensors: [String]

    public init(
        budgetBits: Double, withinBudget: Bool, bitsPerWeight: Double, bytes: Int, elements: Int, sqnrDb: Double,
        upgrades: Int, assignments: [Assignment], uniform: [Uniform], excludedTensors: [String]
    ) {
        self.budgetBits = budgetBits; self.withinBudget = withinBudget; self.bitsPerWeight = bitsPerWeight
        self.bytes = bytes; self.elements = elements; self.sqnrDb = sqnrDb; self.upgrades = upgrades
        self.assignments = assignments; self.uniform = uniform; self.excludedTensors = excludedTensors
    }

    /// How many tensors got each format, most used first.
    public var formatCounts: [(format: WeightFormat, tensors: Int)] {
        var counts: [WeightFormat: Int] = [:]
        for a in assignments { counts[a.format, default: 0] += 1 }
        return counts.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.rawValue < $1.0.rawValue }
    }
}

public enum MixedPrecisionPlanner {
    /// Plans one format per tensor within `budgetBits` average bits per weight.
    ///
    /// Per tensor, options dominated by another (no more bytes and no more noise) are dropped, leaving a
    /// frontier of strictly more bytes for strictly less noise. Starting from every tensor's smallest option,
    /// each step considers moving any tensor to any larger frontier option that keeps the total within
    /// `budgetBits x Σ elements`, scores it by the model SQNR gain in dB per extra bit,
    /// `10 log10(N / (N - Δnoise)) / Δbits` (N: the model's current noise energy), and applies the best
    /// (ties: fewer extra bits, then the earlier tensor). It stops when no upgrade fits or no noise is left.
    public static func plan(_ tensors: [MixedPrecisionTensor], budgetBits: Double) -> MixedPrecisionPlan {
        var frontier: [[MixedPrecisionTensor.Option]] = []
        var planned: [MixedPrecisionTensor] = []
        var excluded: [String] = []
        for t in tensors {
            let f = paretoFrontier(t.options)
            if f.isEmpty { excluded.append(t.name); continue }
            frontier.append(f); planned.append(t)
        }
        let elements = planned.reduce(0) { $0 + $1.elements }
        let signal = planned.reduce(0.0) { $0 + $1.signalEnergy }
        var choice = [Int](repeating: 0, count: planned.count)
        var bits = frontier.reduce(0.0) { $0 + Double($1[0].bytes) * 8 }
        var noise = frontier.reduce(0.0) { $0 + $1[0].noiseEnergy }
        let budget = budgetBits * Double(elements)
        let withinBudget = bits <= budget
        var upgrades = 0
        while withinBudget && noise > 0 {
            var best: (t: Int, j: Int, score: Double, extra: Double)?
            for (t, options) in frontier.enumerated() {
                let cur = options[choice[t]]
                for j in (choice[t] + 1)..<options.count {
                    let extra = Double(options[j].bytes - cur.bytes) * 8
                    guard bits + extra <= budget else { break }  // frontier bytes grow with j
                    let after = noise - cur.noiseEnergy + options[j].noiseEnergy
                    let gain = after <= 0 ? Double.infinity : 10 * log10(noise / after)
                    let score = gain / extra
                    if let b = best, !(score > b.score || (score == b.score && extra < b.extra)) { continue }
                    best = (t, j, score, extra)
                }
            }
            guard let b = best else { break }
            noise += frontier[b.t][b.j].noiseEnergy - frontier[b.t][choice[b.t]].noiseEnergy
            bits += b.extra
            choice[b.t] = b.j
            upgrades += 1
        }
        // Recompute from the choices so the reported figures carry no accumulated rounding.
        let bytes = zip(frontier, choice).reduce(0) { $0 + $1.0[$1.1].bytes }
        noise = zip(frontier, choice).reduce(0.0) { $0 + $1.0[$1.1].noiseEnergy }
        let assignments = planned.indices.map { i -> MixedPrecisionPlan.Assignment in
            let o = frontier[i][choice[i]]
            return .init(
                tensor: planned[i].name, format: o.format,
                bitsPerWeight: Double(o.bytes) * 8 / Double(max(planned[i].elements, 1)),
                sqnrDb: AccuracySummary.sqnrDb(signal: planned[i].signalEnergy, noise: o.noiseEnergy))
        }
        return MixedPrecisionPlan(
            budgetBits: budgetBits, withinBudget: withinBudget,
            bitsPerWeight: elements == 0 ? 0 : Double(bytes) * 8 / Double(elements), bytes: bytes, elements: elements,
            sqnrDb: AccuracySummary.sqnrDb(signal: signal, noise: noise), upgrades: upgrades,
            assignments: assignments, uniform: uniformBaselines(planned, elements: elements, signal: signal),
            excludedTensors: excluded)
    }

    /// Options sorted by bytes with every dominated one removed: each kept option has strictly more bytes
    /// and strictly less noise than the one before.
    static func paretoFrontier(_ options: [MixedPrecisionTensor.Option]) -> [MixedPrecisionTensor.Option] {
        let sorted = options.sorted {
            $0.bytes != $1.bytes
                ? $0.bytes < $1.bytes
                : $0.noiseEnergy != $1.noiseEnergy
                    ? $0.noiseEnergy < $1.noiseEnergy : $0.format.rawValue < $1.format.rawValue
        }
        var kept: [MixedPrecisionTensor.Option] = []
        for o in sorted where o.noiseEnergy.isFinite {
            if let last = kept.last, o.bytes == last.bytes || o.noiseEnergy >= last.noiseEnergy { continue }
            kept.append(o)
        }
        return kept
    }

    static func uniformBaselines(
        _ tensors: [MixedPrecisionTensor], elements: Int, signal: Double
    ) -> [MixedPrecisionPlan.Uniform] {
        guard let first = tensors.first, elements > 0 else { return [] }
        var out: [MixedPrecisionPlan.Uniform] = []
        for format in first.options.map(\.format) {
            var bytes = 0, noise = 0.0, complete = true
            for t in tensors {
                guard let o = t.options.first(where: { $0.format == format }) else { complete = false; break }
                bytes += o.bytes; noise += o.noiseEnergy
            }
            if complete {
                out.append(
                    .init(
                        format: format, bitsPerWeight: Double(bytes) * 8 / Double(elements),
                        sqnrDb: AccuracySummary.sqnrDb(signal: signal, noise: noise)))
            }
        }
        return out.sorted {
            AccuracySummary.inDisplayOrder(
                ($0.format, $0.bitsPerWeight, $0.sqnrDb), ($1.format, $1.bitsPerWeight, $1.sqnrDb))
        }
    }
}
