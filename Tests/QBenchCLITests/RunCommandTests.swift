import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

/// `qbench run` end to end on the smoke profile: every phase runs, the report is written atomically and
/// validates against docs/report.schema.json.
final class RunCommandTests: XCTestCase {
    func testQuickSmokeRun_writesAReportThatDecodesAndValidates() throws {
        let out = try TestPaths.scratch()
        let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", out.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        // The file on disk is the same report, and no temp file is left behind.
        // ... with its Markdown page next to it (same name), rendered from that report.
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files.count, 3, "\(files)")
        let base = String(try XCTUnwrap(files.first { $0.hasSuffix(".json") }).dropLast(5))
        XCTAssertEqual(files, [base + ".html", base + ".json", base + ".md"])
        let onDisk = try Report.load(out.appendingPathComponent(base + ".json"))
        XCTAssertEqual(onDisk, report)
        XCTAssertEqual(
            try String(contentsOf: out.appendingPathComponent(base + ".md"), encoding: .utf8),
            ReportMarkdown.render(report, path: base + ".json"))
        XCTAssertEqual(
            try String(contentsOf: out.appendingPathComponent(base + ".html"), encoding: .utf8),
            ReportHTML.render(report, path: base + ".json"))

        XCTAssertEqual(report.run.profile, "smoke")
        XCTAssertTrue(report.run.quick)
        // Every variant: scalar verified for every (op, format); nothing mismatched on this machine.
        for f in ["f32", "q8_0", "q4_0"] {
            for op in KernelOp.matrix {
                XCTAssertTrue(
                    report.kernels.contains {
                        $0.op == op && $0.weightFormat == f && $0.variant == "scalar" && $0.status == .verified
                    },
                    "scalar \(op) \(f) should be verified")
            }
        }
        XCTAssertFalse(
            report.kernels.contains { $0.status == .mismatch }, "\(report.kernels.filter { $0.status == .mismatch })")
        // Results: every distinct shape of the smoke model for every format, decode cold, with all samples kept.
        XCTAssertEqual(Set(report.results.map(\.key)).count, report.results.count, "result keys must be unique")
        for f in ["f32", "q8_0", "q4_0"] {
            XCTAssertTrue(report.results.contains { $0.weightFormat == f && $0.op == .gemv && $0.cacheState == .cold })
            XCTAssertTrue(report.results.contains { $0.weightFormat == f && $0.op == .gemm && $0.cacheState == .warm })
        }
        for row in report.results {
            // 10 samples (min_samples) unless the 200 ms cap stopped it first on a slow moment of a shared VM,
            // which the row must then say; a count, not a timing.
            if !row.warnings.contains(where: { $0.kind == .stoppedEarly }) {
                XCTAssertGreaterThanOrEqual(row.samplesNs.count, 10, row.key)
            }
            XCTAssertGreaterThanOrEqual(row.samplesNs.count, 1, row.key)
            XCTAssertGreaterThan(row.medianNs, 0, row.key)
            XCTAssertNotNil(row.energy, row.key)
            // The adjacent ceiling matches the result's bound: the read loop over its own cold weight copies for
            // memory-bound rows, the peak loop for compute-bound ones; the fraction is its throughput over it.
            if let adj = row.adjacent {
                let bound = try XCTUnwrap(row.roofline?.bound, row.key)
                XCTAssertEqual(adj.ceiling, bound == .memory ? "dram_read" : "peak", row.key)
                XCTAssertEqual(adj.repetitions, 2, row.key)  // quick: one before, one after
                XCTAssertGreaterThan(adj.value, 0, row.key)
                let achieved = bound == .memory ? row.throughput.gbPerS : row.throughput.gopPerS
                XCTAssertEqual(adj.fraction, achieved / adj.value, accuracy: 1e-9, row.key)
                if bound == .compute, report.device.topology.caches.contains(where: { $0.level == 2 }) {
                    XCTAssertGreaterThan(adj.l2ReadGbPerS ?? 0, 0, "compute-bound rows carry the L2 read: \(row.key)")
                } else if bound == .memory {
                    XCTAssertNil(adj.l2ReadGbPerS, row.key)
                }
            }
            if row.op == .gemv, row.roofline?.bound == .memory {
                XCTAssertEqual(row.adjacent?.ceiling, "dram_read", "cold decode rows re-measure DRAM reads: \(row.key)")
            }
            // Every result says what was done about NUMA placement; this machine's answer follows from hwloc.
            let placement = try XCTUnwrap(row.weightPlacement, row.key)
            if let nodes = try? ThreadPlacer.live().numaNodeCount, nodes == 1 {
                XCTAssertEqual(placement, WeightPlacementOutcome.singleNode.description, row.key)
            } else {
                XCTAssertTrue(placement.hasPrefix("bound per worker slice"), "\(row.key): \(placement)")
            }
        }
        // The representative shapes time every verified variant, so the plan is checked against them.
        let checks = try XCTUnwrap(report.dispatchCheck)
        XCTAssertFalse(checks.isEmpty)
        for c in checks {
            XCTAssertTrue(c.variants.contains(c.fastest), "\(c)")
            if c.variants.contains(c.planned) { XCTAssertGreaterThan(c.speedup ?? 0, 0, "\(c)") }
        }
        XCTAssertTrue(report.roofline.bandwidth.contains { $0.level == "dram" && $0.gbPerS > 0 })
        XCTAssertFalse(report.roofline.peaks.isEmpty)
        XCTAssertTrue(report.estimates.contains { $0.model == "smoke-tiny" && ($0.decodeTokensPerS ?? 0) > 0 })
        XCTAssertTrue(report.accuracy.contains { $0.format == "q4_0" && $0.sqnrDb > 10 })

