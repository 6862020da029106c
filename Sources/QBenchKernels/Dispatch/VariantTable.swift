// The one variant table: every kernel variant's architecture, required CPU features, the format families it
// serves and its --max-isa level, declared once. The dispatch tiers, the --max-isa order, the plan's preference
// and "best verified variant" all derive from it; the C registries (registry.c, arm_registry.c) declare each
// entry's features beside its code, and VariantTableTests checks every entry against this table.
import QBenchDevice
import QBenchFormats

/// A kernel variant's name: every variant the C registries (registry.c, arm_registry.c) and the table below
/// declare. Raw values are the names the C entries, reports, `--max-isa` and `--variants` use; the registry maps
/// each entry's C string to one of these once (`KernelRegistry`), and VariantTableTests checks that every case
/// has exactly one row in `VariantTable`.
public enum KernelVariantName: String, CaseIterable, Codable, Sendable, Comparable, CustomStringConvertible {
    // x86-64
    case scalar, avx2, avx512, avx_vnni, avx512_vnni, avx512_bf16, avx512_fp16, amx
    // AArch64
    case neon, neon_dotprod, neon_fp16, neon_bf16, neon_i8mm, sve, sve2

    public var description: String { rawValue }

    public static func < (a: KernelVariantName, b: KernelVariantName) -> Bool { a.rawValue < b.rawValue }
}

/// One kernel variant (an instruction path) as the table declares it.
public struct VariantSpec: Sendable, Equatable {
    public let name: KernelVariantName
    public let arch: ISAArch
    /// Features every entry of the variant needs.
    public let requires: [CPUFeature]
    /// The families whose ladder holds the variant, with the features an entry of that family needs on top of
    /// `requires` (AMX: int8 tiles need amx_int8, bf16 tiles amx_bf16).
    public let families: [FormatFamily: [CPUFeature]]

    init(_ name: KernelVariantName, _ arch: ISAArch, requires: [CPUFeature], families: [FormatFamily: [CPUFeature]]) {
        self.name = name; self.arch = arch; self.requires = requires; self.families = families
    }
    init(_ name: KernelVariantName, _ arch: ISAArch, requires: [CPUFeature], for families: [FormatFamily]) {
        self.init(name, arch, requires: requires, families: Dictionary(uniqueKeysWithValues: families.map { ($0, []) }))
    }

    /// The features an entry of this variant for `family` needs.
    public func requirements(for family: FormatFamily) -> [CPUFeature] { requires + (families[family] ?? []) }
    public func serves(_ family: FormatFamily) -> Bool { families[family] != nil }
}

public enum VariantTable {
    private static let all = FormatFamily.allCases
    private static let x86Base: [CPUFeature] = [.avx2, .fma, .f16c]
    // The Skylake-SP baseline (F, BW, VL, DQ) on top of AVX2; Knights Landing (F, CD, ER, PF) does not qualify.
    private static let avx512Base: [CPUFeature] = x86Base + [.avx512f, .avx512bw, .avx512vl, .avx512dq]

    /// x86-64, lowest --max-isa level first. The order is also the preference: each family's ladder is this list
    /// reversed, restricted to the variants that serve the family (int8: amx > avx512_vnni > avx_vnni > avx512 >
    /// avx2 > scalar). avx_vnni (VNNI on 256-bit registers) ranks above plain avx512 for int8 and int4, so
    /// `--max-isa avx512` leaves it out. AMX has no 4-bit tiles, so it serves int8 and bf16 only.
    public static let x86: [VariantSpec] = [
        VariantSpec(.scalar, .x86_64, requires: [], for: all),
        VariantSpec(.avx2, .x86_64, requires: x86Base, for: all),
        VariantSpec(.avx512, .x86_64, requires: avx512Base, for: all),
        VariantSpec(.avx_vnni, .x86_64, requires: x86Base + [.avx_vnni], for: [.int8, .int4]),
        VariantSpec(.avx512_vnni, .x86_64, requires: avx512Base + [.avx512_vnni], for: [.int8, .int4]),
        VariantSpec(.avx512_bf16, .x86_64, requires: avx512Base + [.avx512_bf16], for: [.bf16]),
        VariantSpec(.avx512_fp16, .x86_64, requires: avx512Base + [.avx512_fp16], for: [.fp16]),
        VariantSpec(
            .amx, .x86_64, requires: avx512Base + [.amx_tile],
            families: [.int8: [.amx_int8], .bf16: [.amx_bf16]]),
    ]

