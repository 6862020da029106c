import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

/// `qbench probe` end to end: the built binary, fixtures, bad input, and emulated CPUs.
final class ProbeCommandTests: XCTestCase {
    private func decode(_ r: CommandResult, file: StaticString = #filePath, line: UInt = #line) throws -> ProbeReport {
        XCTAssertEqual(r.status, 0, "stderr: \(r.stderr)", file: file, line: line)
        return try QBJSON.decoder().decode(ProbeReport.self, from: Data(r.stdout.utf8))
    }

    func testProbe_liveJSONDecodesAndDescribesThisMachine() throws {
        let report = try decode(try QBenchBinary.run(["probe", "--json"]))
        XCTAssertEqual(report.schema, "qbench.probe/1")
        XCTAssertEqual(report.device.source, "live")
        XCTAssertGreaterThanOrEqual(report.device.topology.cores, 1)
        XCTAssertGreaterThanOrEqual(report.device.topology.pus, report.device.topology.cores)
        XCTAssertGreaterThanOrEqual(report.device.numa.nodes, 1)
        XCTAssertEqual(report.device.id.count, 16)
        XCTAssertEqual(report.dispatchTiers[.int8]?.last?.variant, .scalar)
        // Stable: a second probe gives the same id.
        XCTAssertEqual(try decode(try QBenchBinary.run(["probe", "--json"])).device.id, report.device.id)
    }

