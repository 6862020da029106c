// The replay side of the hardware seam: answers every read from values captured elsewhere (a CPUID dump of a
// real machine, or hand-built values in tests), so "what would that device get" runs through the live decoders.

/// One captured CPUID query, with the mask saying which inputs the answer depends on (hwloc's convention:
/// bit 0 = EAX, bit 1 = EBX, bit 2 = ECX, bit 3 = EDX).
public struct CPUIDEntry: Equatable, Sendable {
    public var mask: UInt32
    public var inputs: CPUIDRegisters
    public var outputs: CPUIDRegisters
    public init(mask: UInt32, inputs: CPUIDRegisters, outputs: CPUIDRegisters) {
        self.mask = mask; self.inputs = inputs; self.outputs = outputs
    }

    /// True when this entry answers CPUID(leaf, subleaf): every input the mask names must match.
    public func answers(leaf: UInt32, subleaf: UInt32) -> Bool {
        if mask & 0x1 != 0 && inputs.eax != leaf { return false }
        if mask & 0x4 != 0 && inputs.ecx != subleaf { return false }
        // EBX/EDX inputs never select a leaf on real CPUs; hwloc writes them as 0 and so do we.
        if mask & 0x2 != 0 && inputs.ebx != 0 { return false }
        if mask & 0x8 != 0 && inputs.edx != 0 { return false }
        return true
    }
}

/// A hardware reader over captured values. Anything not captured reads as absent, like on a machine that lacks it.
public struct CapturedHardware: HardwareReader {
    public var arch: ISAArch
    public var os: ISAHostOS
    public var sourceLabel: String
    public var cpuidEntries: [CPUIDEntry]
    public var xcr0Reading: XCR0Reading?
    public var amx: AMXPermission
    public var auxv: [UInt: UInt]
    public var sveBytes: Int?
    public var sysctls: [String: Int64]
    public var sysctlStrings: [String: String]
    public var midr: UInt64?

    public init(
        arch: ISAArch, os: ISAHostOS = .linux, sourceLabel: String = "fixture",
        cpuidEntries: [CPUIDEntry] = [], xcr0: XCR0Reading? = nil, amx: AMXPermission = .unavailable,
        auxv: [UInt: UInt] = [:], sveBytes: Int? = nil, sysctls: [String: Int64] = [:],
        sysctlStrings: [String: String] = [:], midr: UInt64? = nil
    ) {
        self.arch = arch; self.os = os; self.sourceLabel = sourceLabel; self.cpuidEntries = cpuidEntries
        self.xcr0Reading = xcr0; self.amx = amx; self.auxv = auxv; self.sveBytes = sveBytes
        self.sysctls = sysctls; self.sysctlStrings = sysctlStrings; self.midr = midr
    }

    public func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDRegisters? {
        // First match wins, as in hwloc's own replay of these dumps.
        cpuidEntries.first(where: { $0.answers(leaf: leaf, subleaf: subleaf) })?.outputs
    }
    public func xcr0() -> XCR0Reading? { xcr0Reading }
    public func amxPermission() -> AMXPermission { amx }
    public func auxval(_ type: UInt) -> UInt? { auxv[type] }
    public func sveVectorLengthBytes() -> Int? { sveBytes }
    public func sysctlInt64(_ name: String) -> Int64? { sysctls[name] }
    public func sysctlString(_ name: String) -> String? { sysctlStrings[name] }
    public func midrEL1() -> UInt64? { midr }
}