    /// AArch64, lowest --max-isa level first (the order the extensions arrived in). On ARM the preference is not
    /// this order: it depends on the SVE vector length (`aarch64Ladder`).
    public static let aarch64: [VariantSpec] = [
        VariantSpec(.scalar, .aarch64, requires: [], for: all),
        VariantSpec(.neon, .aarch64, requires: [.asimd], for: all),
        VariantSpec(.neon_dotprod, .aarch64, requires: [.asimd, .asimddp], for: [.int8, .int4]),
        VariantSpec(.neon_fp16, .aarch64, requires: [.asimd, .fphp, .asimdhp], for: [.fp16]),
        VariantSpec(.neon_bf16, .aarch64, requires: [.asimd, .bf16], for: [.bf16]),
        VariantSpec(.neon_i8mm, .aarch64, requires: [.asimd, .i8mm], for: [.int8, .int4]),
        VariantSpec(.sve, .aarch64, requires: [.asimd, .sve], for: all),
        VariantSpec(.sve2, .aarch64, requires: [.asimd, .sve, .sve2], for: [.int8, .int4]),
    ]

    /// The variants of an architecture, lowest level first (`other` architectures only have scalar).
    public static func variants(_ arch: ISAArch) -> [VariantSpec] {
        switch arch {
        case .x86_64: return x86
        case .aarch64: return aarch64
        case .other: return [VariantSpec(.scalar, .other, requires: [], for: all)]
        }
    }

    /// Architecture names as reports and the registry spell them (`arm64` is Darwin's aarch64).
    public static func arch(named name: String) -> ISAArch {
        ISAArch(rawValue: name == "arm64" ? "aarch64" : name) ?? .other
    }

    public static func spec(_ name: KernelVariantName, arch: ISAArch) -> VariantSpec? {
        variants(arch).first { $0.name == name }
    }

    /// A family's ladder, best first, ending with scalar; `op` when the order depends on it (ARM gemv).
    public static func ladder(
        _ family: FormatFamily, op: KernelOp? = nil, arch: ISAArch, sveVectorBits: Int? = nil
    ) -> [VariantSpec] {
        switch arch {
        case .x86_64, .other:
            return variants(arch).reversed().filter { $0.serves(family) }
        case .aarch64:
            return aarch64Ladder(family, op: op, sveVectorBits: sveVectorBits).compactMap { spec($0, arch: .aarch64) }
        }
    }

    /// ARM preference. int8/int4: neon_i8mm > neon_dotprod > neon, with sve2 > sve first when the SVE vector is
    /// wider than 128 bits (then it beats NEON's 128-bit registers) and after the NEON dot-product tiers otherwise
    /// (same width, NEON's dot products are as fast). f32: sve first only when wider. fp16: neon_fp16 computes in
    /// fp16 (8 lanes per 128 bits) while sve widens to f32, so sve leads only when wider than 256 bits (A64FX's
    /// 512), follows neon_fp16 but leads neon when wider than 128, and comes last at 128. bf16: neon_bf16
    /// (bfdot/bfmmla) first, then sve before neon when wider than 128.
    /// gemv (one activation row) puts neon_dotprod before neon_i8mm: smmla's 2x2 tile has one activation row to
    /// work on, so half its products are thrown away, 16 useful per instruction as sdot gives, plus the
    /// interleaving of rows; every i8mm CPU has dotprod. `qbench tune` measures both where it matters.
    static func aarch64Ladder(_ family: FormatFamily, op: KernelOp? = nil, sveVectorBits: Int?) -> [KernelVariantName] {
        let bits = sveVectorBits ?? 0
        let wide = bits > 128
        switch family {
        case .int8, .int4:
            let dot: [KernelVariantName] = op == .gemv ? [.neon_dotprod, .neon_i8mm] : [.neon_i8mm, .neon_dotprod]
            return wide ? [.sve2, .sve] + dot + [.neon, .scalar] : dot + [.sve2, .sve, .neon, .scalar]
        case .fp16:
            if bits > 256 { return [.sve, .neon_fp16, .neon, .scalar] }
            return wide ? [.neon_fp16, .sve, .neon, .scalar] : [.neon_fp16, .neon, .sve, .scalar]
        case .bf16: return wide ? [.neon_bf16, .sve, .neon, .scalar] : [.neon_bf16, .neon, .sve, .scalar]
        case .f32: return wide ? [.sve, .neon, .scalar] : [.neon, .sve, .scalar]
        }
    }
}
