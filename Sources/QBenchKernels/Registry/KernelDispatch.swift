// Dispatch as a pure function: (device features, registry, limits) -> plan. "What would that device get" is
// therefore a unit test over a synthetic feature set, and `qbench probe` answers it for fixtures too.
import QBenchSupport
import QBenchDevice
import QBenchFormats

/// Limits a user puts on dispatch (`--max-isa`, `--variants`).
public struct DispatchLimits: Codable, Sendable, Equatable {
    /// Highest variant level allowed (see `KernelDispatch.levels`), nil for no cap.
    public var maxISA: String?
    /// Only these variants (scalar is always kept as the last resort), nil for all.
    public var allowedVariants: [String]?
    /// SVE vector length; SVE variants rank above NEON only when wider than 128 bits.
    public var sveVectorBits: Int?

    public init(maxISA: String? = nil, allowedVariants: [String]? = nil, sveVectorBits: Int? = nil) {
        self.maxISA = maxISA; self.allowedVariants = allowedVariants; self.sveVectorBits = sveVectorBits
    }
}

/// Why a registered variant is not in a plan row's chosen/fallback list.
public struct DispatchExclusion: Codable, Sendable, Equatable {
    public var variant: KernelVariantName
    /// `missing_features` or `limit`.
    public var reason: String
    /// The missing features (reason `missing_features`) or the limit that excluded it (`--max-isa avx2`).
    public var detail: [String]
}

/// The plan for one (op, weight format, activation format).
public struct DispatchRow: Codable, Sendable, Equatable {
    public var triple: KernelTriple
    /// The variant to run, nil when none qualifies (impossible while a scalar entry exists).
    public var chosen: KernelVariantName?
    /// Variants to try next, best first, ending with scalar.
    public var fallbacks: [KernelVariantName]
    public var excluded: [DispatchExclusion]

    public init(
        triple: KernelTriple, chosen: KernelVariantName?, fallbacks: [KernelVariantName],
        excluded: [DispatchExclusion]
    ) {
        self.triple = triple; self.chosen = chosen; self.fallbacks = fallbacks; self.excluded = excluded
    }

    public var op: KernelOp { triple.op }
    /// nil for quantize_row rows (see `KernelVariant.weightFormat`).
    public var weightFormat: WeightFormat? { triple.weightFormat }
    public var activationFormat: ActivationFormat { triple.activationFormat }

    // The JSON keeps the triple's fields flat, spelled as the C registry spells them.
    private enum CodingKeys: String, CodingKey { case chosen, fallbacks, excluded }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            triple: try KernelTriple(from: decoder),
            chosen: try c.decodeIfPresent(KernelVariantName.self, forKey: .chosen),
            fallbacks: try c.decode([KernelVariantName].self, forKey: .fallbacks),
            excluded: try c.decode([DispatchExclusion].self, forKey: .excluded))
    }

    public func encode(to encoder: Encoder) throws {
        try triple.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(chosen, forKey: .chosen)
        try c.encode(fallbacks, forKey: .fallbacks)
        try c.encode(excluded, forKey: .excluded)
    }
}

public struct DispatchPlan: Codable, Sendable, Equatable {
    public var arch: String
    public var rows: [DispatchRow]

    /// The row for a triple.
    public func row(_ triple: KernelTriple) -> DispatchRow? { rows.first { $0.triple == triple } }
    /// The row for a matrix triple.
    public func row(op: KernelOp, weightFormat: WeightFormat, activationFormat: ActivationFormat) -> DispatchRow? {
        row(KernelTriple(op: op, weightFormat: weightFormat, activationFormat: activationFormat))
    }
    /// The chosen variant for an (op, weight format), whatever the activation format.
    public func chosen(op: KernelOp, weightFormat: WeightFormat) -> KernelVariantName? {
        rows.first { $0.op == op && $0.weightFormat == weightFormat }?.chosen
    }
}

public enum KernelDispatch {
    /// Variant levels per architecture, lowest first: `--max-isa V` allows V and everything before it
    /// (the variant table's order).
    public static func levels(arch: String) -> [KernelVariantName] {
        VariantTable.variants(VariantTable.arch(named: arch)).map(\.name)
    }

    /// Preference for one weight (or activation) format, best first: the format family's ladder from the
    /// variant table (the order `qbench probe` prints as tiers), then any other level of the architecture,
    /// highest first.
    public static func preference(
        for triple: KernelTriple, arch: String, sveVectorBits: Int?
    ) -> [KernelVariantName] {
        let family = triple.weightFormat.map { FormatFamily($0) } ?? FormatFamily(triple.activationFormat)
        return preference(family: family, op: triple.op, arch: arch, sveVectorBits: sveVectorBits)
    }

