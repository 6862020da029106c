// Kernels: the Swift view of the C kernel registry, dispatch, verification, crash isolation, the thread pool
// that splits rows, and the limit kernels. What belongs here: anything that chooses, checks or runs the
// C kernels of Sources/CQBench/kernels. Formats and quantizers live in Formats/, timing policy in Harness/.
import CQBench
import Foundation
import QBenchDevice
import QBenchFormats
import QBenchSupport

/// How a variant's output is compared with the scalar reference.
public enum KernelTolerance: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Bit-for-bit equal (integer paths keeping the epilogue order of qbench_kernels.h).
    case exact
    /// Float paths, two bounds that must both hold on every shape: the normalised mean squared error
    /// sum((y - ref)^2) / sum(ref^2) at most `nmse`, and every output within `perOutput` x sum_k |w * x| of the
    /// reference (the output's own magnitude scale, which grows with the accumulated length k). The mean bound
    /// alone lets one output in thousands be wrong by half.
    case float(nmse: Double, perOutput: Double)

    /// The mean bound float paths get unless an entry states its own: test-backend-ops' default.
    public static let defaultFloatNMSE = 5e-4
    /// The per-output bound of paths that accumulate in f32 in another order than the reference (FMA, lanes,
    /// tiles): at most 1.2e-7 of sum|w*x| was measured for AVX2 at the verification shapes (2026-12).
    public static let defaultPerOutput = 1e-5
    /// Float paths with the default bounds.
    public static let defaultFloat = KernelTolerance.float(nmse: defaultFloatNMSE, perOutput: defaultPerOutput)

    public var description: String {
        switch self {
        case .exact: return "exact"
        case let .float(n, p): return "nmse<=\(n) rel<=\(p)"
        }
    }

    /// Parses an entry's tolerance text ("exact", "nmse<=1e-3", "nmse<=5e-4 rel<=1e-2 (why)"); a missing
    /// `rel<=` takes `defaultPerOutput`. Nil for empty or unreadable text.
    public static func parse(_ text: String) -> KernelTolerance? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("exact") { return .exact }
        /// The number of a `key<=N` word: finite and not negative, else nil.
        func value(_ word: Substring, _ key: String) -> Double? {
            guard word.hasPrefix(key), let v = Double(word.dropFirst(key.count)), v.isFinite, v >= 0 else { return nil }
            return v
        }
        let words = t.split(separator: " ")
        guard let first = words.first, let n = value(first, "nmse<=") else { return nil }
        var rel = defaultPerOutput
        if words.count > 1, words[1].hasPrefix("rel<=") {
            guard let r = value(words[1], "rel<=") else { return nil }
            rel = r
        }
        return .float(nmse: n, perOutput: rel)
    }
}

/// One registered kernel variant: an (op, weight format, activation format, variant) with its requirements.
public struct KernelVariant: Sendable, Hashable {
    public var op: KernelOp
    /// The weight format of a gemv/gemm entry; nil for quantize_row entries, which read f32 rows and write
    /// `activationFormat` (the C ABI repeats the activation format's name in their `wfmt`).
    public var weightFormat: WeightFormat?
    public var activationFormat: ActivationFormat
    public var variant: KernelVariantName
    /// CPU features the variant needs, in the registry's order.
    public var requires: [CPUFeature]
    /// "" when weights are used as stored, else what the load-time repack does.
    public var repack: String
    /// Row-range alignment that keeps thread splits on whole register tiles (1 = any).
    public var rowAlign: Int
    public var tolerance: KernelTolerance

    public init(
        op: KernelOp, weightFormat: WeightFormat?, activationFormat: ActivationFormat, variant: KernelVariantName,
        requires: [CPUFeature], repack: String = "", rowAlign: Int = 1, tolerance: KernelTolerance
    ) {
        self.op = op; self.weightFormat = weightFormat; self.activationFormat = activationFormat
        self.variant = variant; self.requires = requires; self.repack = repack; self.rowAlign = rowAlign
        self.tolerance = tolerance
    }

    /// The (op, weight, activation) this variant implements.
    public var triple: KernelTriple {
        KernelTriple(op: op, weightFormat: weightFormat, activationFormat: activationFormat)
    }

    /// Stable key used in reports: `op/weight/activation/variant`, spelled as the C registry spells them.
    public var key: String { "\(triple.key)/\(variant)" }

    /// Required features missing from `features`, in the registry's order.
    public func missing(from features: Set<CPUFeature>) -> [CPUFeature] { requires.filter { !features.contains($0) } }

    /// Group size of i4_gN / u4_gN weights (0 for other formats).
    public var group: Int { weightFormat?.groupSize ?? 0 }
}

