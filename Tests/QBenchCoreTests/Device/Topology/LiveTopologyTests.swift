// This machine, live: hwloc discovers it, libnuma agrees on the nodes, threads pin where asked.
import QBenchTestSupport
import XCTest
@testable import QBenchDevice
@testable import QBenchKernels

final class LiveTopologyTests: XCTestCase {
    func testLiveProbe_findsCoresAndNUMANodes() throws {
        let p = try TopologyProbe.live()
        XCTAssertEqual(p.source, "live")
        XCTAssertGreaterThanOrEqual(p.topology.cores, 1)
        XCTAssertGreaterThanOrEqual(p.topology.pus, p.topology.cores)
        XCTAssertGreaterThanOrEqual(p.topology.packages, 1)
        // hwloc must find the caches the kernel describes; some VMs and ARM boards describe none.
        if FileManager.default.fileExists(atPath: "/sys/devices/system/cpu/cpu0/cache/index0/size") {
            XCTAssertFalse(p.topology.caches.isEmpty, "sysfs lists caches, hwloc found none")
        }
        XCTAssertGreaterThan(p.totalMemoryBytes, 0)
        XCTAssertNotNil(p.architecture)
    }

    func testLiveNUMA_comesFromLibnumaAndMatchesHwloc() throws {
        guard let numa = LibnumaReader.read() else {
            throw XCTSkip("libnuma reports NUMA unavailable on this machine (numa_available() < 0)")
        }
        XCTAssertGreaterThanOrEqual(numa.nodes, 1)
        XCTAssertTrue(numa.source.hasPrefix("libnuma"), numa.source)
        XCTAssertEqual(numa.distances.count, numa.nodes)
        for (i, row) in numa.distances.enumerated() {
            XCTAssertEqual(row.count, numa.nodes)
            XCTAssertEqual(row[i], 10, "local distance of node \(i)")
        }
        XCTAssertTrue(numa.memoryBytes.contains { $0 > 0 }, "no node reports memory")
        let hw = try HwlocTopology.live().numaFromHwloc()
        XCTAssertEqual(hw.osIndexes, numa.osIndexes, "hwloc and libnuma see the same nodes")
    }

    func testLiveProbe_usesLibnumaForNUMA() throws {
        try XCTSkipIf(LibnumaReader.read() == nil, "libnuma reports NUMA unavailable")
        XCTAssertTrue(try TopologyProbe.live().numa.source.hasPrefix("libnuma"))
    }

    func testPinningTheCurrentThread_restrictsItToThatPU() throws {
        let placer = try ThreadPlacer.live()
        let slots = placer.slots()
        XCTAssertEqual(slots.count, placer.topology.summary().cores)
        let before = try placer.currentThreadBinding()
        defer { try? placer.pinCurrentThread(puOSIndexes: before) }
        for slot in slots {
            try placer.pinCurrentThread(to: slot)
            XCTAssertEqual(try placer.currentThreadBinding(), [slot.puOSIndex])
        }
        try placer.pinCurrentThread(puOSIndexes: before)
        XCTAssertEqual(try placer.currentThreadBinding(), before, "the binding it had before")
    }

    func testPinningByIndex_rejectsAnIndexPastTheEnd() throws {
        let placer = try ThreadPlacer.live()
        let n = placer.slots(.pu).count
        XCTAssertThrowsError(try placer.pinCurrentThread(index: n, granularity: .pu)) { error in
            XCTAssertTrue(String(describing: error).contains("\(n) pus"), String(describing: error))
        }
        XCTAssertThrowsError(try placer.pinCurrentThread(index: -1))
    }

    func testNUMALocalAllocation_givesWritableMemoryOnTheNode() throws {
        let placer = try ThreadPlacer.live()
        let node = try XCTUnwrap(placer.topology.numaFromHwloc().osIndexes?.first)
        let size = 1 << 20
        let buffer = try placer.allocate(byteCount: size, onNode: node)
        XCTAssertEqual(buffer.byteCount, size)
        memset(buffer.pointer, 0x5a, size)
        XCTAssertEqual(buffer.pointer.load(fromByteOffset: size - 1, as: UInt8.self), 0x5a)
        if buffer.isBound {
            XCTAssertEqual(try buffer.residentNodes(), [node])
        } else {
            print("note: the OS did not enforce the NUMA binding (mbind refused); memory follows the default policy")
        }
        XCTAssertThrowsError(try placer.allocate(byteCount: 0, onNode: node))
        XCTAssertThrowsError(try placer.allocate(byteCount: 64, onNode: 1 << 20))
    }
}

final class FixtureThreadPlacementTests: XCTestCase {
    func testSlots_onePerCoreByDefaultAndOnePerPUOnRequest() throws {
        let dir = try TestPaths.requireFixtures("hwloc-xml")
        let placer = ThreadPlacer(
            topology: try HwlocTopology.load(
                xmlPath: dir.appendingPathComponent("Intel-RaptorLake-Corei7-1370P.xml").path))
        let cores = placer.slots()
        XCTAssertEqual(cores.count, 14)
        XCTAssertEqual(Set(cores.map(\.coreIndex)).count, 14, "one slot per core")
        XCTAssertEqual(cores.map(\.index), Array(0..<14))
        let pus = placer.slots(.pu)
        XCTAssertEqual(pus.count, 20)
        XCTAssertEqual(Set(pus.map(\.puOSIndex)), Set(0..<20))
        // P-cores (kind 1, SMT) come first in logical order; the first slot's PU is a P-core thread.
        XCTAssertEqual(cores.first?.cpuKindIndex, 1)
        XCTAssertEqual(cores.last?.cpuKindIndex, 0)
        XCTAssertEqual(pus.filter { $0.cpuKindIndex == 1 }.count, 12)
        XCTAssertTrue(pus.allSatisfy { $0.numaNodeOSIndex == 0 && $0.packageIndex == 0 })
    }

    func testSlots_followPackagesAndNUMANodesOnKunpeng() throws {
        let dir = try TestPaths.requireFixtures("hwloc-xml")
        let placer = ThreadPlacer(
            topology: try HwlocTopology.load(
                xmlPath: dir.appendingPathComponent("ARM-Kunpeng-2x64c-128arm.xml").path))
        let slots = placer.slots()
        XCTAssertEqual(slots.count, 128)
        XCTAssertEqual(slots.filter { $0.packageIndex == 1 }.count, 64)
        XCTAssertEqual(
            Dictionary(grouping: slots, by: { $0.numaNodeOSIndex ?? -1 }).mapValues(\.count),
            [0: 32, 1: 32, 2: 32, 3: 32])
    }

    func testBindingAnXMLTopology_isRefusedRatherThanSilentlyIgnored() throws {
        let dir = try TestPaths.requireFixtures("hwloc-xml")
        let placer = ThreadPlacer(
            topology: try HwlocTopology.load(
                xmlPath: dir.appendingPathComponent("AMD-EPYC-Zen4-2core-VM.xml").path))
        XCTAssertFalse(placer.topology.isThisSystem)
        let slot = try XCTUnwrap(placer.slots().first)
        XCTAssertThrowsError(try placer.pinCurrentThread(to: slot)) { error in
            XCTAssertTrue(String(describing: error).contains("loaded from a file"), String(describing: error))
        }
        XCTAssertThrowsError(try placer.allocate(byteCount: 4096, onNode: 0))
    }
}
