import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest
@testable import QBenchCLI

/// `--progress auto|plain|none` on `run` and `accuracy`. The tests' stderr is a pipe, as in CI: `auto` and `plain`
/// give plain lines there, `none` nothing but the command's own last line.
final class ProgressOptionTests: XCTestCase {
    func testHelp_listsTheModes() {
        for help in [QBench.helpMessage(for: QBench.Run.self), QBench.helpMessage(for: QBench.Accuracy.self)] {
            XCTAssertTrue(help.contains("--progress <mode>"), help)
            XCTAssertTrue(help.contains("values: auto, plain, none"), help)
        }
    }

    func testRun_plainWritesEachPhaseStartAndEnd() throws {
        let out = try TestPaths.scratch()
        let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", out.path, "--progress", "plain"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("qbench run: profile smoke") == true, r.stderr)
        for phase in ["verify", "roofline", "benchmark", "accuracy"] {
            let start = try XCTUnwrap(
                lines.firstIndex { $0.hasPrefix("qbench: \(phase): ") && $0.hasSuffix(" items") },
                "no start line for \(phase):\n\(r.stderr)")
            let end = try XCTUnwrap(
                lines.firstIndex { $0.hasPrefix("qbench: \(phase) done: ") },
                "no end line for \(phase):\n\(r.stderr)")
            XCTAssertLessThan(start, end, phase)
            // "qbench: verify done: 139/139 in 1s": every item of the phase ran.
            let counts = lines[end].split(separator: " ")[3].split(separator: "/")
            XCTAssertEqual(counts.first, counts.last, lines[end])
        }
        XCTAssertFalse(r.stderr.contains("\u{1B}"), "no terminal escapes in a log: \(r.stderr)")
        XCTAssertTrue(lines.last?.hasPrefix("qbench run: report written to ") == true, r.stderr)
        // auto is plain on a pipe.
        let auto = try QBenchBinary.run([
            "run", "--quick", "--profile", "smoke", "--out", out.path,
            "--formats", "q8_0",
        ])
        XCTAssertEqual(auto.status, 0, auto.stderr)
        XCTAssertTrue(auto.stderr.contains("qbench: verify: "), auto.stderr)
    }

    func testRun_noneWritesOnlyTheReportLine() throws {
        let out = try TestPaths.scratch()
        let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", out.path, "--progress", "none"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Warnings (a busy machine, say) are not progress: they still go to stderr.
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("qbench run: warning: ") }
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(
            lines.first?.hasPrefix("qbench run: report written to \(out.path)/qbench-smoke-") == true,
            r.stderr)
    }

    func testRun_anUnknownModeIsAUsageError() throws {
        let r = try QBenchBinary.run(["run", "--progress", "loud"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--progress"), r.stderr)
    }

    func testAccuracy_plainStepsTheAnalysisAndTheWrite() throws {
        let dir = try TestPaths.scratch()
        let model = try smallModel(dir)
        let written = dir.appendingPathComponent("out.gguf")
        let r = try QBenchBinary.run([
            "accuracy", "--model", model.path, "--formats", "q8_0", "--progress", "plain",
            "--write", written.path, "--write-format", "q8_0",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stderr.split(separator: "\n").filter { !$0.contains(" done: ") },
            ["qbench: accuracy: 2 items", "qbench: write: 3 items"], r.stderr)
        XCTAssertTrue(r.stderr.contains("qbench: accuracy done: 2/2 in "), r.stderr)
        XCTAssertTrue(r.stderr.contains("qbench: write done: 3/3 in "), r.stderr)

        let quiet = try QBenchBinary.run(["accuracy", "--model", model.path, "--formats", "q8_0", "--progress", "none"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
    }

    /// Every matrix non-finite: one error line and no progress line before it, even with `--progress plain`.
    func testAccuracy_allNonFiniteMatrices_isOneLineWithoutProgress() throws {
        let dir = try TestPaths.scratch()
        var w = SafetensorsWriter(metadata: [:])
        let bad = [Float](repeating: .nan, count: 8 * 64).withUnsafeBytes { Data($0) }
        try w.addTensor(name: "a.weight", dtype: .f32, shape: [8, 64], bytes: bad)
        try w.addTensor(name: "b.weight", dtype: .f32, shape: [8, 64], bytes: bad)
        let url = dir.appendingPathComponent("nan.safetensors")
        try w.write(to: url)
        let r = try QBenchBinary.run(["accuracy", "--model", url.path, "--formats", "q8_0", "--progress", "plain"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(
            r.stderr, "qbench: \(url.path): nothing to analyse: every weight matrix holds non-finite values\n")
        XCTAssertEqual(r.stdout, "")
    }

    /// Two f32 matrices and a norm vector.
    func smallModel(_ dir: URL) throws -> URL {
        var rng = SplitMix64(seed: 7)
        func values(_ n: Int) -> Data { (0..<n).map { _ in Float(rng.normal() * 0.02) }.withUnsafeBytes { Data($0) } }
        var w = SafetensorsWriter(metadata: [:])
        try w.addTensor(name: "a.weight", dtype: .f32, shape: [8, 64], bytes: values(8 * 64))
        try w.addTensor(name: "b.weight", dtype: .f32, shape: [4, 32], bytes: values(4 * 32))
        try w.addTensor(name: "norm.weight", dtype: .f32, shape: [64], bytes: values(64))
        let url = dir.appendingPathComponent("small.safetensors")
        try w.write(to: url)
        return url
    }
}