extension KernelVariant: Codable {
    // The C names, as before the fields were typed: a quantize_row entry's weightFormat is its activation format.
    private enum CodingKeys: String, CodingKey {
        case op, weightFormat, activationFormat, variant, requires, repack, rowAlign, tolerance
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let t = try KernelTriple(
            op: c.decode(KernelOp.self, forKey: .op), cWeightFormat: c.decode(String.self, forKey: .weightFormat),
            activationFormat: c.decode(ActivationFormat.self, forKey: .activationFormat), codingPath: c.codingPath)
        self.init(
            op: t.op, weightFormat: t.weightFormat, activationFormat: t.activationFormat,
            variant: try c.decode(KernelVariantName.self, forKey: .variant),
            requires: try c.decode([CPUFeature].self, forKey: .requires),
            repack: try c.decode(String.self, forKey: .repack),
            rowAlign: try c.decode(Int.self, forKey: .rowAlign),
            tolerance: try c.decode(KernelTolerance.self, forKey: .tolerance))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(op, forKey: .op)
        try c.encode(triple.cWeightFormat, forKey: .weightFormat)
        try c.encode(activationFormat, forKey: .activationFormat)
        try c.encode(variant, forKey: .variant)
        try c.encode(requires, forKey: .requires)
        try c.encode(repack, forKey: .repack)
        try c.encode(rowAlign, forKey: .rowAlign)
        try c.encode(tolerance, forKey: .tolerance)
    }
}

extension WeightFormat {
    /// Integer weight formats (their kernels are verified bit-exact by default).
    public var isInteger: Bool {
        switch self {
        case .q8_0, .q4_0, .q4_1, .q5_0, .q4_k, .q5_k, .q6_k, .i8_pc: return true
        case .i4_g32, .i4_g64, .i4_g128, .u4_g32, .u4_g64, .u4_g128: return true
        case .f32, .f16, .bf16, .fp8_e4m3, .fp8_e5m2, .mxfp4: return false
        }
    }
}

/// The kernels built into this binary, read once from `qb_kernel_registry`.
public struct KernelRegistry: @unchecked Sendable {
    // @unchecked: `table` points at C entries that are immutable for the registry's life.
    /// Variants in registry order (scalar first).
    public let variants: [KernelVariant]
    /// The C entries whose names do not map to the typed vocabulary (op, formats, variant, features), one line
    /// each. Such an entry cannot be dispatched and is left out of `variants`; a consistent build has none
    /// (KernelRegistryTests checks the built-in table).
    public let rejected: [String]
    /// Index into the C table for each variant (parallel to `variants`); -1 for synthetic registries.
    let cIndex: [Int]

    /// A registry over given variants (tests, "what would that device get"): it cannot run anything.
    public init(variants: [KernelVariant]) {
        self.variants = variants
        self.cIndex = Array(repeating: -1, count: variants.count)
        self.rejected = []
        self.table = nil
    }

    private init(variants: [KernelVariant], cIndex: [Int]) {
        self.variants = variants; self.cIndex = cIndex; self.rejected = []; self.table = nil
    }

    /// The C entries behind this registry when it was not built from `qb_kernel_registry` (tests).
    private let table: UnsafePointer<qb_kernel_entry>?

    /// This binary's registry.
    public static let builtIn: KernelRegistry = {
        var count: Int32 = 0
        guard let table = qb_kernel_registry(&count) else { return KernelRegistry(variants: [], cIndex: []) }
        return KernelRegistry(table: table, count: Int(count), own: false)
    }()

    /// A registry over C entries that live as long as it is used (tests register deliberately broken kernels).
    init(table: UnsafePointer<qb_kernel_entry>, count: Int) { self.init(table: table, count: count, own: true) }

    private init(table: UnsafePointer<qb_kernel_entry>, count: Int, own: Bool) {
        var out: [KernelVariant] = []
        var idx: [Int] = []
        var rejected: [String] = []
        for i in 0..<count {
            let e = table[i]
            // The one place C names become the typed vocabulary.
            do {
                out.append(
                    try Self.map(
                        op: String(cString: e.op), wfmt: String(cString: e.wfmt), afmt: String(cString: e.afmt),
                        variant: String(cString: e.variant), requires: String(cString: e.requires),
                        repack: String(cString: e.repack), rowAlign: Int(e.row_align),
                        tolerance: e.tolerance.map { String(cString: $0) } ?? ""))
                idx.append(i)
            } catch {
                rejected.append("registry entry \(i): \(error)")
            }
        }
        variants = out
        cIndex = idx
        self.rejected = rejected
        self.table = own ? table : nil
    }