        // Provenance: this binary's build, the command line as given, the quick limits, the machine around it.
        let provenance = try XCTUnwrap(report.run.provenance)
        XCTAssertEqual(
            Array(provenance.commandLine.dropFirst()),
            ["run", "--quick", "--profile", "smoke", "--out", out.path, "--json"])
        XCTAssertEqual(provenance.build.configuration, BuildInfo.configuration)
        XCTAssertEqual(provenance.build.commit, BuildInfo.commit)
        XCTAssertEqual(provenance.build.cFlags, ToolchainInfo.cFlags)
        XCTAssertEqual(provenance.timing, try ProfileLoader.resolve("smoke").profile.timing(quick: true))
        #if os(Linux)
        for snapshot in [provenance.machineAtStart, provenance.machineAtEnd] {
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(snapshot?.activity).otherCores, 0)
        }
        #endif
        let busy = RunWarnings.busyMachine(start: provenance.machineAtStart, end: provenance.machineAtEnd)
        XCTAssertEqual(report.run.warnings?.filter { $0.hasPrefix("machine busy") } ?? [], busy)
        for w in busy { XCTAssertTrue(r.stderr.contains("qbench run: warning: \(w)"), r.stderr) }

        if let error = try SchemaValidation.reportErrors(Data(r.stdout.utf8)) { XCTFail(error) }
    }

    /// `timing.rounds`: every result is sampled in each round and its row pools them; bf16 weights run with both
    /// activation formats and each gets its own key.
    func testRunInRounds_poolsEachResultsSamplesAndKeysAreUnique() throws {
        let out = try TestPaths.scratch()
        var yaml = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("profiles/smoke.yaml"), encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "formats: [f32, q8_0, q4_0]", with: "formats: [bf16, q4_0]")
        yaml = yaml.replacingOccurrences(of: "  max_noise: 0.50\n", with: "  max_noise: 0.50\n  rounds: 2\n")
        XCTAssertTrue(yaml.contains("rounds: 2") && yaml.contains("[bf16, q4_0]"), "smoke.yaml changed: adapt this")
        let profile = out.appendingPathComponent("rounds.yaml")
        try yaml.write(to: profile, atomically: true, encoding: .utf8)
        let r = try QBenchBinary.run(
            ["run", "--quick", "--profile", profile.path, "--out", out.appendingPathComponent("r").path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        if let error = try SchemaValidation.reportErrors(Data(r.stdout.utf8)) { XCTFail(error) }
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        XCTAssertFalse(report.results.isEmpty)
        XCTAssertEqual(Set(report.results.map(\.key)).count, report.results.count, "result keys must be unique")
        for row in report.results {
            let counts = try XCTUnwrap(row.roundSamples, row.key)
            XCTAssertEqual(counts.count, 2, row.key)
            XCTAssertTrue(counts.allSatisfy { $0 >= 1 }, "\(row.key): \(counts)")
            XCTAssertEqual(counts.reduce(0, +), row.samplesNs.count, row.key)
            XCTAssertEqual(row.roundMediansNs?.count, 2, row.key)
        }
        // The scalar reference runs bf16 weights with bf16 and with f32 activations: two rows, two keys.
        let bf16Scalar = report.results.filter { $0.weightFormat == "bf16" && $0.variant == "scalar" }
        XCTAssertTrue(bf16Scalar.contains { $0.activationFormat == "f32" && $0.key.contains("/scalar@f32") })
        XCTAssertTrue(bf16Scalar.contains { $0.activationFormat == "bf16" && $0.key.contains("/scalar") })
    }

    /// Retakes through the real command: with a precision limit no measurement meets, every result is invalid; the
    /// first max(4, n/10) in run order are measured again, each row keeping its first attempt, and the report, its
    /// schema and its Markdown say so.
    func testRun_retakesInvalidResultsKeepingTheFirstAttempt() throws {
        let out = try TestPaths.scratch()
        var yaml = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("profiles/smoke.yaml"), encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "  max_noise: 0.50\n", with: "  max_noise: 0.000001\n")
        XCTAssertTrue(yaml.contains("max_noise: 0.000001"), "smoke.yaml changed: adapt this")
        let profile = out.appendingPathComponent("strict.yaml")
        try yaml.write(to: profile, atomically: true, encoding: .utf8)
        let dir = out.appendingPathComponent("r")
        let r = try QBenchBinary.run(["run", "--quick", "--profile", profile.path, "--out", dir.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        if let error = try SchemaValidation.reportErrors(Data(r.stdout.utf8)) { XCTFail(error) }
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        let n = report.results.count
        let budget = max(4, n / 10)
        XCTAssertGreaterThan(n, budget, "the smoke profile has more results than the retake budget")
        let retaken = report.results.filter { $0.firstAttempt != nil }
        XCTAssertEqual(retaken.map(\.key), report.results.prefix(budget).map(\.key), "the first invalid ones")
        for row in retaken {
            let first = try XCTUnwrap(row.firstAttempt)
            XCTAssertTrue(first.reasons.contains { $0.hasPrefix("imprecise median") }, "\(row.key): \(first.reasons)")
            XCTAssertGreaterThanOrEqual(first.samplesNs.count, 1)
            XCTAssertGreaterThanOrEqual(row.samplesNs.count, 1)
            XCTAssertNil(row.roundSamples, "a retake is one go")
        }
        XCTAssertFalse(report.validity.valid, "retakes cannot meet an impossible limit")
        XCTAssertTrue(r.stderr.contains("measured \(budget) result(s) again"), r.stderr)
        let mdName = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".md") })
        let md = try String(contentsOf: dir.appendingPathComponent(mdName), encoding: .utf8)
        XCTAssertTrue(md.contains("Measured again at the end of the run"), md)
        XCTAssertTrue(md.contains("`\(retaken[0].key)`: first attempt"), md)
        let htmlName = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".html") })
        let html = try String(contentsOf: dir.appendingPathComponent(htmlName), encoding: .utf8)
        XCTAssertTrue(html.contains("Measured again at the end of the run"), "HTML lists the retakes")
        XCTAssertTrue(html.contains("<code>\(retaken[0].key)</code>: first attempt"), "HTML names the first retake")
    }

    func testRun_badOptionsGiveOneLineAndExit64_badFilesExit1() throws {
        for (args, needle, status) in [
            (["run", "--formats", "q9_9"], "--formats", Int32(64)),
            (["run", "--threads", "0"], "--threads", 64),
            (["run", "--max-isa", "avx9000"], "avx9000", 64),
            (["run", "--bogus-flag"], "--bogus-flag", 64),
            (["run", "--profile", "/nonexistent/p.yaml"], "/nonexistent/p.yaml", 1),
            (["run", "--model", "/nonexistent/m.gguf"], "/nonexistent/m.gguf", 1),
        ] {
            let r = try QBenchBinary.run(args + ["--quick", "--out", try TestPaths.scratch().path])
            XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("qbench: "), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}
