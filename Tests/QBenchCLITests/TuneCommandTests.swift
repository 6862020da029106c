// `qbench tune` through the real binary: a dispatch file from a report, refused for another device by
// `qbench llm --dispatch` and `qbench run --dispatch`, and used (and recorded) when it is this device's.
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class TuneCommandTests: XCTestCase {
    static let fixture = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/reports/smoke-quick-zen3.json")

    func testTune_writesOneVerifiedChoicePerOpFormatAndThreads_theFastestInTotal() throws {
        let out = try TestPaths.scratch().appendingPathComponent("dispatch.json")
        let r = try QBenchBinary.run(["tune", Self.fixture.path, "--out", out.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "qbench.dispatch/1")
        XCTAssertEqual(json["device_id"] as? String, "f413c9202cd2dcec")
        let entries = try XCTUnwrap(json["entries"] as? [[String: Any]])
        // the fixture times gemv and gemm of f32, q8_0 and q4_0 at one thread count
        XCTAssertEqual(entries.count, 6)
        for e in entries {
            let totals = try XCTUnwrap(e["totals_ns"] as? [String: Double])
            let pick = try XCTUnwrap(e["variant"] as? String)
            let best = try XCTUnwrap(totals.values.min())
            // the planned variant stays unless another beats it by more than 5 %
            if let planned = e["planned"] as? String, let tp = totals[planned], tp <= best * 1.05 {
                XCTAssertEqual(pick, planned, "\(e)")
            } else {
                XCTAssertEqual(totals[pick], best, "\(e)")
            }
            XCTAssertFalse((e["shapes"] as? [String] ?? []).isEmpty)
        }
        // An existing --out is not replaced without --force.
        let again = try QBenchBinary.run(["tune", Self.fixture.path, "--out", out.path])
        XCTAssertNotEqual(again.status, 0)
    }

    func testLLMDispatch_refusesAnotherDevicesPlan_andRecordsItsOwn() throws {
        let dir = try TestPaths.scratch()
        let foreign = dir.appendingPathComponent("foreign.json")
        XCTAssertEqual(try QBenchBinary.run(["tune", Self.fixture.path, "--out", foreign.path]).status, 0)
        let tiny = dir.appendingPathComponent("tiny.gguf")
        try LLMCommandTests.writeTinyLlama(to: tiny)
        let base = ["llm", "--model", tiny.path, "--formats", "q8_0", "--threads", "1", "-p", "8", "-n", "4"]
        let bad = try QBenchBinary.run(base + ["--dispatch", foreign.path])
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertEqual(bad.stderr.filter { $0 == "\n" }.count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("a plan for device f413c9202cd2dcec"), bad.stderr)

        // This device: a quick run, its plan, and the model on it.
        let run = try QBenchBinary.run([
            "run", "--quick", "--profile", "smoke", "--formats", "q8_0", "--out", dir.path, "--progress", "none",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(
            FileManager.default.contentsOfDirectory(atPath: dir.path).first {
                $0.hasPrefix("qbench-smoke") && $0.hasSuffix(".json")
            })
        let own = dir.appendingPathComponent("own.json")
        XCTAssertEqual(
            try QBenchBinary.run(["tune", dir.appendingPathComponent(report).path, "--out", own.path]).status, 0)
        let plan = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: own)) as? [String: Any])
        let entries = try XCTUnwrap(plan["entries"] as? [[String: Any]])
        let gemv = try XCTUnwrap(
            entries.first { $0["op"] as? String == "gemv" && $0["weight_format"] as? String == "q8_0" })
        let ok = try QBenchBinary.run(base + ["--dispatch", own.path, "--repetitions", "1", "--json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let rows = try LLMCommandTests.llmRows(ok)
        XCTAssertEqual(rows.first?["dispatch"] as? String, "measured \(own.path)")
        XCTAssertEqual(rows.first?["gemv"] as? String, gemv["variant"] as? String)
        let plain = try QBenchBinary.run(base + ["--repetitions", "1", "--json"])
        XCTAssertEqual(try LLMCommandTests.llmRows(plain).first?["dispatch"] as? String, "static")
    }

    /// `qbench run --dispatch FILE`: the plan's variant is the one timed on the shapes that time one variant (the
    /// representative shape of each op still times every verified one), and the report records the plan. The plan
    /// here is written by hand so that it differs from the static one: gemv q8_0 on `scalar`.
    func testRunDispatch_timesThePlansVariant_andRecordsIt() throws {
        let dir = try TestPaths.scratch()
        let device = try DeviceProbe.probe()
        func plan(deviceID: String) -> String {
            """
            {"schema": "qbench.dispatch/1", "device_id": "\(deviceID)", "qbench_version": "test",
             "created_at": "2026-12-04T00:00:00Z", "source": "hand-written", "profile": "smoke",
             "entries": [{"op": "gemv", "weight_format": "q8_0", "activation_format": "q8_0", "threads": 1,
                          "variant": "scalar", "shapes": [], "totals_ns": {}}]}
            """
        }
        let own = dir.appendingPathComponent("own.json"), foreign = dir.appendingPathComponent("foreign.json")
        try Data(plan(deviceID: device.id).utf8).write(to: own)
        try Data(plan(deviceID: "0000000000000000").utf8).write(to: foreign)
        let base = ["run", "--quick", "--profile", "smoke", "--formats", "q8_0", "--progress", "none"]

        let badOut = dir.appendingPathComponent("bad").path
        let bad = try QBenchBinary.run(base + ["--out", badOut, "--dispatch", foreign.path])
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("a plan for device 0000000000000000"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: badOut))

        let r = try QBenchBinary.run(base + ["--out", dir.path, "--dispatch", own.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        XCTAssertEqual(report.run.dispatch, "measured \(own.path)")
        let gemv = report.results.filter { $0.op == .gemv && $0.weightFormat == "q8_0" }
        let byShape = Dictionary(grouping: gemv, by: \.shape)
        let single = byShape.values.filter { Set($0.map(\.variant)).count == 1 }
        XCTAssertFalse(single.isEmpty, "the smoke model has decode shapes besides the representative one")
        for rows in single { XCTAssertEqual(rows.first?.variant, "scalar", "\(rows.map(\.key))") }

        let plain = try QBenchBinary.run(base + ["--out", dir.appendingPathComponent("plain").path, "--json"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(try Report.decode(Data(plain.stdout.utf8), path: "stdout").run.dispatch, "static")
    }
}
