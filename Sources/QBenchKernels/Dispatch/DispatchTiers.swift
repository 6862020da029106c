// Dispatch tiers: for each format family, the kernel variants a feature set qualifies for, best first, as a
// pure function of usable features, derived from the variant table (VariantTable.swift). Variant names are
// those of docs/cli.md; `scalar` (the reference) always closes the list. Ordering encodes which instruction
// path is expected to be fastest for that family.
import QBenchDevice
import QBenchFormats

/// A family of weight formats that share an inner-product instruction path.
/// `CodingKeyRepresentable` makes `[FormatFamily: ...]` encode as a JSON object keyed by the raw name.
public enum FormatFamily: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable, Comparable {
    case int8, int4, fp16, bf16, f32

    public static func < (a: FormatFamily, b: FormatFamily) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One rung of a ladder: a kernel variant and the usable features it needs.
public struct DispatchTier: Codable, Sendable, Equatable {
    public var variant: KernelVariantName
    public var requires: [CPUFeature]
    public init(variant: KernelVariantName, requires: [CPUFeature]) { self.variant = variant; self.requires = requires }

    /// True when every required feature is in `features`.
    public func isSatisfied(by features: Set<CPUFeature>) -> Bool { requires.allSatisfy(features.contains) }
}

public enum DispatchTiers {
    /// The full ladder for a family on an architecture, best first, before any feature check: the variant
    /// table's order (`VariantTable.ladder`, for `op` where it depends on it) with each variant's requirements for
    /// the family.
    public static func ladder(
        _ family: FormatFamily, op: KernelOp? = nil, arch: ISAArch, sveVectorBits: Int? = nil
    ) -> [DispatchTier] {
        VariantTable.ladder(family, op: op, arch: arch, sveVectorBits: sveVectorBits).map {
            DispatchTier(variant: $0.name, requires: $0.requirements(for: family))
        }
    }

    /// The tiers a device qualifies for, per family, best first (for `op`; nil: the gemm order `qbench probe`
    /// prints); `scalar` is always last.
    public static func tiers(
        features: Set<CPUFeature>, arch: ISAArch,
        sveVectorBits: Int? = nil, op: KernelOp? = nil
    ) -> [FormatFamily: [DispatchTier]] {
        var out: [FormatFamily: [DispatchTier]] = [:]
        for family in FormatFamily.allCases {
            out[family] = ladder(family, op: op, arch: arch, sveVectorBits: sveVectorBits).filter {
                $0.isSatisfied(by: features)
            }
        }
        return out
    }

    /// Variant names only, per family, best first.
    public static func variants(
        features: Set<CPUFeature>, arch: ISAArch,
        sveVectorBits: Int? = nil
    ) -> [FormatFamily: [KernelVariantName]] {
        tiers(features: features, arch: arch, sveVectorBits: sveVectorBits).mapValues { $0.map(\.variant) }
    }

    /// The tiers a probed device qualifies for (its usable features, architecture and SVE length).
    public static func tiers(device: DeviceProfile) -> [FormatFamily: [DispatchTier]] {
        tiers(
            features: Set(device.cpu.features), arch: ISAArch(rawValue: device.cpu.arch) ?? .other,
            sveVectorBits: device.cpu.sveVectorBits)
    }
}

extension ISAReport {
    /// The kernel dispatch ladders this device qualifies for (see `DispatchTiers`).
    public func dispatchTiers() -> [FormatFamily: [DispatchTier]] {
        DispatchTiers.tiers(features: usable, arch: arch, sveVectorBits: sveVectorBits)
    }
}