    /// `preference(for:)` by family (and op, where the ladder depends on it: ARM gemv); nil (a format without
    /// kernels) gives the architecture's levels, highest first.
    public static func preference(
        family: FormatFamily?, op: KernelOp? = nil, arch: String, sveVectorBits: Int?
    ) -> [KernelVariantName] {
        let isa = VariantTable.arch(named: arch)
        let base = Array(levels(arch: arch).reversed())
        guard let family else { return base }
        let ladder = VariantTable.ladder(family, op: op, arch: isa, sveVectorBits: sveVectorBits).map(\.name)
        return ladder + base.filter { !ladder.contains($0) }
    }

    /// Checks a user's limits against the architecture's variant names.
    /// - Throws: `QBError.badOption` naming `--max-isa` or `--variants` and the accepted names.
    public static func validate(_ limits: DispatchLimits, arch: String) throws {
        let known = levels(arch: arch).map(\.rawValue)
        if let m = limits.maxISA, !known.contains(m) {
            throw QBError.badOption(
                flag: "--max-isa",
                message: "'\(m)' is not a \(arch) kernel variant; expected one of \(known.joined(separator: ", "))")
        }
        for v in limits.allowedVariants ?? [] where !known.contains(v) {
            throw QBError.badOption(
                flag: "--variants",
                message: "'\(v)' is not a \(arch) kernel variant; expected one of \(known.joined(separator: ", "))")
        }
    }

    /// The plan: for every (op, weight, activation) in the registry, the best qualifying variant and the
    /// ordered fallbacks. A variant qualifies when every feature it requires is in `features` and the
    /// limits allow it. Pure: no hardware is read and nothing runs.
    public static func plan(
        features: Set<CPUFeature>, arch: String, registry: KernelRegistry,
        limits: DispatchLimits = DispatchLimits()
    ) -> DispatchPlan {
        let lv = levels(arch: arch)
        let cap = limits.maxISA.flatMap(KernelVariantName.init(rawValue:)).flatMap { lv.firstIndex(of: $0) }
        var rows: [DispatchRow] = []
        for t in registry.triples {
            let candidates = registry.variants.filter { $0.triple == t }
            var ok: [KernelVariantName] = []
            var excluded: [DispatchExclusion] = []
            for c in candidates {
                if c.variant != .scalar {
                    if let cap, let l = lv.firstIndex(of: c.variant), l > cap {
                        excluded.append(
                            .init(variant: c.variant, reason: "limit", detail: ["--max-isa \(limits.maxISA!)"]))
                        continue
                    }
                    if let allowed = limits.allowedVariants, !allowed.contains(c.variant.rawValue) {
                        excluded.append(.init(variant: c.variant, reason: "limit", detail: ["--variants"]))
                        continue
                    }
                }
                let miss = c.missing(from: features)
                if !miss.isEmpty {
                    excluded.append(.init(variant: c.variant, reason: "missing_features", detail: miss.map(\.rawValue)))
                    continue
                }
                ok.append(c.variant)
            }
            let pref = preference(for: t, arch: arch, sveVectorBits: limits.sveVectorBits)
            ok.sort { (pref.firstIndex(of: $0) ?? Int.max) < (pref.firstIndex(of: $1) ?? Int.max) }
            rows.append(
                DispatchRow(
                    triple: t, chosen: ok.first, fallbacks: Array(ok.dropFirst()), excluded: excluded))
        }
        return DispatchPlan(arch: arch, rows: rows)
    }

    /// The plan for a device profile.
    public static func plan(
        device: DeviceProfile, registry: KernelRegistry = .builtIn,
        limits: DispatchLimits = DispatchLimits()
    ) -> DispatchPlan {
        var l = limits
        if l.sveVectorBits == nil { l.sveVectorBits = device.cpu.sveVectorBits }
        return plan(features: Set(device.cpu.features), arch: device.cpu.arch, registry: registry, limits: l)
    }
}

extension FormatFamily {
    /// The family whose instruction path a weight format uses (int4 groups have their own ladder); nil for the
    /// formats without kernels.
    public init?(_ w: WeightFormat) {
        switch w {
        // q5_0 and the k-quants run the int8 instruction paths (int8 activations: q8_0, q8_k).
        case .q8_0, .q4_0, .q4_1, .q5_0, .q4_k, .q5_k, .q6_k, .i8_pc: self = .int8
        case .i4_g32, .i4_g64, .i4_g128, .u4_g32, .u4_g64, .u4_g128: self = .int4
        case .f16: self = .fp16
        case .bf16: self = .bf16
        case .f32: self = .f32
        case .fp8_e4m3, .fp8_e5m2, .mxfp4: return nil
        }
    }

    /// The family of an activation format's quantize_row (the integer kernels' activations are int8).
    public init?(_ a: ActivationFormat) {
        switch a {
        case .q8_0, .q8_1, .q8_k, .i8_pt: self = .int8
        case .bf16: self = .bf16
        case .f32: self = .f32
        }
    }
}
