// `qbench gate` and `qbench compare` through the real binary, on reports made from one real `qbench run --quick
// --profile smoke` whose samples are then replaced (so the outcome does not depend on this machine's noise).
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest
@testable import QBenchCLI

final class GateCommandTests: XCTestCase {
    /// One real smoke report, made once for the class.
    nonisolated(unsafe) static var realReport: Report?

    func smokeReport() throws -> Report {
        if let r = Self.realReport { return r }
        let dir = try TestPaths.scratch("gate-smoke-run")
        let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", dir.path, "--progress", "none"])
        XCTAssertTrue([0, 3].contains(r.status), r.stderr)
        let file = try XCTUnwrap(
            FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".json") }, r.stderr)
        let report = try Report.load(dir.appendingPathComponent(file))
        Self.realReport = report
        return report
    }

    /// 20 samples within +-1 % of each result's median, times `factor` for the keys matching `slow`.
    func synthetic(_ base: Report, factor: Double = 1, slow: String? = nil, noisy: Bool = false) -> Report {
        var r = base
        r.validity = Validity(valid: true, reasons: [])
        for i in r.results.indices {
            let m = r.results[i].medianNs
            let f = (slow.map { r.results[i].key.hasPrefix($0) } ?? false) ? factor : 1
            let spread: [Double] = (0..<20).map { j -> Double in
                let d = Double(j)
                if !noisy { return 0.99 + 0.001 * d }
                let frac: Double = (d * 0.618_033_988_75).truncatingRemainder(dividingBy: 1)
                return 0.7 + 0.6 * frac
            }
            let s = spread.map { UInt64((m * $0 * f).rounded()) }
            let sorted = s.sorted().map(Double.init)
            r.results[i].samplesNs = f == 1 ? s : s.reversed()
            r.results[i].medianNs = (sorted[9] + sorted[10]) / 2
            r.results[i].p10Ns = sorted[2]
            r.results[i].p90Ns = sorted[17]
        }
        return r
    }

    func write(_ r: Report, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try r.write(to: url)
        return url.path
    }

    func policy(
        in dir: URL, _ text: String = "max_throughput_regression: 0.05\nmax_sqnr_drop_db: 0.5\n"
    ) throws
        -> String
    {
        let p = dir.appendingPathComponent("gate.yaml").path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func gate(_ base: String, _ cand: String, _ extra: [String] = []) throws -> CommandResult {
        try QBenchBinary.run(["gate", "--baseline", base, "--candidate", cand] + extra)
    }

    func testTenPercentSlowerWithTightSamplesExits2() throws {
        let dir = try TestPaths.scratch()
        let real = try smokeReport()
        let key = try XCTUnwrap(real.results.first?.key)
        let base = try write(synthetic(real), "base.json", in: dir)
        let cand = try write(synthetic(real, factor: 1.10, slow: key), "cand.json", in: dir)
        let r = try gate(base, cand, ["--policy", try policy(in: dir)])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        let first = r.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertEqual(first, "**qbench gate: FAIL, performance regression (exit 2)**")
        let failures = try XCTUnwrap(r.stdout.components(separatedBy: "<details>").first)
        XCTAssertTrue(failures.contains("| 2 | throughput | \(key) |"), failures)
        XCTAssertTrue(failures.contains("Mann-Whitney p = "), failures)
        XCTAssertTrue(r.stdout.contains("checks passed</summary>"), "passing rows folded")
        XCTAssertEqual(r.stderr, "")
    }

    /// `--history DIR`: a directory of earlier runs (holding the baseline and candidate too, which are skipped)
    /// whose medians of the slowed key are 20 % apart lets a 10 % slowdown pass, named in the JSON row.
    func testHistoryDirectoryWidensTheLimitToTheBetweenRunSpread() throws {
        let dir = try TestPaths.scratch()
        let real = try smokeReport()
        let key = try XCTUnwrap(real.results.first?.key)
        let base = try write(synthetic(real), "base.json", in: dir)
        let cand = try write(synthetic(real, factor: 1.10, slow: key), "cand.json", in: dir)
        _ = try write(synthetic(real, factor: 1.25, slow: key), "earlier-run.json", in: dir)
        let pol = try policy(in: dir)
        XCTAssertEqual(try gate(base, cand, ["--policy", pol]).status, 2)
        let r = try gate(base, cand, ["--policy", pol, "--history", dir.path, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let v = try QBJSON.decoder().decode(GateVerdict.self, from: Data(r.stdout.utf8))
        let row = try XCTUnwrap(v.passes.first { $0.subject == key })
        XCTAssertEqual(row.runs, 2, "the baseline and the one earlier run; base.json and cand.json are skipped")
        XCTAssertEqual(try XCTUnwrap(row.betweenRuns), 1 - 1 / 1.25, accuracy: 0.01)
        XCTAssertTrue(v.notes.contains { $0.contains("2 runs") }, "\(v.notes)")
    }

    func testTenPercentSlowerWithinNoiseExits0AndShowsTilde() throws {
        let dir = try TestPaths.scratch()
        let real = try smokeReport()
        let key = try XCTUnwrap(real.results.first?.key)
        let base = try write(synthetic(real, noisy: true), "base.json", in: dir)
        let cand = try write(synthetic(real, factor: 1.10, slow: key, noisy: true), "cand.json", in: dir)
        let r = try gate(base, cand, ["--policy", try policy(in: dir)])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("**qbench gate: PASS (exit 0)**"), r.stdout)
        let row = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("| throughput | \(key) |") })
        XCTAssertTrue(row.contains(" ~ |"), String(row))
        XCTAssertTrue(row.contains("within noise"), String(row))
        // compare shows the same row within noise.
        let c = try QBenchBinary.run(["compare", base, cand])
        XCTAssertEqual(c.status, 0, c.stderr)
        let crow = try XCTUnwrap(c.stdout.split(separator: "\n").first { $0.hasPrefix("| \(key) |") })
        XCTAssertTrue(crow.contains(" ~ |"), String(crow))
    }

    func testTwoPercentSlowerExits0() throws {
        let dir = try TestPaths.scratch()
        let real = try smokeReport()
        let base = try write(synthetic(real), "base.json", in: dir)
        let cand = try write(synthetic(real, factor: 1.02, slow: "gemv/"), "cand.json", in: dir)
        let r = try gate(base, cand, ["--policy", try policy(in: dir), "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let v = try QBJSON.decoder().decode(GateVerdict.self, from: Data(r.stdout.utf8))
        XCTAssertEqual(v.exitCode, 0)
        XCTAssertEqual(v.schema, "qbench.gate/1")
        let slowed = v.passes.filter { $0.kind == .throughput && $0.subject.hasPrefix("gemv/") }
        XCTAssertFalse(slowed.isEmpty)
        for c in slowed { XCTAssertEqual(try XCTUnwrap(c.change), 1 - 1 / 1.02, accuracy: 2e-3, c.subject) }
    }

    func testVerifiedKernelTurnedMismatchExits3() throws {
        let dir = try TestPaths.scratch()
        let real = synthetic(try smokeReport())
        var cand = real
        let i = try XCTUnwrap(cand.kernels.firstIndex { $0.status == .verified })
        cand.kernels[i].status = .mismatch
        let r = try gate(try write(real, "base.json", in: dir), try write(cand, "cand.json", in: dir))
        XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("**qbench gate: FAIL, correctness regression (exit 3)**"), r.stdout)
        XCTAssertTrue(r.stdout.contains("verified in the baseline, mismatch in the candidate"), r.stdout)
    }

    func testSqnrDropOfOneDbExits3() throws {
        let dir = try TestPaths.scratch()
        let real = synthetic(try smokeReport())
        var cand = real
        let i = try XCTUnwrap(cand.accuracy.firstIndex { $0.sqnrDb.isFinite })
        cand.accuracy[i].sqnrDb -= 1
        let r = try gate(
            try write(real, "base.json", in: dir), try write(cand, "cand.json", in: dir),
            ["--policy", try policy(in: dir)])
        XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("| 3 | accuracy | \(cand.accuracy[i].format)/"), r.stdout)
    }

    func testInvalidCandidateExits4UnlessAllowed() throws {
        let dir = try TestPaths.scratch()
        let real = synthetic(try smokeReport())
        var cand = real
        cand.validity = Validity(valid: false, reasons: ["gemv/x: noise 0.4 above 0.25"])
        let base = try write(real, "base.json", in: dir)
        let c = try write(cand, "cand.json", in: dir)
        let r = try gate(base, c)
        XCTAssertEqual(r.status, 4, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("**qbench gate: FAIL, invalid run (exit 4)**"), r.stdout)
        XCTAssertEqual(try gate(base, c, ["--allow-invalid", "noise"]).status, 0)
        XCTAssertEqual(try gate(base, c, ["--allow-invalid", "stopped early"]).status, 4)
    }

    func testOtherDeviceOrProfileExits5() throws {
        let dir = try TestPaths.scratch()
        let real = synthetic(try smokeReport())
        let base = try write(real, "base.json", in: dir)
        var other = real
        other.device.id = "aarch64-somewhere-else"
        var r = try gate(base, try write(other, "dev.json", in: dir))
        XCTAssertEqual(r.status, 5, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("**qbench gate: FAIL, baseline not comparable (exit 5)**"), r.stdout)
        XCTAssertTrue(r.stderr.contains("device differs"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        other = real
        other.run.profile = "default"
        r = try gate(base, try write(other, "prof.json", in: dir))
        XCTAssertEqual(r.status, 5, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("profile differs"), r.stderr)
        // Another schema in the baseline.
        let text = try String(contentsOfFile: base, encoding: .utf8)
            .replacingOccurrences(of: "\"qbench.report/1\"", with: "\"qbench.report/2\"")
        let old = dir.appendingPathComponent("v2.json").path
        try text.write(toFile: old, atomically: true, encoding: .utf8)
        r = try gate(old, base)
        XCTAssertEqual(r.status, 5, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("qbench.report/2"), r.stderr)
    }

    func testBaselineDirMissingExits5NamingThePathAndUpdateBaselineWritesIt() throws {
        let dir = try TestPaths.scratch()
        let real = synthetic(try smokeReport())
        let cand = try write(real, "cand.json", in: dir)
        let baselines = dir.appendingPathComponent("baselines").path
        let expected = "\(baselines)/\(real.device.id)/smoke.json"
        var r = try QBenchBinary.run(["gate", "--baseline-dir", baselines, "--candidate", cand])
        XCTAssertEqual(r.status, 5, r.stdout + r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("qbench: no baseline at \(expected)"), r.stderr)
        // --update-baseline creates it; then the same candidate passes against it.
        r = try QBenchBinary.run(["gate", "--baseline-dir", baselines, "--candidate", cand, "--update-baseline"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(try Report.load(URL(fileURLWithPath: expected)), real)
        r = try QBenchBinary.run(["gate", "--baseline-dir", baselines, "--candidate", cand])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        // An invalid candidate is refused and the baseline kept.
        var bad = real
        bad.validity = Validity(valid: false, reasons: ["interrupted"])
        bad.run.startedAt = "2099-01-01T00:00:00Z"
        let badPath = try write(bad, "bad.json", in: dir)
        r = try QBenchBinary.run(["gate", "--baseline-dir", baselines, "--candidate", badPath, "--update-baseline"])
        XCTAssertEqual(r.status, 4, r.stdout + r.stderr)
        XCTAssertEqual(try Report.load(URL(fileURLWithPath: expected)).run.startedAt, real.run.startedAt)
    }

    func testUnreadableReportsExit1WithOneLine() throws {
        let dir = try TestPaths.scratch()
        let real = synthetic(try smokeReport())
        let good = try write(real, "good.json", in: dir)
        let full = try String(contentsOfFile: good, encoding: .utf8)
        let cases: [(String, String)] = [
            ("empty.json", ""), ("truncated.json", String(full.prefix(full.count / 2))), ("text.json", "hello\n"),
            ("array.json", "[1, 2]"),
        ]
        for (name, text) in cases {
            let p = dir.appendingPathComponent(name).path
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            for args in [
                ["gate", "--baseline", good, "--candidate", p], ["gate", "--baseline", p, "--candidate", good],
                ["compare", good, p],
            ] {
                let r = try QBenchBinary.run(args)
                XCTAssertEqual(r.status, 1, "\(args): \(r.stdout) \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
                XCTAssertTrue(r.stderr.hasPrefix("qbench: \(p):"), "\(args): \(r.stderr)")
            }
        }
        // A policy that is not one.
        let pol = try policy(in: dir, "max_throughput_regression: fast\n")
        let r = try gate(good, good, ["--policy", pol])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("qbench: \(pol):"), r.stderr)
    }

    func testBadFlagsExit64() throws {
        for args in [
            ["gate", "--candidate", "c.json"],
            ["gate", "--baseline", "b.json", "--baseline-dir", "d", "--candidate", "c.json"],
            ["gate", "--baseline", "b.json", "--candidate", "c.json", "--format", "xml"],
            ["gate", "--baseline", "b.json", "--candidate", "c.json", "--bogus"],
            ["gate", "--baseline", "", "--candidate", "c.json"],
            ["compare", "b.json"],
            ["compare", "b.json", "c.json", "--format", "html"],
        ] {
            let r = try QBenchBinary.run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
        }
    }

    func testCompareFormats() throws {
        let dir = try TestPaths.scratch()
        let real = try smokeReport()
        let key = try XCTUnwrap(real.results.first?.key)
        let base = try write(synthetic(real), "base.json", in: dir)
        var c = synthetic(real, factor: 1.25, slow: key)
        c.results.removeLast()
        let cand = try write(c, "cand.json", in: dir)
        let md = try QBenchBinary.run(["compare", base, cand])
        XCTAssertEqual(md.status, 0, md.stderr)
        XCTAssertTrue(md.stdout.contains("above 1 the candidate is faster"), md.stdout)
        XCTAssertTrue(md.stdout.contains("Only in the baseline (1): `\(real.results.last!.key)`"), md.stdout)
        XCTAssertTrue(md.stdout.contains("Geometric mean of ratios: **"), md.stdout)
        let json = try QBenchBinary.run(["compare", base, cand, "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["schema"] as? String, "qbench.compare/1")
        let cmp = try XCTUnwrap((obj["comparisons"] as? [[String: Any]])?.first)
        let rows = try XCTUnwrap(cmp["rows"] as? [[String: Any]])
        let row = try XCTUnwrap(rows.first { $0["key"] as? String == key })
        XCTAssertEqual(try XCTUnwrap(row["ratio"] as? Double), 0.8, accuracy: 1e-3)
        XCTAssertEqual(row["within_noise"] as? Bool, false)
        let csv = try QBenchBinary.run(["compare", base, cand, "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("base,candidate,key,"))
        XCTAssertEqual(lines.count, 1 + real.results.count, "every key once, the missing one as base_only")
        XCTAssertTrue(lines.contains { $0.hasSuffix(",base_only") })
        let cross = try QBenchBinary.run(["compare", base, cand, "--cross-device"])
        XCTAssertEqual(cross.status, 0, cross.stderr)
        XCTAssertTrue(cross.stdout.contains("| work | baseline variant |"), cross.stdout)
        XCTAssertTrue(cross.stdout.contains("### Token estimates"), cross.stdout)
    }

    /// QBENCH_INJECT_SLOWDOWN slows the matching results of a real run; the report records it and the gate names
    /// it and fails the slowed keys.
    func testInjectedSlowdownIsCaughtAndNamed() throws {
        let dir = try TestPaths.scratch()
        let base = try smokeReport()
        let basePath = try write(base, "base.json", in: dir)
        let out = dir.appendingPathComponent("slow")
        setenv("QBENCH_INJECT_SLOWDOWN", "^gemv/q8_0/=2.5", 1)
        defer { unsetenv("QBENCH_INJECT_SLOWDOWN") }
        let run = try QBenchBinary.run([
            "run", "--quick", "--profile", "smoke", "--out", out.path, "--progress", "none",
        ])
        unsetenv("QBENCH_INJECT_SLOWDOWN")
        XCTAssertTrue([0, 3].contains(run.status), run.stderr)
        let file = try XCTUnwrap(
            FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".json") }, run.stderr)
        let candPath = out.appendingPathComponent(file).path
        let cand = try Report.load(URL(fileURLWithPath: candPath))
        XCTAssertEqual(cand.run.injected, "QBENCH_INJECT_SLOWDOWN=^gemv/q8_0/=2.5")
        XCTAssertEqual(cand.kernels.map(\.status), base.kernels.map(\.status), "results unchanged")
        if let error = try SchemaValidation.reportErrors(Data(contentsOf: URL(fileURLWithPath: candPath))) {
            XCTFail(error)
        }
        let r = try gate(basePath, candPath, ["--format", "json"])
        let v = try QBJSON.decoder().decode(GateVerdict.self, from: Data(r.stdout.utf8))
        XCTAssertEqual(v.injected, "QBENCH_INJECT_SLOWDOWN=^gemv/q8_0/=2.5")
        XCTAssertTrue(v.notes.contains { $0.contains("deliberately slowed") })
        // Noise on a shared machine may make the quick run invalid (4, which outranks 2); the slowed keys fail
        // either way.
        XCTAssertTrue([2, 4].contains(r.status), "\(r.status): \(v.failures)")
        let slowed = v.failures.filter { $0.kind == .throughput }.map(\.subject)
        XCTAssertFalse(slowed.filter { $0.hasPrefix("gemv/q8_0/") }.isEmpty, "\(v.failures)")
        let md = try gate(basePath, candPath)
        XCTAssertTrue(md.stdout.contains("> the candidate was deliberately slowed: QBENCH_INJECT_SLOWDOWN="), md.stdout)
    }

    func testInjectedSlowdownMustBeWellFormed() throws {
        let dir = try TestPaths.scratch()
        for value in ["gemv", "gemv=fast", "gemv=0.5", "(=2"] {
            setenv("QBENCH_INJECT_SLOWDOWN", value, 1)
            defer { unsetenv("QBENCH_INJECT_SLOWDOWN") }
            let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", dir.path])
            XCTAssertEqual(r.status, 64, "\(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("qbench: QBENCH_INJECT_SLOWDOWN: "), "\(value): \(r.stderr)")
        }
    }

    func testHelpHasExamples() {
        let gate = QBench.helpMessage(for: QBench.Gate.self)
        for s in ["--baseline-dir <dir>", "--update-baseline", "--allow-invalid <reasons>", "Examples:", "then 3"] {
            XCTAssertTrue(gate.contains(s), "missing \(s) in:\n\(gate)")
        }
        let compare = QBench.helpMessage(for: QBench.Compare.self)
        for s in ["--cross-device", "--format <md|json|csv>", "Examples:", "above 1 the"] {
            XCTAssertTrue(compare.contains(s), "missing \(s) in:\n\(compare)")
        }
    }
}
