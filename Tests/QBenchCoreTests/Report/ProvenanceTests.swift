// `run.provenance` and the run warnings drawn from it: the busy-machine warning on /proc text captured on the
// development VM (Harness/Fixtures/proc-activity), the above-the-ceiling warning on constructed result rows.
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchHarness
@testable import QBenchProfiles
@testable import QBenchReport

final class ProvenanceTests: XCTestCase {
    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Harness/Fixtures/proc-activity")

    /// The activity of one captured window, computed from its two /proc/stat and /proc/self/stat texts.
    static func activity(_ capture: String) throws -> MachineActivity {
        func text(_ name: String) throws -> String {
            try String(contentsOf: captures.appendingPathComponent("\(capture)/\(name)"), encoding: .utf8)
        }
        let before = try XCTUnwrap(CPUTimes.parse(procStat: try text("stat.0")))
        let after = try XCTUnwrap(CPUTimes.parse(procStat: try text("stat.1")))
        let own0 = try XCTUnwrap(CPUTimes.parseOwnTicks(selfStat: try text("self-stat.0")))
        let own1 = try XCTUnwrap(CPUTimes.parseOwnTicks(selfStat: try text("self-stat.1")))
        return try XCTUnwrap(
            MachineActivity.between(
                before: before, ownBefore: own0, after: after, ownAfter: own1,
                windowNs: 250_000_000))
    }

    static func snapshot(_ capture: String) throws -> MachineSnapshot {
        MachineSnapshot(
            activity: try activity(capture),
            frequency: CPUFrequency(
                source: "cpuinfo", cpus: 2, minMhz: 2445.406, meanMhz: 2445.406,
                maxMhz: 2445.406))
    }

    static let timing = TimingProfile(warmupIterations: 1, minTimeMs: 5, minSamples: 10, maxTimeMs: 200, maxNoise: 0.5)
    static let gate = GateThresholds(
        maxThroughputRegression: 0.25, maxEnergyRegression: 0.5, maxSqnrDropDb: 1,
        significance: 0.05)

    // MARK: busy machine

    func testBusyWarning_namesTheFiguresOfBothWindows() throws {
        // shell-loop: 49 busy ticks of 49 on 2 CPUs, none the reader's; idle: 50 idle ticks of 50.
        let w = RunWarnings.busyMachine(start: try Self.snapshot("shell-loop"), end: try Self.snapshot("idle"))
        XCTAssertEqual(
            w,
            [
                "machine busy: other processes used 2.00 cores at the start and 0.00 cores at the end of "
                    + "the run (250 ms windows; warning above 0.25 cores): figures may be lower than this "
                    + "device can do"
            ])
    }

    func testBusyWarning_eitherWindowAboveTheThresholdIsEnough() throws {
        // sleeping-reader: 10 busy ticks of 50 on 2 CPUs = 0.40 cores.
        let w = RunWarnings.busyMachine(start: try Self.snapshot("idle"), end: try Self.snapshot("sleeping-reader"))
        XCTAssertEqual(w.count, 1)
        XCTAssertTrue(w[0].contains("0.00 cores at the start and 0.40 cores at the end"), w[0])
        // The reader's own spinning is not someone else's: 17 of 49 ticks are others' = 0.69 cores.
        let own = RunWarnings.busyMachine(start: try Self.snapshot("spinning-reader"), end: nil)
        XCTAssertTrue(own.first?.contains("used 0.69 cores at the start of the run") == true, "\(own)")
    }

    func testBusyWarning_quietOrUnmeasuredMachinesGiveNone() throws {
        XCTAssertEqual(RunWarnings.busyMachine(start: try Self.snapshot("idle"), end: try Self.snapshot("idle")), [])
        XCTAssertEqual(RunWarnings.busyMachine(start: nil, end: nil), [])
        XCTAssertEqual(RunWarnings.busyMachine(start: MachineSnapshot(activity: nil, frequency: nil), end: nil), [])
        // Exactly at the threshold is not above it.
        let edge = MachineActivity(
            otherCores: RunWarnings.busyCores, ownCores: 0, stealCores: 0, cpus: 2,
            windowMs: 250)
        XCTAssertEqual(RunWarnings.busyMachine(start: MachineSnapshot(activity: edge, frequency: nil), end: nil), [])
    }

    // MARK: above the ceiling

    func testAboveCeilingWarning_namesTheKeyAndTheFraction() throws {
        let rows = [
            row("gemv/q4_0/1x896x896/t1/avx2/cold", fraction: 1.32), row("a", fraction: 1.15),
            row("b", fraction: 1.149), row("c", fraction: nil), row("d", fraction: 0.4),
        ]
        XCTAssertEqual(
            RunWarnings.aboveCeiling(rows),
            [
                "gemv/q4_0/1x896x896/t1/avx2/cold reached 1.32 of its memory ceiling at t1 (above 1.15): the "
                    + "ceiling was measured low"
            ])
        XCTAssertEqual(RunWarnings.aboveCeiling(rows.suffix(4)), [])
    }

