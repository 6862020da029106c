// Dispatch tiers: for each format family, the kernel variants a feature set qualifies for, best first, as a
// pure function of usable features. Variant names are those of docs/cli.md; `scalar` (the reference) always closes
// the list. Ordering encodes which instruction path is expected to be fastest for that family.
import QBenchDevice

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
    public var variant: String
    public var requires: [CPUFeature]
    public init(variant: String, requires: [CPUFeature]) { self.variant = variant; self.requires = requires }

    /// True when every required feature is in `features`.
    public func isSatisfied(by features: Set<CPUFeature>) -> Bool { requires.allSatisfy(features.contains) }
}

public enum DispatchTiers {
    // x86 base tiers. `avx2` needs FMA and F16C too: the kernels use FMA for accumulation and F16C for fp16 scales.
    static let avx2: DispatchTier = .init(variant: "avx2", requires: [.avx2, .fma, .f16c])
    // `avx512` is the Skylake-SP baseline (F, BW, VL, DQ); Knights Landing (F, CD, ER, PF) does not qualify.
    static let avx512Set: [CPUFeature] = [.avx512f, .avx512bw, .avx512vl, .avx512dq]
    static let avx512: DispatchTier = .init(variant: "avx512", requires: avx512Set)
    static let avx512VNNI: DispatchTier = .init(variant: "avx512_vnni", requires: avx512Set + [.avx512_vnni])
    static let avxVNNI: DispatchTier = .init(variant: "avx_vnni", requires: [.avx2, .fma, .f16c, .avx_vnni])
    static let avx512BF16: DispatchTier = .init(variant: "avx512_bf16", requires: avx512Set + [.avx512_bf16])
    static let avx512FP16: DispatchTier = .init(variant: "avx512_fp16", requires: avx512Set + [.avx512_fp16])
    static let amxInt8: DispatchTier = .init(variant: "amx", requires: [.amx_tile, .amx_int8])
    static let amxBF16: DispatchTier = .init(variant: "amx", requires: [.amx_tile, .amx_bf16])
    static let scalar: DispatchTier = .init(variant: "scalar", requires: [])

    // ARM tiers.
    static let neon: DispatchTier = .init(variant: "neon", requires: [.asimd])
    static let neonDotprod: DispatchTier = .init(variant: "neon_dotprod", requires: [.asimd, .asimddp])
    static let neonI8MM: DispatchTier = .init(variant: "neon_i8mm", requires: [.asimd, .i8mm])
    static let neonFP16: DispatchTier = .init(variant: "neon_fp16", requires: [.asimd, .asimdhp])
    static let neonBF16: DispatchTier = .init(variant: "neon_bf16", requires: [.asimd, .bf16])
    static let sve: DispatchTier = .init(variant: "sve", requires: [.sve])
    static let sve2: DispatchTier = .init(variant: "sve2", requires: [.sve, .sve2])

    /// The full ladder for a family on an architecture, best first, before any feature check.
    ///
    /// - x86 int8: amx > avx512_vnni > avx_vnni > avx512 > avx2 > scalar.
    /// - x86 int4: the same without amx: AMX has no 4-bit tiles, and unpacking int4 into int8 tiles is a
    ///   separate kernel design this suite does not build.
    /// - x86 bf16: amx > avx512_bf16 > avx512 > avx2 > scalar; fp16: avx512_fp16 > avx512 > avx2 > scalar;
    ///   f32: avx512 > avx2 > scalar.
    /// - ARM int8/int4: neon_i8mm > neon_dotprod > neon > scalar, with sve2 > sve placed first when the SVE
    ///   vector is wider than 128 bits (then it beats NEON's 128-bit registers) and after the NEON dot-product
    ///   tiers otherwise (same width, NEON's dot products are as fast). f32: likewise sve first only when wider.
    ///   fp16: neon_fp16 computes in fp16 (8 lanes per 128 bits) while sve widens to f32, so sve leads only when
    ///   its vector is wider than 256 bits (A64FX's 512), follows neon_fp16 but leads neon when wider than 128,
    ///   and comes last at 128. bf16: neon_bf16 (bfdot/bfmmla) first, then sve before neon when wider than 128.
    public static func ladder(_ family: FormatFamily, arch: ISAArch, sveVectorBits: Int? = nil) -> [DispatchTier] {
        switch arch {
        case .x86_64:
            switch family {
            case .int8: return [amxInt8, avx512VNNI, avxVNNI, avx512, avx2, scalar]
            case .int4: return [avx512VNNI, avxVNNI, avx512, avx2, scalar]
            case .bf16: return [amxBF16, avx512BF16, avx512, avx2, scalar]
            case .fp16: return [avx512FP16, avx512, avx2, scalar]
            case .f32: return [avx512, avx2, scalar]
            }
        case .aarch64:
            let wideSVE = (sveVectorBits ?? 0) > 128
            switch family {
            case .int8, .int4:
                return wideSVE ? [sve2, sve, neonI8MM, neonDotprod, neon, scalar]
                               : [neonI8MM, neonDotprod, sve2, sve, neon, scalar]
            case .fp16:
                if (sveVectorBits ?? 0) > 256 { return [sve, neonFP16, neon, scalar] }
                return wideSVE ? [neonFP16, sve, neon, scalar] : [neonFP16, neon, sve, scalar]
            case .bf16: return wideSVE ? [neonBF16, sve, neon, scalar] : [neonBF16, neon, sve, scalar]
            case .f32: return wideSVE ? [sve, neon, scalar] : [neon, sve, scalar]
            }
        case .other:
            return [scalar]
        }
    }

    /// The tiers a device qualifies for, per family, best first; `scalar` is always last.
    public static func tiers(features: Set<CPUFeature>, arch: ISAArch,
                             sveVectorBits: Int? = nil) -> [FormatFamily: [DispatchTier]] {
        var out: [FormatFamily: [DispatchTier]] = [:]
        for family in FormatFamily.allCases {
            out[family] = ladder(family, arch: arch, sveVectorBits: sveVectorBits).filter { $0.isSatisfied(by: features) }
        }
        return out
    }

    /// Variant names only, per family, best first.
    public static func variants(features: Set<CPUFeature>, arch: ISAArch,
                                sveVectorBits: Int? = nil) -> [FormatFamily: [String]] {
        tiers(features: features, arch: arch, sveVectorBits: sveVectorBits).mapValues { $0.map(\.variant) }
    }

    /// The tiers a probed device qualifies for (its usable features, architecture and SVE length).
    public static func tiers(device: DeviceProfile) -> [FormatFamily: [DispatchTier]] {
        tiers(features: Set(device.cpu.features), arch: ISAArch(rawValue: device.cpu.arch) ?? .other,
              sveVectorBits: device.cpu.sveVectorBits)
    }
}

extension ISAReport {
    /// The kernel dispatch ladders this device qualifies for (see `DispatchTiers`).
    public func dispatchTiers() -> [FormatFamily: [DispatchTier]] {
        DispatchTiers.tiers(features: usable, arch: arch, sveVectorBits: sveVectorBits)
    }
}
