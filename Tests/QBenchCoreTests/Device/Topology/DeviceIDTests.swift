// The fingerprint: a correct hash, stable across probes, blind to hostname and memory drift, sensitive to hardware.
import QBenchTestSupport
import XCTest
@testable import QBenchDevice

final class DeviceIDTests: XCTestCase {
    func testSHA256_matchesFIPSVectors() {
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(
            SHA256.hex(
                Array(
                    ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                        + "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8)),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        // 55 and 64 bytes: the padding edge cases (length fits / spills into a second block).
        XCTAssertEqual(
            SHA256.hex([UInt8](repeating: 0x61, count: 55)),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        XCTAssertEqual(
            SHA256.hex([UInt8](repeating: 0x61, count: 64)),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    private func facts(
        features: [CPUFeature] = [.avx2, .fma, .avx512f], cores: Int = 192,
        memory: UInt64 = 768 << 30
    ) -> DeviceID.Facts {
        DeviceID.Facts(
            vendor: "AuthenticAMD", model: "AMD EPYC 9654 96-Core Processor   ", arch: "x86_64",
            family: 25, modelNumber: 17, stepping: 1, features: features, packages: 2, cores: cores,
            pus: 384,
            caches: [
                CacheLevel(
                    level: 3, type: "unified", sizeBytes: 32 << 20, lineBytes: 64,
                    count: 24, coresSharing: 8)
            ],
            numaNodes: 2, memoryBytes: memory)
    }

    func testID_isSixteenHexDigits() {
        let id = DeviceID.compute(facts())
        XCTAssertEqual(id.count, 16)
        XCTAssertTrue(id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, id)
    }

    func testID_ignoresFeatureOrderDuplicatesAndSmallMemoryDrift() {
        let base = DeviceID.compute(facts())
        XCTAssertEqual(DeviceID.compute(facts(features: [.avx512f, .fma, .avx2, .fma])), base)
        XCTAssertEqual(
            DeviceID.compute(facts(memory: (768 << 30) - (300 << 20))), base, "kernel reserving 300 MiB more")
    }

    func testID_changesWithHardwareFacts() {
        let base = DeviceID.compute(facts())
        XCTAssertNotEqual(DeviceID.compute(facts(cores: 96)), base)
        XCTAssertNotEqual(DeviceID.compute(facts(features: [.avx2, .fma])), base)
        XCTAssertNotEqual(DeviceID.compute(facts(memory: 384 << 30)), base)
        var other = facts(); other.stepping = 2
        XCTAssertNotEqual(DeviceID.compute(other), base)
    }

    func testCanonicalString_isPinnedSoIDsStayComparableAcrossReleases() {
        XCTAssertEqual(
            DeviceID.canonicalString(facts()),
            """
            qbench.device-id/1
            vendor=AuthenticAMD
            model=AMD EPYC 9654 96-Core Processor
            arch=x86_64
            family=25 model_number=17 stepping=1
            features=avx2,fma,avx512f
            packages=2 cores=192 pus=384
            caches=L3u:33554432x24/8
            numa_nodes=2
            memory_gib=768
            """)
    }

    /// A profile's hardware sections as the lead's probe will fill them, from the live topology and context.
    private func liveID() throws -> (id: String, canonical: String) {
        let topo = try TopologyProbe.live()
        let context = SystemContext.read()
        let cpu = CPUInfo(
            vendor: topo.cpuVendor ?? "unknown", model: topo.cpuModel ?? "unknown",
            arch: topo.architecture ?? "unknown", microcode: context.microcode, features: [],
            unusableFeatures: [])
        let memory = context.memory(hwlocTotalBytes: topo.totalMemoryBytes)
        let facts = DeviceID.Facts(cpu: cpu, topology: topo.topology, numa: topo.numa, memory: memory)
        return (DeviceID.compute(facts), DeviceID.canonicalString(facts))
    }

    func testLiveID_isStableAcrossTwoProbesAndBlindToHostname() throws {
        let first = try liveID()
        let second = try liveID()
        XCTAssertEqual(first.id, second.id)
        let host = ProcessInfo.processInfo.hostName
        try XCTSkipIf(host.isEmpty || host == "localhost", "no distinctive hostname to look for")
        XCTAssertFalse(first.canonical.contains(host), "hostname leaked into the fingerprint")
        let shortHost = String(host.prefix(while: { $0 != "." }))
        XCTAssertFalse(first.canonical.contains("=\(shortHost)\n"))
    }

    func testFixtureID_isTheSameForBothRaptorLakeExportsCPUFactsAside() throws {
        // Same machine, two hwloc backends: the counts and caches the id covers agree, so only memory (which the
        // x86-backend export does not record) separates them.
        let dir = try TestPaths.requireFixtures("hwloc-xml")
        let a = try TopologyProbe.fixture(xmlPath: dir.appendingPathComponent("Intel-RaptorLake-Corei7-1370P.xml").path)
        let b = try TopologyProbe.fixture(
            xmlPath: dir.appendingPathComponent("Intel-RaptorLake-Corei7-1370P-linux-hybrid.xml").path)
        let cpu = CPUInfo(
            vendor: "GenuineIntel", model: "13th Gen Intel(R) Core(TM) i7-1370P", arch: "x86_64",
            features: [.avx2, .avx_vnni], unusableFeatures: [])
        let mem = MemoryInfo(totalBytes: 32 << 30, transparentHugepages: nil)
        XCTAssertEqual(
            DeviceID.compute(cpu: cpu, topology: a.topology, numa: a.numa, memory: mem),
            DeviceID.compute(cpu: cpu, topology: b.topology, numa: b.numa, memory: mem))
    }
}
