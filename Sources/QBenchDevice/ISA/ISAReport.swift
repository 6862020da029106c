// What the ISA probe found: identity, reported vs usable features with reasons, XCR0, SVE length. The lead's
// device profile takes its `cpu` section from `cpuInfo()`.

public struct ISAReport: Equatable, Sendable {
    public var arch: ISAArch
    /// `live` or `fixture`.
    public var source: String
    public var vendor: String
    public var model: String
    public var family: Int?
    public var modelNumber: Int?
    public var stepping: Int?
    public var hypervisor: String?
    /// Every canonical feature the CPU reports, usable or not.
    public var reported: Set<CPUFeature>
    /// Reported and enabled by the OS: the only set dispatch may use.
    public var usable: Set<CPUFeature>
    /// Reported but not usable, each with the reason, in canonical order.
    public var unusable: [UnusableFeature]
    public var xcr0: XCR0Reading?
    public var sveVectorBits: Int?

    public init(
        arch: ISAArch, source: String, vendor: String, model: String, family: Int?, modelNumber: Int?,
        stepping: Int?, hypervisor: String?, reported: Set<CPUFeature>, usable: Set<CPUFeature>,
        unusable: [UnusableFeature], xcr0: XCR0Reading?, sveVectorBits: Int?
    ) {
        self.arch = arch; self.source = source; self.vendor = vendor; self.model = model; self.family = family
        self.modelNumber = modelNumber; self.stepping = stepping; self.hypervisor = hypervisor
        self.reported = reported; self.usable = usable; self.unusable = unusable; self.xcr0 = xcr0
        self.sveVectorBits = sveVectorBits
    }

    /// Usable features in canonical order.
    public var features: [CPUFeature] { usable.sorted() }

    /// True when the CPU reports the feature and the OS enables it.
    public func has(_ feature: CPUFeature) -> Bool { usable.contains(feature) }

    /// The reason a reported feature is unusable, nil when it is usable or not reported.
    public func reason(_ feature: CPUFeature) -> String? { unusable.first(where: { $0.name == feature })?.reason }

    /// XCR0 as `0x...` lowercase hex.
    public var xcr0Hex: String? { xcr0.map { "0x" + String($0.value, radix: 16) } }

    /// The `cpu` section of the device profile (microcode is not read here).
    public func cpuInfo() -> CPUInfo {
        CPUInfo(
            vendor: vendor, model: model, arch: arch.rawValue, family: family, modelNumber: modelNumber,
            stepping: stepping, microcode: nil, hypervisor: hypervisor, features: features,
            unusableFeatures: unusable, xcr0: xcr0Hex, xcr0Source: xcr0?.source.rawValue,
            sveVectorBits: sveVectorBits)
    }

}
