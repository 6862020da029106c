// The device profile: what `qbench probe` reports and what every report carries under `device`.
// Persisted value types only; the probes that fill them live beside this file.

/// Everything the suite knows about one device. Encoded with `QBJSON` (snake_case keys).
public struct DeviceProfile: Codable, Sendable, Equatable {
    public static let schema = "qbench.device/1"
    public var schema: String = DeviceProfile.schema
    /// Stable fingerprint from hardware facts only (not hostname, not free memory).
    public var id: String
    /// `live` when read from this machine, `fixture` when replayed from captured files.
    public var source: String
    public var cpu: CPUInfo
    public var topology: Topology
    public var numa: NUMAInfo
    public var memory: MemoryInfo
    public var os: OSInfo
    public var toolchain: Toolchain
    /// What the profile could not know and why (e.g. a fixture without a CPUID dump has no feature list).
    public var notes: [String] = []

    public init(
        id: String, source: String, cpu: CPUInfo, topology: Topology, numa: NUMAInfo,
        memory: MemoryInfo, os: OSInfo, toolchain: Toolchain, notes: [String] = []
    ) {
        self.id = id; self.source = source; self.cpu = cpu; self.topology = topology; self.numa = numa
        self.memory = memory; self.os = os; self.toolchain = toolchain; self.notes = notes
    }

    /// True when the CPU reports the feature and the OS enables it.
    public func has(_ feature: CPUFeature) -> Bool { cpu.features.contains(feature) }
}

public struct CPUInfo: Codable, Sendable, Equatable {
    public var vendor: String
    public var model: String
    /// `x86_64` or `aarch64`.
    public var arch: String
    public var family: Int?
    public var modelNumber: Int?
    public var stepping: Int?
    public var microcode: String?
    public var hypervisor: String?
    /// Usable features: reported by the CPU and enabled by the OS. Sorted in canonical order.
    public var features: [CPUFeature]
    /// Reported by the CPU but not usable, each with the reason.
    public var unusableFeatures: [UnusableFeature]
    /// XCR0 as hex (x86), and where it came from (`xgetbv`, `fixture-leaf-0xd`, `override`).
    public var xcr0: String?
    public var xcr0Source: String?
    /// SVE vector length in bits (ARM), when SVE is usable.
    public var sveVectorBits: Int?

    public init(
        vendor: String, model: String, arch: String, family: Int? = nil, modelNumber: Int? = nil,
        stepping: Int? = nil, microcode: String? = nil, hypervisor: String? = nil,
        features: [CPUFeature], unusableFeatures: [UnusableFeature], xcr0: String? = nil,
        xcr0Source: String? = nil, sveVectorBits: Int? = nil
    ) {
        self.vendor = vendor; self.model = model; self.arch = arch; self.family = family
        self.modelNumber = modelNumber; self.stepping = stepping; self.microcode = microcode
        self.hypervisor = hypervisor; self.features = features; self.unusableFeatures = unusableFeatures
        self.xcr0 = xcr0; self.xcr0Source = xcr0Source; self.sveVectorBits = sveVectorBits
    }
}

public struct Topology: Codable, Sendable, Equatable {
    public var packages: Int
    /// Die objects hwloc reports, or `packages` when it reports none (one die per package).
    public var dies: Int
    public var numaNodes: Int
    public var cores: Int
    public var pus: Int
    /// Hardware threads per core (1 when SMT is off or absent); the largest core's count on hybrid parts.
    public var threadsPerCore: Int
    public var caches: [CacheLevel]
    public var cpuKinds: [CPUKind]
    public init(
        packages: Int, dies: Int, numaNodes: Int, cores: Int, pus: Int, threadsPerCore: Int,
        caches: [CacheLevel], cpuKinds: [CPUKind]
    ) {
        self.packages = packages; self.dies = dies; self.numaNodes = numaNodes; self.cores = cores
        self.pus = pus; self.threadsPerCore = threadsPerCore; self.caches = caches; self.cpuKinds = cpuKinds
    }
}

/// One cache level as hwloc reports it, aggregated over instances. A level whose instances differ (hybrid
/// parts: P-core L2 vs E-cluster L2) has one entry per distinct (size, line, cores sharing).
public struct CacheLevel: Codable, Sendable, Equatable {
    public var level: Int
    /// `data`, `instruction` or `unified`.
    public var type: String
    public var sizeBytes: Int
    public var lineBytes: Int
    /// Number of instances of this cache in the machine.
    public var count: Int
    /// Cores sharing one instance.
    public var coresSharing: Int
    public init(level: Int, type: String, sizeBytes: Int, lineBytes: Int, count: Int, coresSharing: Int) {
        self.level = level; self.type = type; self.sizeBytes = sizeBytes; self.lineBytes = lineBytes
        self.count = count; self.coresSharing = coresSharing
    }
}

/// A kind of identical cores (hwloc cpukinds), listed in hwloc's order: lowest performance (most
/// energy-efficient, e.g. E-cores) first.
public struct CPUKind: Codable, Sendable, Equatable {
    /// hwloc efficiency rank: 0 for the least performant kind, higher = greater intrinsic performance;
    /// -1 when hwloc cannot rank the kinds (they are then in no particular order).
    public var efficiency: Int
    /// hwloc infos for the kind (CoreType, FrequencyMaxMHz, LinuxCapacity, ...).
    public var infos: [String: String]
    /// Cores whose PUs all belong to this kind.
    public var cores: Int
    /// OS indexes (Linux CPU numbers) of the kind's PUs, ascending.
    public var pus: [Int]
    public init(efficiency: Int, infos: [String: String], cores: Int, pus: [Int]) {
        self.efficiency = efficiency; self.infos = infos; self.cores = cores; self.pus = pus
    }
}

public struct NUMAInfo: Codable, Sendable, Equatable {
    public var nodes: Int
    /// SLIT distances, row per node (10 = local).
    public var distances: [[Int]]
    public var memoryBytes: [UInt64]
    /// `libnuma` (live) or `hwloc` (fixture topology); with `-assumed-distances` appended when the source had no
    /// distance table and 10 (local) / 20 (remote) were assumed.
    public var source: String
    /// OS node numbers (Linux `nodeN`), in the order of `distances` and `memory_bytes`; they may have holes.
    public var osIndexes: [Int]?
    public init(nodes: Int, distances: [[Int]], memoryBytes: [UInt64], source: String, osIndexes: [Int]? = nil) {
        self.nodes = nodes; self.distances = distances; self.memoryBytes = memoryBytes; self.source = source
        self.osIndexes = osIndexes
    }
}

public struct MemoryInfo: Codable, Sendable, Equatable {
    public var totalBytes: UInt64
    /// /sys/kernel/mm/transparent_hugepage/enabled selection (`always`, `madvise`, `never`), when known.
    public var transparentHugepages: String?
    public init(totalBytes: UInt64, transparentHugepages: String?) {
        self.totalBytes = totalBytes; self.transparentHugepages = transparentHugepages
    }
}

public struct OSInfo: Codable, Sendable, Equatable {
    public var name: String
    public var kernel: String
    public var frequencyGovernor: String?
    public init(name: String, kernel: String, frequencyGovernor: String?) {
        self.name = name; self.kernel = kernel; self.frequencyGovernor = frequencyGovernor
    }
}

public struct Toolchain: Codable, Sendable, Equatable {
    public var swift: String
    public var cCompiler: String
    public init(swift: String, cCompiler: String) { self.swift = swift; self.cCompiler = cCompiler }
}
