// What the topology half of `qbench probe` hands to the profile: hwloc's topology, the NUMA layout, total memory,
// and the few CPU facts hwloc records (useful when a fixture has no CPUID dump, e.g. an ARM machine).
import Foundation

public struct TopologyProbe: Sendable, Equatable {
    /// `live` or `fixture`, as `DeviceProfile.source`.
    public var source: String
    public var topology: Topology
    public var numa: NUMAInfo
    /// hwloc root `total_memory` (sum of NUMA nodes' local memory); 0 when an XML export did not record memory.
    public var totalMemoryBytes: UInt64
    /// hwloc's `Architecture` info (`x86_64`, `aarch64`), nil when the export lacks it.
    public var architecture: String?
    /// hwloc's `CPUVendor` / `CPUModel` infos of the first package that has them, nil when absent (ARM Linux
    /// exports carry none).
    public var cpuVendor: String?
    public var cpuModel: String?

    public init(
        source: String, topology: Topology, numa: NUMAInfo, totalMemoryBytes: UInt64,
        architecture: String?, cpuVendor: String?, cpuModel: String?
    ) {
        self.source = source; self.topology = topology; self.numa = numa; self.totalMemoryBytes = totalMemoryBytes
        self.architecture = architecture; self.cpuVendor = cpuVendor; self.cpuModel = cpuModel
    }

    /// Probes this machine: topology through hwloc, NUMA through libnuma (hwloc's view when libnuma reports NUMA
    /// unavailable, with `source` saying so).
    ///
    /// - Parameter topology: an already loaded live topology to reuse (e.g. the one `ThreadPlacer` holds).
    /// - Throws: `QBError.other` when hwloc cannot discover the machine.
    public static func live(topology: HwlocTopology? = nil) throws -> TopologyProbe {
        let topo = try topology ?? HwlocTopology.live()
        var numa: NUMAInfo
        #if canImport(CNuma)
        if let fromLibnuma = LibnumaReader.read() {
            numa = fromLibnuma
        } else {
            numa = topo.numaFromHwloc()
            numa.source += " (libnuma unavailable)"
        }
        #else
        numa = topo.numaFromHwloc()
        #endif
        return make(topo, source: "live", numa: numa)
    }

    /// Replays a topology exported by hwloc; NUMA facts come from the same file.
    ///
    /// - Throws: `QBError.badInput(path:message:)` for a missing, unreadable, invalid or empty export.
    public static func fixture(xmlPath: String) throws -> TopologyProbe {
        let topo = try HwlocTopology.load(xmlPath: xmlPath)
        return make(topo, source: "fixture", numa: topo.numaFromHwloc())
    }

    /// `fixture(xmlPath:)` without the forked first load that protects the process from hwloc crashing on a
    /// malformed file. Only for the input fuzzer, which runs many files in one child process of its own and
    /// isolates crashes per batch instead of per file (a fork per file caps it at about 70 files a second).
    @_spi(Fuzzing) public static func fixtureInProcess(xmlPath: String) throws -> TopologyProbe {
        let topo = try HwlocTopology.loadUnisolated(xmlPath: xmlPath)
        return make(topo, source: "fixture", numa: topo.numaFromHwloc())
    }

    static func make(_ topo: HwlocTopology, source: String, numa: NUMAInfo) -> TopologyProbe {
        let clean: (String?) -> String? = { s in
            guard let s else { return nil }
            let t = s.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            return t.isEmpty ? nil : t
        }
        return TopologyProbe(
            source: source, topology: topo.summary(), numa: numa,
            totalMemoryBytes: topo.totalMemoryBytes,
            architecture: clean(topo.machineInfos["Architecture"]),
            cpuVendor: clean(topo.packageInfo("CPUVendor")),
            cpuModel: clean(topo.packageInfo("CPUModel")))
    }
}
