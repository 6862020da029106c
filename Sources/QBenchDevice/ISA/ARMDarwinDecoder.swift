// ARM on macOS: features from the `hw.optional.*` sysctls, as a pure function of their captured values.
// macOS only reports a feature there when user space may use it, so a reported feature is usable.

public enum ARMDarwinDecoder {
    /// sysctl name -> canonical features it stands for. FEAT_FP16 covers both the scalar (fphp) and the
    /// Advanced SIMD (asimdhp) half-precision arithmetic, which Linux splits into two HWCAP bits.
    public static let sysctlFeatures: [(String, [CPUFeature])] = [
        ("hw.optional.AdvSIMD", [.asimd]),
        ("hw.optional.neon", [.asimd]),
        ("hw.optional.arm.FEAT_DotProd", [.asimddp]),
        ("hw.optional.arm.FEAT_FP16", [.fphp, .asimdhp]),
        ("hw.optional.arm.FEAT_I8MM", [.i8mm]),
        ("hw.optional.arm.FEAT_BF16", [.bf16]),
        ("hw.optional.arm.FEAT_SME", [.sme]),
        ("hw.optional.arm.FEAT_SME2", [.sme2]),
    ]

    /// The sysctl names the live reader must query.
    public static var names: [String] { sysctlFeatures.map { $0.0 } }

    /// Canonical features from captured sysctl values (name -> integer); missing names mean "not present".
    public static func features(sysctls: [String: Int64]) -> Set<CPUFeature> {
        var out = Set<CPUFeature>()
        for (name, features) in sysctlFeatures where (sysctls[name] ?? 0) != 0 { out.formUnion(features) }
        return out
    }
}
