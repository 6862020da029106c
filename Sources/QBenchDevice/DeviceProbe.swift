// Assembles the device profile from the ISA probe, the hwloc/libnuma topology and the system context,
// either from this machine or from captured fixtures ("what would that device get").
import Foundation
import QBenchSupport

/// Where the probe reads from. Any fixture input switches the whole profile to fixture mode, so a replay never
/// mixes in facts of the machine it happens to run on.
public struct ProbeOptions: Sendable {
    public var topologyXML: URL?
    public var cpuidDump: URL?
    public var xcr0: UInt64?
    public init(topologyXML: URL? = nil, cpuidDump: URL? = nil, xcr0: UInt64? = nil) {
        self.topologyXML = topologyXML; self.cpuidDump = cpuidDump; self.xcr0 = xcr0
    }
    public var isFixture: Bool { topologyXML != nil || cpuidDump != nil }
}

public enum DeviceProbe {
    /// Probes the live machine or replays fixtures. The dispatch view of the result is `ProbeReport(device:)`
    /// (QBenchKernels), a layer up: the device knows its features, not the kernels that need them.
    ///
    /// - Throws: `QBError.badInput` naming a fixture file that is missing or malformed; `QBError.other` when hwloc
    ///   cannot read this machine.
    public static func probe(_ options: ProbeOptions = ProbeOptions()) throws -> DeviceProfile {
        options.isFixture ? try fixture(options) : try live(xcr0: options.xcr0)
    }

    static func live(xcr0: UInt64?) throws -> DeviceProfile {
        let isa =
            xcr0.map { ISAProbe.probe(XCR0OverrideReader(base: LiveHardwareReader(), xcr0: $0)) } ?? ISAProbe.live()
        let topo = try TopologyProbe.live()
        let context = SystemContext.read()
        var cpu = isa.cpuInfo()
        cpu.microcode = context.microcode
        let memory = context.memory(hwlocTotalBytes: topo.totalMemoryBytes)
        var notes: [String] = []
        if xcr0 != nil {
            notes.append("XCR0 overridden on the command line: features reflect that OS state, not this one")
        }
        let device = DeviceProfile(
            id: DeviceID.compute(cpu: cpu, topology: topo.topology, numa: topo.numa, memory: memory),
            source: "live", cpu: cpu, topology: topo.topology, numa: topo.numa, memory: memory,
            os: context.os, toolchain: ToolchainInfo.current, notes: notes)
        return device
    }

    static func fixture(_ options: ProbeOptions) throws -> DeviceProfile {
        var notes: [String] = []
        let topo = try options.topologyXML.map { try TopologyProbe.fixture(xmlPath: $0.path) }
        let isa = try options.cpuidDump.map { try ISAProbe.replay(dump: $0, xcr0: options.xcr0) }
        if options.xcr0 != nil && isa == nil {
            throw QBError.badOption(
                flag: "--xcr0", message: "in fixture mode it applies to a CPUID dump; add --cpuid-dump")
        }

        var cpu: CPUInfo
        if let isa {
            cpu = isa.cpuInfo()
        } else {
            // A topology export alone: hwloc's own CPU facts, and no features (nothing says what the OS enables).
            let arch = topo?.architecture ?? "unknown"
            cpu = CPUInfo(
                vendor: topo?.cpuVendor ?? "unknown", model: topo?.cpuModel ?? "unknown", arch: arch,
                features: [], unusableFeatures: [])
            notes.append("no CPUID dump given: usable features unknown, dispatch is scalar only")
        }
        let topology: Topology
        let numa: NUMAInfo
        if let topo {
            topology = topo.topology
            numa = topo.numa
        } else {
            topology = Topology(
                packages: 0, dies: 0, numaNodes: 0, cores: 0, pus: 0, threadsPerCore: 0,
                caches: [], cpuKinds: [])
            numa = NUMAInfo(nodes: 0, distances: [], memoryBytes: [], source: "none")
            notes.append("no topology XML given: topology, caches and NUMA unknown (zeros)")
        }
        let memory = MemoryInfo(totalBytes: topo?.totalMemoryBytes ?? 0, transparentHugepages: nil)
        let device = DeviceProfile(
            id: DeviceID.compute(cpu: cpu, topology: topology, numa: numa, memory: memory),
            source: "fixture", cpu: cpu, topology: topology, numa: numa, memory: memory,
            os: OSInfo(name: "unknown (fixture)", kernel: "unknown", frequencyGovernor: nil),
            toolchain: ToolchainInfo.current, notes: notes)
        return device
    }
}

/// The live machine with XCR0 replaced: models an OS or hypervisor that leaves some register state disabled.
struct XCR0OverrideReader: HardwareReader {
    var base: HardwareReader
    var xcr0Value: UInt64
    init(base: HardwareReader, xcr0: UInt64) { self.base = base; self.xcr0Value = xcr0 }
    var arch: ISAArch { base.arch }
    var os: ISAHostOS { base.os }
    var sourceLabel: String { base.sourceLabel }
    func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDRegisters? { base.cpuid(leaf: leaf, subleaf: subleaf) }
    func xcr0() -> XCR0Reading? { XCR0Reading(value: xcr0Value, source: .override) }
    func amxPermission() -> AMXPermission { base.amxPermission() }
    func auxval(_ type: UInt) -> UInt? { base.auxval(type) }
    func sveVectorLengthBytes() -> Int? { base.sveVectorLengthBytes() }
    func sysctlInt64(_ name: String) -> Int64? { base.sysctlInt64(name) }
    func sysctlString(_ name: String) -> String? { base.sysctlString(name) }
    func midrEL1() -> UInt64? { base.midrEL1() }
}
