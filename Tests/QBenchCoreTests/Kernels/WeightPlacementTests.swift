import CHwloc
import Foundation
import QBenchTestSupport
import XCTest

@testable import QBenchDevice
@testable import QBenchKernels

/// NUMA placement of weight slices: the pure slicing against fixture machines with several nodes (Kunpeng 920:
/// 4 nodes of 32 cores; 2x EPYC 9654: 2 nodes), and the live binding on this machine.
final class WeightPlacementTests: XCTestCase {
    private func placer(_ file: String) throws -> ThreadPlacer {
        let dir = try TestPaths.requireFixtures("hwloc-xml")
        return ThreadPlacer(topology: try HwlocTopology.load(xmlPath: dir.appendingPathComponent(file).path))
    }

    func testSlices_followTheNodeOfEachWorkersCores_onKunpeng() throws {
        let p = try placer("ARM-Kunpeng-2x64c-128arm.xml")
        XCTAssertEqual(p.numaNodeCount, 4)
        // 128 workers, one per core in hwloc order: workers 0-31 on node 0, 32-63 on node 1, ...
        let nodes = p.slots().map(\.numaNodeOSIndex)
        let rows = 4096, unit = 16, bytes = rows / unit * 9_216  // a 16-row unit of q8_0 at K=4096 (+side data)
        let ranges = kernelRowRanges(rows: rows, threads: 128, align: unit)
        let s = WeightPlacement.slices(
            bufferBytes: bytes, rows: rows, unitRows: unit, rowRanges: ranges, nodes: nodes,
            pageSize: 4096)
        // Adjacent workers on one node merge: one slice per node, in order, covering the buffer without gaps.
        XCTAssertEqual(s.map(\.node), [0, 1, 2, 3])
        XCTAssertEqual(s.first?.bytes.lowerBound, 0)
        XCTAssertEqual(s.last?.bytes.upperBound, bytes)
        for (a, b) in zip(s, s.dropFirst()) { XCTAssertEqual(a.bytes.upperBound, b.bytes.lowerBound) }
        for x in s {
            XCTAssertEqual(x.bytes.count, bytes / 4, "each node reads a quarter of the rows")
            XCTAssertEqual(x.bytes.lowerBound % 4096, 0, "slices start on pages")
        }
    }

    func testSlices_twoThreadsOnADualSocketStayOnTheFirstNode_allThreadsSplit() throws {
        let p = try placer("AMD-19h-Zen4-2xEpyc-9654.xml")
        XCTAssertEqual(p.numaNodeCount, 2)
        let slots = p.slots()
        let rows = 14336, bytes = 61_865_984
        // Two threads run on cores 0 and 1, both in package 0: the whole buffer belongs on node 0.
        let two = WeightPlacement.slices(
            bufferBytes: bytes, rows: rows, unitRows: 16,
            rowRanges: kernelRowRanges(rows: rows, threads: 2, align: 16),
            nodes: slots.prefix(2).map(\.numaNodeOSIndex), pageSize: 4096)
        XCTAssertEqual(two, [WeightSlice(bytes: 0..<bytes, node: slots[0].numaNodeOSIndex ?? -1)])
        // One thread per core: each node holds the rows its 96 cores read (the split gives every worker 5 tiles
        // of 16 rows until the rows run out, so node 0's workers read 96 x 80 of the 14336 rows).
        let ranges = kernelRowRanges(rows: rows, threads: slots.count, align: 16)
        let all = WeightPlacement.slices(
            bufferBytes: bytes, rows: rows, unitRows: 16, rowRanges: ranges,
            nodes: slots.map(\.numaNodeOSIndex), pageSize: 4096)
        XCTAssertEqual(all.map(\.node), [0, 1])
        let node0Rows = zip(ranges, slots).filter { $0.1.numaNodeOSIndex == 0 }.reduce(0) { $0 + $1.0.count }
        XCTAssertEqual(node0Rows, 96 * 80)
        XCTAssertEqual(Double(all[0].bytes.count) / Double(bytes), Double(node0Rows) / Double(rows), accuracy: 0.001)
    }

