// Canonical CPU feature names (Linux /proc/cpuinfo spellings, lowercase), as docs/cli.md lists them.

/// A CPU feature the suite cares about. The raw value is the canonical name used in reports and on the command line.
public enum CPUFeature: String, CaseIterable, Codable, Sendable, Comparable {
    // x86
    case sse2, ssse3, sse4_1, sse4_2, popcnt, avx, avx2, fma, f16c, bmi2
    case avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512vbmi, avx512_vbmi2, avx512ifma
    case avx512er, avx512pf
    case avx512_vnni, avx512_bf16, avx512_fp16, avx_vnni, avx_vnni_int8
    case amx_tile, amx_int8, amx_bf16, amx_fp16
    // ARM
    case asimd, asimddp, asimdhp, fphp, i8mm, bf16, sve, sve2, svei8mm, svebf16, sme, sme2

    /// The architecture family a feature belongs to.
    public var isARM: Bool {
        switch self {
        case .asimd, .asimddp, .asimdhp, .fphp, .i8mm, .bf16, .sve, .sve2, .svei8mm, .svebf16, .sme, .sme2: return true
        default: return false
        }
    }

    public static func < (a: CPUFeature, b: CPUFeature) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A feature the CPU reports but that cannot be used, with the reason (OS state not enabled, permission refused, ...).
public struct UnusableFeature: Codable, Sendable, Equatable {
    public var name: CPUFeature
    public var reason: String
    public init(name: CPUFeature, reason: String) { self.name = name; self.reason = reason }
}