    /// One C entry's strings as a typed variant.
    /// - Throws: `QBError.other` naming the first string that is not in the vocabulary.
    static func map(
        op: String, wfmt: String, afmt: String, variant: String, requires: String, repack: String, rowAlign: Int,
        tolerance: String
    ) throws -> KernelVariant {
        func bad(_ what: String, _ name: String) -> QBError {
            QBError.other("\(op)/\(wfmt)/\(afmt)/\(variant): unknown \(what) \(quoted(name))")
        }
        guard let kop = KernelOp(rawValue: op) else { throw bad("op", op) }
        guard let x = ActivationFormat(rawValue: afmt) else { throw bad("activation format", afmt) }
        let triple: KernelTriple
        do {
            triple = try KernelTriple(op: kop, cWeightFormat: wfmt, activationFormat: x, codingPath: [])
        } catch {
            throw bad(kop == .quantizeRow ? "quantize_row format (wfmt must equal afmt)" : "weight format", wfmt)
        }
        guard let name = KernelVariantName(rawValue: variant) else { throw bad("variant", variant) }
        var features: [CPUFeature] = []
        for f in requires.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !f.isEmpty {
            guard let feature = CPUFeature(rawValue: f) else { throw bad("CPU feature", f) }
            features.append(feature)
        }
        let tol =
            KernelTolerance.parse(tolerance)
            ?? (kop == .quantizeRow || triple.weightFormat?.isInteger == true
                ? .exact : .defaultFloat)
        return KernelVariant(
            op: kop, weightFormat: triple.weightFormat, activationFormat: x, variant: name, requires: features,
            repack: repack, rowAlign: max(1, rowAlign), tolerance: tol)
    }

    /// The variant with this key, if registered.
    public func variant(_ key: String) -> KernelVariant? { variants.first { $0.key == key } }

    /// The scalar reference for an (op, weight, activation) triple. gemv and gemm share the reference loops.
    public func reference(for v: KernelVariant) -> KernelVariant? {
        variants.first { $0.triple == v.triple && $0.variant == .scalar }
    }

    /// Every distinct (op, weight, activation) triple, in registry order.
    public var triples: [KernelTriple] {
        var seen = Set<KernelTriple>()
        var out: [KernelTriple] = []
        for v in variants {
            let t = v.triple
            if seen.insert(t).inserted { out.append(t) }
        }
        return out
    }

    /// The C entry behind a variant of this binary's registry, or nil for synthetic registries.
    package func entry(_ v: KernelVariant) -> UnsafePointer<qb_kernel_entry>? {
        guard let i = variants.firstIndex(of: v), cIndex[i] >= 0 else { return nil }
        if let table { return table + cIndex[i] }
        var count: Int32 = 0
        guard let table = qb_kernel_registry(&count), cIndex[i] < Int(count) else { return nil }
        return table + cIndex[i]
    }
}

/// An (op, weight format, activation format) the registry has at least one variant for. The weight format is nil
/// for quantize_row (see `KernelVariant.weightFormat`).
public struct KernelTriple: Codable, Sendable, Hashable {
    public var op: KernelOp
    public var weightFormat: WeightFormat?
    public var activationFormat: ActivationFormat
    public init(op: KernelOp, weightFormat: WeightFormat?, activationFormat: ActivationFormat) {
        self.op = op; self.weightFormat = weightFormat; self.activationFormat = activationFormat
    }

    /// The C ABI's `wfmt`: the weight format, or for quantize_row the activation format it writes.
    public var cWeightFormat: String { weightFormat?.rawValue ?? activationFormat.rawValue }

    /// `op/weight/activation` as the C registry and reports spell them.
    public var key: String { "\(op)/\(cWeightFormat)/\(activationFormat.rawValue)" }

    /// A triple from the C ABI's names: quantize_row entries name their activation format twice.
    /// - Throws: `DecodingError.dataCorrupted` when `cWeightFormat` does not fit `op`.
    init(op: KernelOp, cWeightFormat: String, activationFormat: ActivationFormat, codingPath: [CodingKey]) throws {
        if op == .quantizeRow {
            guard cWeightFormat == activationFormat.rawValue else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "quantize_row wfmt must equal afmt"))
            }
            self.init(op: op, weightFormat: nil, activationFormat: activationFormat)
        } else {
            guard let w = WeightFormat(rawValue: cWeightFormat) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "unknown weight format \(cWeightFormat)"))
            }
            self.init(op: op, weightFormat: w, activationFormat: activationFormat)
        }
    }

    private enum CodingKeys: String, CodingKey { case op, weightFormat, activationFormat }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            op: c.decode(KernelOp.self, forKey: .op), cWeightFormat: c.decode(String.self, forKey: .weightFormat),
            activationFormat: c.decode(ActivationFormat.self, forKey: .activationFormat), codingPath: c.codingPath)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(op, forKey: .op)
        try c.encode(cWeightFormat, forKey: .weightFormat)
        try c.encode(activationFormat, forKey: .activationFormat)
    }
}