    func testSlices_edgeCases() {
        // Unknown nodes are left alone; empty ranges give nothing; a stored layout (unit 1) splits at the row.
        XCTAssertEqual(
            WeightPlacement.slices(
                bufferBytes: 1 << 20, rows: 64, unitRows: 1, rowRanges: [0..<32, 32..<64],
                nodes: [nil, 1], pageSize: 4096),
            [WeightSlice(bytes: (1 << 19)..<(1 << 20), node: 1)])
        XCTAssertEqual(
            WeightPlacement.slices(
                bufferBytes: 1 << 20, rows: 64, unitRows: 1, rowRanges: [0..<64, 64..<64],
                nodes: [0, 1], pageSize: 4096),
            [WeightSlice(bytes: 0..<(1 << 20), node: 0)])
        XCTAssertEqual(
            WeightPlacement.slices(
                bufferBytes: 0, rows: 64, unitRows: 1, rowRanges: [0..<64], nodes: [0],
                pageSize: 4096), [])
        XCTAssertEqual(WeightPlacement.offset(ofRow: 17, rows: 64, unitRows: 16, bufferBytes: 4000), 1000)
    }

    func testBindingAFixtureTopology_isRefused() throws {
        let p = try placer("ARM-Kunpeng-2x64c-128arm.xml")
        let buf = try AlignedBuffer(count: 1 << 20)
        XCTAssertThrowsError(try p.bind([WeightSlice(bytes: 0..<(1 << 20), node: 1)], base: buf.pointer)) { e in
            XCTAssertTrue("\(e)".contains("loaded from a file"), "\(e)")
        }
    }

    /// On this machine: binding a benchmark buffer's slices to the node of the workers' cores leaves every page
    /// there (as the kernel reports it), and a machine with one node reports `singleNode` without binding.
    func testLiveBinding_putsPagesOnTheWorkersNode() throws {
        let p = try ThreadPlacer.live()
        let slots = p.slots()
        let node = try XCTUnwrap(slots.first?.numaNodeOSIndex, "hwloc shows no NUMA node for the first core")
        let buf = try AlignedBuffer(count: 8 << 20)
        XCTAssertEqual(Int(bitPattern: buf.pointer) % 4096, 0, "large kernel buffers start on a page")
        memset(buf.pointer, 1, 8 << 20)  // touch: pages exist before they are moved
        do {
            try p.bind([WeightSlice(bytes: 0..<(8 << 20), node: node)], base: buf.pointer)
        } catch {
            // A container or kernel that refuses mbind (EPERM without CAP_SYS_NICE, ENOSYS without NUMA support)
            // lacks the capability this test is about; anything else is a failure.
            let refused = ["Operation not permitted", "Function not implemented", "not supported"]
            try XCTSkipIf(refused.contains { "\(error)".contains($0) }, "memory binding refused here: \(error)")
            throw error
        }
        let hw = p.topology
        guard let set = hwloc_bitmap_alloc() else { return XCTFail("hwloc bitmap") }
        defer { hwloc_bitmap_free(set) }
        XCTAssertEqual(
            hwloc_get_area_memlocation(
                hw.handle, buf.pointer, 8 << 20, set,
                Int32(HWLOC_MEMBIND_BYNODESET.rawValue)), 0)
        XCTAssertEqual(HwlocTopology.indexes(of: set), [node])
        let outcome = p.placeWeights(
            base: buf.pointer, bufferBytes: 8 << 20, rows: 64, unitRows: 16,
            rowRanges: kernelRowRanges(rows: 64, threads: 1, align: 16),
            nodes: [node])
        if p.numaNodeCount == 1 {
            XCTAssertEqual(outcome, .singleNode)
        } else {
            XCTAssertEqual(outcome, .bound(nodes: [node]))
        }
    }
}
