// Replays every real-machine hwloc export and checks the facts the fixtures README states about it.
import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchDevice

final class TopologyFixtureTests: XCTestCase {
    /// What each fixture must show. A file added to the fixtures without an entry here fails the suite, so
    /// every export is checked, not just loaded.
    struct Expected {
        var arch: String? = nil
        var packages: Int
        var cores: Int
        var pus: Int
        var threadsPerCore: Int
        var numaNodes: Int
        var l3Count: Int? = nil
        var l3SizeBytes: Int? = nil
        var cpuKindCores: [Int] = []
    }

    static let expected: [String: Expected] = [
        "AMD-19h-Zen4-2xEpyc-9654.xml": Expected(
            packages: 2, cores: 192, pus: 384, threadsPerCore: 2, numaNodes: 2,
            l3Count: 24, l3SizeBytes: 32 << 20),
        "AMD-EPYC-Zen4-2core-VM.xml": Expected(
            arch: "x86_64", packages: 1, cores: 2, pus: 2, threadsPerCore: 1,
            numaNodes: 1, l3Count: 1, l3SizeBytes: 32 << 20, cpuKindCores: [2]),
        "ARM-Kunpeng-2x64c-128arm.xml": Expected(
            arch: "aarch64", packages: 2, cores: 128, pus: 128, threadsPerCore: 1,
            numaNodes: 4, l3Count: 4, cpuKindCores: [128]),
        "ARM-NVIDIA-DGX-GB10-hybrid.xml": Expected(
            arch: "aarch64", packages: 1, cores: 20, pus: 20, threadsPerCore: 1,
            numaNodes: 1, l3Count: 2, cpuKindCores: [5, 5, 5, 4, 1]),
        "Intel-CascadeLake-2xXeon6230.xml": Expected(
            packages: 2, cores: 40, pus: 80, threadsPerCore: 2, numaNodes: 1,
            l3Count: 2),
        "Intel-Haswell-2xXeon-E5-2680v3.xml": Expected(
            packages: 2, cores: 24, pus: 24, threadsPerCore: 1, numaNodes: 1),
        "Intel-KnightsLanding-XeonPhi-7210.xml": Expected(
            packages: 1, cores: 64, pus: 256, threadsPerCore: 4,
            numaNodes: 1, l3Count: 0),
        "Intel-RaptorLake-Corei7-1370P-linux-hybrid.xml": Expected(
            arch: "x86_64", packages: 1, cores: 14, pus: 20,
            threadsPerCore: 2, numaNodes: 1, l3Count: 1,
            cpuKindCores: [8, 6]),
        "Intel-RaptorLake-Corei7-1370P.xml": Expected(
            packages: 1, cores: 14, pus: 20, threadsPerCore: 2, numaNodes: 1,
            l3Count: 1, cpuKindCores: [8, 6]),
        "Intel-SapphireRapids-2xXeonMax9460.xml": Expected(
            packages: 2, cores: 80, pus: 160, threadsPerCore: 2,
            numaNodes: 1, l3Count: 2),
        "Intel-Skylake-2xXeon6140.xml": Expected(
            packages: 2, cores: 36, pus: 72, threadsPerCore: 2, numaNodes: 1,
            l3Count: 2),
    ]

    private func probe(_ name: String) throws -> TopologyProbe {
        let dir = try TestPaths.requireFixtures("hwloc-xml")
        return try TopologyProbe.fixture(xmlPath: dir.appendingPathComponent(name).path)
    }

    private func l3(_ t: Topology) -> [CacheLevel] { t.caches.filter { $0.level == 3 } }