    func testProbe_humanSummaryHasTheSections() throws {
        let r = try QBenchBinary.run(["probe"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for section in ["CPU", "Topology", "Caches", "NUMA", "Memory", "Features", "Dispatch", "Device id"] {
            XCTAssertTrue(
                r.stdout.contains("\n\(section) ") || r.stdout.hasPrefix("\(section) "),
                "missing \(section) in\n\(r.stdout)")
        }
    }

    func testProbe_fixtureZen4WithoutAVX512StateMovesAVX512ToUnusable() throws {
        let fx = try TestPaths.requireFixtures()
        let base = [
            "probe", "--json", "--cpuid-dump", fx.appendingPathComponent("cpuid/AMD-19h-Zen4-2xEpyc-9654").path,
            "--topology-xml", fx.appendingPathComponent("hwloc-xml/AMD-19h-Zen4-2xEpyc-9654.xml").path,
        ]
        let full = try decode(try QBenchBinary.run(base))
        XCTAssertEqual(full.device.source, "fixture")
        XCTAssertTrue(full.device.has(.avx512_vnni) && full.device.has(.avx512_bf16))
        XCTAssertFalse(full.device.has(.avx512_fp16))
        XCTAssertEqual(full.device.topology.packages, 2)
        XCTAssertEqual(full.device.topology.cores, 192)
        XCTAssertEqual(full.device.topology.pus, 384)
        XCTAssertEqual(full.dispatchTiers[.int8]?.first?.variant, .avx512_vnni)

        let noAVX512 = try decode(try QBenchBinary.run(base + ["--xcr0", "0x7"]))
        let unusable = Set(noAVX512.device.cpu.unusableFeatures.map(\.name))
        XCTAssertFalse(noAVX512.device.cpu.features.contains { $0.rawValue.hasPrefix("avx512") })
        for f in full.device.cpu.features where f.rawValue.hasPrefix("avx512") {
            XCTAssertTrue(unusable.contains(f), "\(f) should be unusable with XCR0 0x7")
        }
        XCTAssertTrue(noAVX512.device.has(.avx2))
        XCTAssertEqual(noAVX512.dispatchTiers[.int8]?.first?.variant, .avx2)
        XCTAssertNotEqual(noAVX512.device.id, full.device.id, "usable features are part of the id")
    }

    func testProbe_fixtureSapphireRapidsQualifiesForAMX() throws {
        let fx = try TestPaths.requireFixtures("cpuid/Intel-SapphireRapids-2xXeonMax9460")
        let r = try decode(try QBenchBinary.run(["probe", "--json", "--cpuid-dump", fx.path]))
        for f: CPUFeature in [.amx_int8, .amx_bf16, .avx512_fp16, .avx_vnni] { XCTAssertTrue(r.device.has(f), "\(f)") }
        XCTAssertEqual(r.dispatchTiers[.int8]?.first?.variant, .amx)
        XCTAssertTrue(r.device.notes.contains { $0.contains("no topology XML") })
        // The real plan over this binary's registry: AMX and AVX-512 FP16 paths are chosen for that device.
        XCTAssertEqual(r.plan.row(op: .gemm, weightFormat: .q8_0, activationFormat: .q8_0)?.chosen, .amx)
        XCTAssertEqual(r.plan.row(op: .gemv, weightFormat: .f16, activationFormat: .f32)?.chosen, .avx512_fp16)
    }

    func testProbe_planForHaswellFixturePicksAVX2AndNamesWhatAVX512Lacks() throws {
        let fx = try TestPaths.requireFixtures("cpuid/Intel-Haswell-2xXeon-E5-2680v3")
        let r = try decode(try QBenchBinary.run(["probe", "--json", "--cpuid-dump", fx.path]))
        let row = try XCTUnwrap(r.plan.row(op: .gemv, weightFormat: .q4_0, activationFormat: .q8_0))
        XCTAssertEqual(row.chosen, .avx2)
        XCTAssertEqual(row.fallbacks, [.scalar])
        let vnni = try XCTUnwrap(row.excluded.first { $0.variant == .avx512_vnni })
        XCTAssertEqual(vnni.reason, "missing_features")
        XCTAssertTrue(vnni.detail.contains("avx512f"), "\(vnni.detail)")
        let human = try QBenchBinary.run(["probe", "--cpuid-dump", fx.path])
        XCTAssertTrue(human.stdout.contains("gemv q4_0") && human.stdout.contains("avx2 > scalar"), human.stdout)
    }

    // MARK: bad input: one line on stderr naming the input, exit 1, nothing on stdout

    /// Exit 64 for a bad option value (a usage error), 1 for a bad file.
    private func assertOneLineError(
        _ args: [String], mentions needle: String, status: Int32 = 1,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let r = try QBenchBinary.run(args)
        XCTAssertEqual(r.status, status, "args \(args): \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one error line, got:\n\(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "error should name \(needle): \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
    }

    func testProbe_badInputGivesOneClearLineAndExit1() throws {
        let dir = try TestPaths.scratch()
        let corruptXML = dir.appendingPathComponent("corrupt.xml")
        try Data("<?xml version=\"1.0\"?><topology version=\"2.0\"><object type=\"Machine\"".utf8).write(to: corruptXML)
        let malformed = dir.appendingPathComponent("pu0")
        try Data("1 0 0 0 0 => 10 zz\n".utf8).write(to: malformed)
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)

        try assertOneLineError(["probe", "--topology-xml", "/nonexistent/topo.xml"], mentions: "/nonexistent/topo.xml")
        try assertOneLineError(["probe", "--topology-xml", corruptXML.path], mentions: corruptXML.path)
        try assertOneLineError(["probe", "--cpuid-dump", "/nonexistent/dump"], mentions: "/nonexistent/dump")
        try assertOneLineError(["probe", "--cpuid-dump", malformed.path], mentions: "line 1")
        try assertOneLineError(["probe", "--cpuid-dump", empty.path], mentions: empty.path)
        try assertOneLineError(["probe", "--xcr0", "zz"], mentions: "--xcr0", status: 64)
        try assertOneLineError(["probe", "--xcr0", "0x1ffffffffffffffff"], mentions: "--xcr0", status: 64)
    }

    func testProbe_unreadableDumpIsAClearError() throws {
        // A pu0 that cannot be read as a file (a folder in its place) fails the same way for root and users.
        let dir = try TestPaths.scratch()
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("pu0"), withIntermediateDirectories: true)
        try assertOneLineError(["probe", "--cpuid-dump", dir.path], mentions: dir.path)
        // Permission bits only stop non-root users.
        if getuid() != 0 {
            let f = dir.appendingPathComponent("pu1")
            try Data("1 0 0 0 0 => 10 0 0 0\n".utf8).write(to: f)
            chmod(f.path, 0)
            try assertOneLineError(["probe", "--cpuid-dump", f.path], mentions: f.path)
        }
    }

    // MARK: emulated CPUs (qemu-user): the probe asks the (emulated) CPU, not a table

    private func qemuProbe(_ cpu: String) throws -> ProbeReport {
        let qemu = try XCTUnwrap(
            which("qemu-x86_64").map { Optional($0) } ?? nil,
            "qemu-x86_64 not installed (make test installs qemu-user)")
        let r = try QBenchBinary.run(["probe", "--json"], wrapper: [qemu, "-cpu", cpu])
        return try decode(r)
    }

    private func requireQemuX86() throws {
        try XCTSkipUnless(ISAArch.host == .x86_64, "emulated x86 CPUs need an x86_64 host")
        try Oracle.require(
            "qemu-x86_64", which("qemu-x86_64") != nil, "qemu-x86_64 not installed (make test installs qemu-user)")
    }

    func testProbe_underQemuHaswell_hasAVX2FMAF16CAndNoAVX512() throws {
        try requireQemuX86()
        let r = try qemuProbe("Haswell")
        for f: CPUFeature in [.avx, .avx2, .fma, .f16c] {
            XCTAssertTrue(r.device.has(f), "\(f) should be usable on Haswell")
        }
        XCTAssertFalse(r.device.cpu.features.contains { $0.rawValue.hasPrefix("avx512") }, "\(r.device.cpu.features)")
        XCTAssertEqual(r.dispatchTiers[.int8]?.first?.variant, .avx2)
    }

    func testProbe_underQemuNehalem_hasNoAVX() throws {
        try requireQemuX86()
        let r = try qemuProbe("Nehalem")
        XCTAssertTrue(r.device.has(.sse4_2))
        XCTAssertFalse(
            r.device.cpu.features.contains { $0.rawValue.hasPrefix("avx") || $0 == .fma }, "\(r.device.cpu.features)")
        XCTAssertEqual(r.dispatchTiers[.int8]?.map(\.variant), [.scalar])
    }
}
