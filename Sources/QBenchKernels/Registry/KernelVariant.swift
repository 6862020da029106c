// Kernels: the Swift view of the C kernel registry, dispatch, verification, crash isolation, the thread pool
// that splits rows, and the limit kernels. What belongs here: anything that chooses, checks or runs the
// C kernels of Sources/CQBench/kernels. Formats and quantizers live in Formats/, timing policy in Harness/.
import CQBench
import Foundation
import QBenchDevice
import QBenchFormats

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
    /// tiles): about 1e-6 of sum|w*x| is seen at the verification shapes, so 1e-5 leaves a margin of ten.
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
        func bound(_ key: String, in s: Substring) -> Double?? {
            guard s.hasPrefix(key) else { return .some(nil) }
            let num = s.dropFirst(key.count).prefix { !$0.isWhitespace }
            guard let v = Double(num), v.isFinite, v >= 0 else { return nil }
            return .some(v)
        }
        let words = t.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = words.first, case let .some(n?) = bound("nmse<=", in: first) else { return nil }
        var rel = defaultPerOutput
        if words.count > 1 {
            guard case let .some(r) = bound("rel<=", in: words[1]) else { return nil }
            rel = r ?? rel
        }
        return .float(nmse: n, perOutput: rel)
    }
}

/// One registered kernel variant: an (op, weight format, activation format, variant) with its requirements.
public struct KernelVariant: Codable, Sendable, Hashable {
    public var op: KernelOp
    public var weightFormat: String
    public var activationFormat: String
    public var variant: String
    /// CPU features the variant needs, canonical names as the registry spells them.
    public var requires: [String]
    /// "" when weights are used as stored, else what the load-time repack does.
    public var repack: String
    /// Row-range alignment that keeps thread splits on whole register tiles (1 = any).
    public var rowAlign: Int
    public var tolerance: KernelTolerance

    public init(
        op: KernelOp, weightFormat: String, activationFormat: String, variant: String, requires: [String],
        repack: String = "", rowAlign: Int = 1, tolerance: KernelTolerance
    ) {
        self.op = op; self.weightFormat = weightFormat; self.activationFormat = activationFormat
        self.variant = variant; self.requires = requires; self.repack = repack; self.rowAlign = rowAlign
        self.tolerance = tolerance
    }

    /// Stable key used in reports: `op/weight/activation/variant`.
    public var key: String { "\(op)/\(weightFormat)/\(activationFormat)/\(variant)" }

    /// The required features that are canonical `CPUFeature`s.
    public var requiredFeatures: [CPUFeature] { requires.compactMap(CPUFeature.init(rawValue:)) }

    /// Required features missing from `features`, in the registry's order. Names that are not canonical
    /// features are never satisfied, so they are reported missing too.
    public func missing(from features: Set<CPUFeature>) -> [String] {
        requires.filter { name in CPUFeature(rawValue: name).map { !features.contains($0) } ?? true }
    }

    /// Group size of i4_gN / u4_gN weights (0 for other formats).
    public var group: Int { KernelFormats.group(of: weightFormat) }
}

/// Facts about format names the kernels use.
public enum KernelFormats {
    /// Group size N of `i4_gN` / `u4_gN`, 0 otherwise.
    public static func group(of weightFormat: String) -> Int {
        for p in ["i4_g", "u4_g"] where weightFormat.hasPrefix(p) { return Int(weightFormat.dropFirst(p.count)) ?? 0 }
        return 0
    }
    /// Integer weight formats (verified bit-exact by default).
    public static func isInteger(_ weightFormat: String) -> Bool {
        ["q8_0", "q4_0", "q4_1", "i8_pc"].contains(weightFormat) || group(of: weightFormat) > 0
    }
}

/// The kernels built into this binary, read once from `qb_kernel_registry`.
public struct KernelRegistry: @unchecked Sendable {
    // @unchecked: `table` points at C entries that are immutable for the registry's life.
    /// Variants in registry order (scalar first).
    public let variants: [KernelVariant]
    /// Index into the C table for each variant (parallel to `variants`); -1 for synthetic registries.
    let cIndex: [Int]

    /// A registry over given variants (tests, "what would that device get"): it cannot run anything.
    public init(variants: [KernelVariant]) {
        self.variants = variants
        self.cIndex = Array(repeating: -1, count: variants.count)
        self.table = nil
    }

    private init(variants: [KernelVariant], cIndex: [Int]) {
        self.variants = variants; self.cIndex = cIndex; self.table = nil
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
        for i in 0..<count {
            let e = table[i]
            // The one place C names become the typed vocabulary. An entry with an op this code does not know
            // cannot be dispatched and is left out (VariantTableTests checks that none is).
            guard let op = KernelOp(rawValue: String(cString: e.op)) else { continue }
            let w = String(cString: e.wfmt), x = String(cString: e.afmt)
            let req = String(cString: e.requires).split(separator: ",").map {
                String($0).trimmingCharacters(in: .whitespaces)
            }
            .filter { !$0.isEmpty }
            let tolText = e.tolerance.map { String(cString: $0) } ?? ""
            let tol =
                KernelTolerance.parse(tolText)
                ?? (op == .quantizeRow || KernelFormats.isInteger(w) ? .exact : .defaultFloat)
            out.append(
                KernelVariant(
                    op: op, weightFormat: w, activationFormat: x, variant: String(cString: e.variant),
                    requires: req, repack: String(cString: e.repack),
                    rowAlign: max(1, Int(e.row_align)), tolerance: tol))
            idx.append(i)
        }
        variants = out
        cIndex = idx
        self.table = own ? table : nil
    }

    /// The variant with this key, if registered.
    public func variant(_ key: String) -> KernelVariant? { variants.first { $0.key == key } }

    /// The scalar reference for an (op, weight, activation) triple. gemv and gemm share the reference loops.
    public func reference(for v: KernelVariant) -> KernelVariant? {
        variants.first {
            $0.op == v.op && $0.weightFormat == v.weightFormat && $0.activationFormat == v.activationFormat
                && $0.variant == "scalar"
        }
    }

    /// Every distinct (op, weight, activation) triple, in registry order.
    public var triples: [KernelTriple] {
        var seen = Set<KernelTriple>()
        var out: [KernelTriple] = []
        for v in variants {
            let t = KernelTriple(op: v.op, weightFormat: v.weightFormat, activationFormat: v.activationFormat)
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

/// An (op, weight format, activation format) the registry has at least one variant for.
public struct KernelTriple: Codable, Sendable, Hashable {
    public var op: KernelOp
    public var weightFormat: String
    public var activationFormat: String
    public init(op: KernelOp, weightFormat: String, activationFormat: String) {
        self.op = op; self.weightFormat = weightFormat; self.activationFormat = activationFormat
    }
}