    func testEveryFixture_loadsAndMatchesTheREADMEFacts() throws {
        let dir = try TestPaths.requireFixtures("hwloc-xml")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".xml") }
            .sorted()
        XCTAssertFalse(files.isEmpty, "no XML files in \(dir.path)")
        for file in files {
            guard let want = Self.expected[file] else {
                XCTFail("\(file): fixture has no expected facts in TopologyFixtureTests.expected"); continue
            }
            let p = try TopologyProbe.fixture(xmlPath: dir.appendingPathComponent(file).path)
            let t = p.topology
            XCTAssertEqual(p.source, "fixture", file)
            XCTAssertEqual(t.packages, want.packages, "\(file) packages")
            XCTAssertEqual(t.cores, want.cores, "\(file) cores")
            XCTAssertEqual(t.pus, want.pus, "\(file) pus")
            XCTAssertEqual(t.threadsPerCore, want.threadsPerCore, "\(file) threads per core")
            XCTAssertEqual(t.numaNodes, want.numaNodes, "\(file) numa nodes in topology")
            XCTAssertEqual(p.numa.nodes, want.numaNodes, "\(file) numa nodes in NUMA info")
            XCTAssertEqual(p.numa.distances.count, want.numaNodes, "\(file) distance rows")
            XCTAssertEqual(p.numa.memoryBytes.count, want.numaNodes, "\(file) memory entries")
            if let arch = want.arch { XCTAssertEqual(p.architecture, arch, "\(file) arch") }
            if let n = want.l3Count { XCTAssertEqual(l3(t).map(\.count).reduce(0, +), n, "\(file) L3 instances") }
            if let size = want.l3SizeBytes { XCTAssertEqual(l3(t).map(\.sizeBytes), [size], "\(file) L3 size") }
            XCTAssertEqual(t.cpuKinds.map(\.cores), want.cpuKindCores, "\(file) cpu kinds (cores per kind)")
            XCTAssertEqual(
                t.cpuKinds.map(\.pus.count).reduce(0, +), want.cpuKindCores.isEmpty ? 0 : want.pus,
                "\(file) every PU in exactly one kind")
            // Every core has an L1d, and every fixture reports its L1i too (instruction caches are kept on purpose).
            let l1d = t.caches.filter { $0.level == 1 && $0.type == "data" }.map(\.count).reduce(0, +)
            let l1i = t.caches.filter { $0.level == 1 && $0.type == "instruction" }.map(\.count).reduce(0, +)
            XCTAssertEqual(l1d, want.cores, "\(file) L1d instances")
            XCTAssertEqual(l1i, want.cores, "\(file) L1i instances")
            // Every core sits under exactly one instance of each cache level it has, so instances x cores
            // sharing one, summed over the entries of a (level, type), is the core count.
            for key in Set(t.caches.map { "L\($0.level) \($0.type)" }) {
                let covered = t.caches.filter { "L\($0.level) \($0.type)" == key }
                    .map { $0.count * $0.coresSharing }.reduce(0, +)
                XCTAssertEqual(covered, want.cores, "\(file) \(key) covers every core once")
            }
        }
    }

    func testZen4Epyc9654_hasOneL3PerCCDSharedByEightCores() throws {
        let t = try probe("AMD-19h-Zen4-2xEpyc-9654.xml").topology
        XCTAssertEqual(
            l3(t),
            [
                CacheLevel(
                    level: 3, type: "unified", sizeBytes: 32 << 20, lineBytes: 64, count: 24,
                    coresSharing: 8)
            ])
        XCTAssertEqual(t.dies, 24)
    }

    func testKunpeng_readsSLITDistancesAndNodeMemoryFromTheExport() throws {
        let p = try probe("ARM-Kunpeng-2x64c-128arm.xml")
        XCTAssertEqual(p.numa.source, "hwloc")
        XCTAssertEqual(p.numa.osIndexes, [0, 1, 2, 3])
        XCTAssertEqual(p.numa.distances, [[10, 16, 32, 33], [16, 10, 25, 32], [32, 25, 10, 16], [33, 32, 16, 10]])
        XCTAssertEqual(p.numa.memoryBytes[0], 134_894_530_560)
        XCTAssertEqual(p.totalMemoryBytes, p.numa.memoryBytes.reduce(0, +))
        XCTAssertEqual(l3(p.topology).first?.coresSharing, 32)
        XCTAssertEqual(l3(p.topology).first?.lineBytes, 128)
        XCTAssertNil(p.cpuVendor, "ARM Linux exports carry no CPUVendor")
    }

    func testExportWithoutDistances_assumesTenAndTwentyAndSaysSo() throws {
        let p = try probe("AMD-19h-Zen4-2xEpyc-9654.xml")
        XCTAssertEqual(p.numa.source, "hwloc-assumed-distances")
        XCTAssertEqual(p.numa.distances, [[10, 20], [20, 10]])
        XCTAssertEqual(p.numa.memoryBytes, [0, 0], "the cpuid-made export records no memory")
        XCTAssertEqual(p.cpuVendor, "AuthenticAMD")
        XCTAssertEqual(p.cpuModel, "AMD EPYC 9654 96-Core Processor", "trailing padding is trimmed")
    }

    func testGB10_reportsFiveCPUKindsWithHwlocInfos() throws {
        let kinds = try probe("ARM-NVIDIA-DGX-GB10-hybrid.xml").topology.cpuKinds
        XCTAssertEqual(kinds.count, 5)
        XCTAssertEqual(kinds.map(\.efficiency), [0, 1, 2, 3, 4])
        XCTAssertEqual(kinds.compactMap { $0.infos["LinuxCapacity"] }, ["718", "731", "997", "1017", "1024"])
        XCTAssertEqual(Set(kinds.compactMap { $0.infos["FrequencyMaxMHz"] }), ["2808", "3900"])
        XCTAssertEqual(kinds.flatMap(\.pus).sorted(), Array(0..<20))
    }

    func testGB10_splitsL2AndL3ByInstanceSizeRatherThanMisreportingOne() throws {
        let t = try probe("ARM-NVIDIA-DGX-GB10-hybrid.xml").topology
        let l2 = t.caches.filter { $0.level == 2 }
        XCTAssertEqual(l2.map(\.sizeBytes), [2 << 20, 512 << 10])
        XCTAssertEqual(l2.map(\.count), [10, 10])
        XCTAssertEqual(l3(t).map(\.sizeBytes), [16 << 20, 8 << 20])
        XCTAssertEqual(l3(t).map(\.coresSharing), [10, 10])
    }

    func testRaptorLake_bothExportsGiveSixPCoresAndEightECores() throws {
        for file in ["Intel-RaptorLake-Corei7-1370P.xml", "Intel-RaptorLake-Corei7-1370P-linux-hybrid.xml"] {
            let t = try probe(file).topology
            XCTAssertEqual(t.cpuKinds.count, 2, file)
            // hwloc ranks the E-cores (less performant) first.
            XCTAssertEqual(t.cpuKinds.map(\.efficiency), [0, 1], file)
            XCTAssertEqual(t.cpuKinds[0].pus, Array(12...19), file)
            XCTAssertEqual(t.cpuKinds[1].pus, Array(0...11), "\(file): P-cores with SMT")
            // P-core L2 is private 1.25 MiB; E-core clusters of 4 share 2 MiB.
            let l2 = t.caches.filter { $0.level == 2 }
            XCTAssertEqual(l2.map(\.coresSharing), [4, 1], file)
            XCTAssertEqual(l2.map(\.sizeBytes), [2 << 20, 1_310_720], file)
        }
        // The two exports differ in what they say about the kinds: the x86 backend names core types, the Linux
        // backend gives frequencies.
        let x86 = try probe("Intel-RaptorLake-Corei7-1370P.xml").topology.cpuKinds
        XCTAssertEqual(x86.map { $0.infos["CoreType"] }, ["IntelAtom", "IntelCore"])
        let linux = try probe("Intel-RaptorLake-Corei7-1370P-linux-hybrid.xml").topology.cpuKinds
        XCTAssertEqual(linux.map { $0.infos["FrequencyMaxMHz"] }, ["3900", "5000"])
        XCTAssertNil(linux[0].infos["CoreType"])
    }

    func testKnightsLanding_hasFourThreadsPerCoreAndTileSharedL2() throws {
        let t = try probe("Intel-KnightsLanding-XeonPhi-7210.xml").topology
        XCTAssertEqual(t.threadsPerCore, 4)
        XCTAssertEqual(
            t.caches.filter { $0.level == 2 },
            [CacheLevel(level: 2, type: "unified", sizeBytes: 1 << 20, lineBytes: 64, count: 32, coresSharing: 2)])
    }

    func testTopology_roundTripsThroughSnakeCaseJSON() throws {
        let p = try probe("ARM-NVIDIA-DGX-GB10-hybrid.xml")
        let data = try QBJSON.encode(p.topology)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"threads_per_core\""), text)
        XCTAssertTrue(text.contains("\"cores_sharing\""), text)
        XCTAssertEqual(try QBJSON.decoder().decode(Topology.self, from: data), p.topology)
        let numa = try QBJSON.encode(p.numa)
        XCTAssertTrue(String(decoding: numa, as: UTF8.self).contains("\"os_indexes\""))
        XCTAssertEqual(try QBJSON.decoder().decode(NUMAInfo.self, from: numa), p.numa)
    }

    func testNUMAInfo_decodesProfilesWrittenBeforeOSIndexesExisted() throws {
        let old = #"{"nodes":1,"distances":[[10]],"memory_bytes":[1024],"source":"libnuma"}"#
        let numa = try QBJSON.decoder().decode(NUMAInfo.self, from: Data(old.utf8))
        XCTAssertNil(numa.osIndexes)
        XCTAssertEqual(numa.memoryBytes, [1024])
    }
}
