// Contradictions the run used to carry, each pinned end to end through the binary: flags and profile keys share
// one check, a profile without kernels says so and fails, and `cache_states` decides how decode is measured.
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class RunProfileContractTests: XCTestCase {
    /// profiles/smoke.yaml with `edit` applied to its text, written to a scratch file.
    private func smokeVariant(_ name: String, _ edit: (String) -> String) throws -> URL {
        let smoke = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("profiles/smoke.yaml"),
            encoding: .utf8)
        let url = try TestPaths.scratch(name).appendingPathComponent("\(name).yaml")
        let text = edit(smoke)
        XCTAssertNotEqual(text, smoke, "the edit changed nothing")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testBadThreads_sameMessageFromTheFlagAndFromAProfile() throws {
        let expected = "`0` is not a thread count; expected a number in 1...4096, `cores` or `pus`"
        let flag = try QBenchBinary.run([
            "run", "--quick", "--profile", "smoke", "--threads", "0",
            "--out", try TestPaths.scratch("flag").path,
        ])
        XCTAssertEqual(flag.status, 64, "a bad option value is a usage error: \(flag.stderr)")
        XCTAssertEqual(flag.stderr, "qbench: --threads: \(expected)\n")

        let file = try smokeVariant("threads0") { $0.replacingOccurrences(of: "threads: [1]", with: "threads: [0]") }
        let prof = try QBenchBinary.run([
            "run", "--quick", "--profile", file.path,
            "--out", try TestPaths.scratch("prof").path,
        ])
        XCTAssertEqual(prof.status, 1, "a bad profile is a bad input file: \(prof.stderr)")
        XCTAssertEqual(prof.stderr.split(separator: "\n").count, 1, prof.stderr)
        XCTAssertTrue(prof.stderr.hasPrefix("qbench: \(file.path): "), prof.stderr)
        XCTAssertTrue(prof.stderr.hasSuffix("threads[0]: \(expected)\n"), prof.stderr)

        // Not a number at all: the same wording again, from both sides.
        let word = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--threads", "many"])
        XCTAssertEqual(
            word.stderr,
            "qbench: --threads: `many` is not a thread count; expected a number in 1...4096, `cores` or `pus`\n")
        let wfile = try smokeVariant("threadsWord") {
            $0.replacingOccurrences(of: "threads: [1]", with: "threads: [many]")
        }
        let wprof = try QBenchBinary.run(["run", "--quick", "--profile", wfile.path])
        XCTAssertEqual(wprof.status, 1, wprof.stderr)
        XCTAssertTrue(
            wprof.stderr.contains("`many` is not a thread count; expected a number in 1...4096"), wprof.stderr)
    }

    func testProfileWithOnlyFormatsWithoutKernels_namesThemAndExitsNonZeroBeforeMeasuring() throws {
        // mxfp4: a format with a quantizer (accuracy) and no kernels
        let file = try smokeVariant("mxfp4") {
            $0.replacingOccurrences(of: "formats: [f32, q8_0, q4_0]", with: "formats: [mxfp4]")
        }
        let out = try TestPaths.scratch("mxfp4Out")
        let r = try QBenchBinary.run(["run", "--quick", "--profile", file.path, "--out", out.path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing to measure"), r.stderr)
        XCTAssertTrue(r.stderr.contains("mxfp4"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [], "no report for an empty run")
    }

    func testProfileWithSomeFormatsWithoutKernels_warnsNamingThemInSummaryAndReport() throws {
        let file = try smokeVariant("mixed") {
            $0.replacingOccurrences(of: "formats: [f32, q8_0, q4_0]", with: "formats: [q8_0, fp8_e4m3]")
        }
        let r = try QBenchBinary.run([
            "run", "--quick", "--profile", file.path, "--out", try TestPaths.scratch("mixedOut").path,
            "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: no kernel in this build for fp8_e4m3"), r.stderr)
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        // Other warnings (a busy machine, a ceiling measured low) may come too on a shared host.
        let named = (report.run.warnings ?? []).filter { $0.contains("fp8_e4m3") }
        XCTAssertEqual(named, ["no kernel in this build for fp8_e4m3: accuracy only, no throughput or estimates"])
        XCTAssertFalse(report.results.isEmpty)
        XCTAssertFalse(report.results.contains { $0.weightFormat == "fp8_e4m3" })
        XCTAssertTrue(report.accuracy.contains { $0.format == "fp8_e4m3" }, "fp8_e4m3 is still measured for accuracy")
    }

    func testCacheStatesWarm_measuresDecodeWarm() throws {
        let file = try smokeVariant("warm") {
            $0.replacingOccurrences(of: "formats: [f32, q8_0, q4_0]", with: "formats: [q8_0]")
                .replacingOccurrences(of: "threads: [1]\n", with: "threads: [1]\ncache_states: [warm]\n")
        }
        let r = try QBenchBinary.run([
            "run", "--quick", "--profile", file.path, "--out", try TestPaths.scratch("warmOut").path,
            "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        let gemv = report.results.filter { $0.op == .gemv }
        XCTAssertFalse(gemv.isEmpty)
        XCTAssertTrue(gemv.allSatisfy { $0.cacheState == .warm }, gemv.map(\.key).joined(separator: " "))
        XCTAssertFalse(gemv.contains { $0.key.hasSuffix("/cold") })
    }

    func testCacheStatesColdAndWarm_measuresDecodeBothWaysUnderDistinctKeys() throws {
        let file = try smokeVariant("both") {
            $0.replacingOccurrences(of: "formats: [f32, q8_0, q4_0]", with: "formats: [q4_0]")
                .replacingOccurrences(of: "threads: [1]\n", with: "threads: [1]\ncache_states: [cold, warm]\n")
        }
        let r = try QBenchBinary.run([
            "run", "--quick", "--profile", file.path, "--out", try TestPaths.scratch("bothOut").path,
            "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        let gemv = report.results.filter { $0.op == .gemv }
        XCTAssertEqual(Set(gemv.map(\.cacheState)), [.cold, .warm])
        XCTAssertEqual(gemv.filter { $0.cacheState == .cold }.count, gemv.filter { $0.cacheState == .warm }.count)
        XCTAssertEqual(Set(report.results.map(\.key)).count, report.results.count, "keys stay unique")
        XCTAssertTrue(report.results.filter { $0.op == .gemm }.allSatisfy { $0.cacheState == .warm })
    }
}
