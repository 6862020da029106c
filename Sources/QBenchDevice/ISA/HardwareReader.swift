// The one seam for raw hardware reads used by the ISA probe. The live reader calls the CQBench shims; the replay
// reader answers from captured values (a hwloc-gather-cpuid dump, or hand-built values in tests). Everything
// downstream of this seam is a pure decoder, so both paths produce their report through the same code.
import CQBench

/// The instruction-set architecture the probe decodes for.
public enum ISAArch: String, Codable, Sendable, CaseIterable {
    case x86_64
    case aarch64
    case other

    /// The architecture this binary was built for, as the C shim reports it.
    public static var host: ISAArch {
        switch qb_hw_arch() {
        case 1: return .x86_64
        case 2: return .aarch64
        default: return .other
        }
    }
}

/// The operating system whose conventions apply to the ARM feature reads (HWCAP on Linux, sysctl on Darwin).
public enum ISAHostOS: String, Codable, Sendable {
    case linux
    case darwin
    case other
}

/// The four registers one CPUID query returns.
public struct CPUIDRegisters: Equatable, Sendable {
    public var eax: UInt32
    public var ebx: UInt32
    public var ecx: UInt32
    public var edx: UInt32
    public init(eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
        self.eax = eax; self.ebx = ebx; self.ecx = ecx; self.edx = edx
    }
    public static let zero = CPUIDRegisters(eax: 0, ebx: 0, ecx: 0, edx: 0)
}

/// Where the XCR0 value in a report came from. Raw values are what `CPUInfo.xcr0Source` carries.
public enum XCR0Source: String, Codable, Sendable {
    /// Read on this machine with `xgetbv`.
    case xgetbv
    /// Replay: the state components CPUID leaf 0xD sub-leaf 0 reports as supported (the dump has no XCR0).
    case fixtureLeaf0xD = "fixture-leaf-0xd"
    /// Given on the command line (`--xcr0`) to model an OS or VM that leaves some state disabled.
    case override
}

/// An XCR0 value and its origin.
public struct XCR0Reading: Equatable, Sendable {
    public var value: UInt64
    public var source: XCR0Source
    public init(value: UInt64, source: XCR0Source) { self.value = value; self.source = source }
}

/// The outcome of asking the OS for AMX tile-data permission (Linux `arch_prctl(ARCH_REQ_XCOMP_PERM)`).
public enum AMXPermission: Equatable, Sendable {
    case granted
    /// Linux refused; the errno says why (e.g. EINVAL on kernels before 5.16, which have no such request).
    case refused(errno: Int32)
    /// This platform has no such request, so AMX state cannot be unlocked by this process.
    case unavailable
}

/// Raw hardware reads. Implementations do no decoding: they return what the hardware (or the capture) said.
public protocol HardwareReader {
    var arch: ISAArch { get }
    var os: ISAHostOS { get }
    /// `live` or `fixture`: carried into the report so nobody mistakes a replay for this machine.
    var sourceLabel: String { get }
    /// CPUID(leaf, subleaf), or nil when it cannot be executed or the capture does not hold that query.
    func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDRegisters?
    /// XCR0, or nil when it cannot be read (OSXSAVE off, not x86, or the capture cannot tell).
    func xcr0() -> XCR0Reading?
    /// Asks for AMX tile-data permission. Called only when the CPU reports AMX and XCR0 enables its state,
    /// because on Linux the request has an effect: it unlocks AMX for this process.
    func amxPermission() -> AMXPermission
    /// getauxval(type) (Linux), nil when unavailable.
    func auxval(_ type: UInt) -> UInt?
    /// SVE vector length in bytes (Linux `prctl(PR_SVE_GET_VL)`), nil when SVE is not available.
    func sveVectorLengthBytes() -> Int?
    /// sysctlbyname(name) as an integer (Darwin), nil when the name does not exist.
    func sysctlInt64(_ name: String) -> Int64?
    /// sysctlbyname(name) as a string (Darwin), nil when the name does not exist.
    func sysctlString(_ name: String) -> String?
    /// The ARM Main ID Register of cpu0 (Linux exposes it in sysfs), nil when unknown.
    func midrEL1() -> UInt64?
}