    func testAboveCeilingWarning_oneLinePerCeilingWithTheHighestNamed() throws {
        // One DRAM ceiling measured low lifts every cold gemv at that thread count: one line, not one per result.
        let memory = [
            ("gemv/f32/1x4096x4096/t2/avx2/cold", 2.20), ("gemv/q4_0/1x4096x4096/t2/avx2/cold", 1.24),
            ("gemv/i8_pc/1x1024x4096/t2/avx2/cold", 1.80), ("gemv/f16/1x1024x4096/t2/avx2/cold", 1.79),
            ("gemv/q8_0/1x4096x4096/t2/avx2/cold", 1.51),
        ].map { row($0.0, fraction: $0.1, threads: 2) }
        var compute = row("gemm/q8_0/128x896x896/t2/avx2", fraction: 1.2, threads: 2)
        compute.roofline?.bound = .compute
        let single = row("gemv/f32/1x1024x256/t1/avx2/cold", fraction: 1.18)
        XCTAssertEqual(
            RunWarnings.aboveCeiling(memory + [compute, single]),
            [
                "5 results reached more than 1.15 of their memory ceiling at t2, highest "
                    + "gemv/f32/1x4096x4096/t2/avx2/cold 2.20, gemv/i8_pc/1x1024x4096/t2/avx2/cold 1.80, "
                    + "gemv/f16/1x1024x4096/t2/avx2/cold 1.79, ...: the ceiling was measured low",
                "gemm/q8_0/128x896x896/t2/avx2 reached 1.20 of its compute ceiling at t2 (above 1.15): the ceiling was "
                    + "measured low",
                "gemv/f32/1x1024x256/t1/avx2/cold reached 1.18 of its memory ceiling at t1 (above 1.15): "
                    + "the ceiling was measured low",
            ])
        XCTAssertEqual(
            RunWarnings.aboveCeiling(Array(memory.prefix(2)), listed: 3),
            [
                "2 results reached more than 1.15 of their memory ceiling at t2, highest "
                    + "gemv/f32/1x4096x4096/t2/avx2/cold 2.20, gemv/q4_0/1x4096x4096/t2/avx2/cold 1.24: the "
                    + "ceiling was measured low"
            ])
    }

    /// The sample report's result row under another key, roofline fraction and thread count.
    func row(_ key: String, fraction: Double?, threads: Int = 1) -> ResultRow {
        var r = SampleReport.make().results[0]
        r.key = key
        r.threads = threads
        r.roofline = fraction.map { RooflinePoint(bound: .memory, fraction: $0, arithmeticIntensity: 1.9) }
        return r
    }

    // MARK: the report field

    func testProvenance_isEncodedUnderRunWithSnakeCaseKeysAndValidates() throws {
        var report = SampleReport.make()
        report.run.provenance = RunProvenance(
            build: BuildProvenance(
                commit: "c49e1c88f72f8620db956aae99f3a06d6e8d26d9", dirty: false,
                configuration: "release",
                cFlags: ["-O3", "-fno-strict-aliasing", "-ffp-contract=off"],
                cCompiler: "clang 21.0.0", swift: "6.3.1"),
            commandLine: ["qbench", "run", "--quick", "--profile", "smoke"], timing: Self.timing, gate: Self.gate,
            machineAtStart: try Self.snapshot("shell-loop"), machineAtEnd: try Self.snapshot("idle"))
        report.run.warnings = RunWarnings.busyMachine(
            start: report.run.provenance?.machineAtStart,
            end: report.run.provenance?.machineAtEnd)
        let data = try report.encoded()
        XCTAssertEqual(try Report.decode(data, path: "r.json"), report)
        let text = String(decoding: data, as: UTF8.self)
        for key in [
            "\"provenance\"", "\"command_line\"", "\"c_flags\"", "\"c_compiler\"",
            "\"configuration\" : \"release\"", "\"machine_at_start\"", "\"machine_at_end\"",
            "\"other_cores\" : 2", "\"steal_cores\"",
            "\"min_time_ms\" : 5", "\"max_throughput_regression\" : 0.25", "\"mean_mhz\"",
        ] {
            XCTAssertTrue(text.contains(key), "missing \(key)")
        }
        if let error = try SchemaValidation.reportErrors(data) { XCTFail(error) }

        // A tarball build has no commit and no dirty flag: both are left out, and it still validates.
        report.run.provenance?.build.commit = nil
        report.run.provenance?.build.dirty = nil
        report.run.provenance?.machineAtEnd = MachineSnapshot(activity: nil, frequency: nil)
        let bare = try report.encoded()
        XCTAssertFalse(String(decoding: bare, as: UTF8.self).contains("\"commit\""))
        if let error = try SchemaValidation.reportErrors(bare) { XCTFail(error) }
    }

    func testSchema_rejectsAMalformedProvenance() throws {
        var report = SampleReport.make()
        report.run.provenance = RunProvenance(commandLine: ["qbench"], timing: Self.timing, gate: Self.gate)
        var obj = try XCTUnwrap(JSONSerialization.jsonObject(with: report.encoded()) as? [String: Any])
        var run = try XCTUnwrap(obj["run"] as? [String: Any])
        var provenance = try XCTUnwrap(run["provenance"] as? [String: Any])
        var build = try XCTUnwrap(provenance["build"] as? [String: Any])
        build["configuration"] = "fast"
        provenance["build"] = build
        provenance["command_line"] = []
        run["provenance"] = provenance
        obj["run"] = run
        let found = try SchemaValidation.reportErrors(try JSONSerialization.data(withJSONObject: obj))
        let error = try XCTUnwrap(found, "the schema accepted it")
        XCTAssertTrue(error.contains("run/provenance/build/configuration"), error)
        XCTAssertTrue(error.contains("run/provenance/command_line"), error)
    }
}
