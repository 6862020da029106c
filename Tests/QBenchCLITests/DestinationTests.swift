// Destinations are checked before any work, and nothing the user had is lost (issue: hardening).
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class DestinationTests: XCTestCase {
    private func smallSafetensors(_ dir: URL) throws -> URL {
        var w = SafetensorsWriter(metadata: ["format": "pt"])
        var values = [Float](repeating: 0, count: 16 * 64)
        for i in values.indices { values[i] = Float((i * 37) % 101) / 101 - 0.5 }
        let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try w.addTensor(name: "w", dtype: .f32, shape: [16, 64], bytes: bytes)
        let url = dir.appendingPathComponent("m.safetensors")
        try w.write(to: url)
        return url
    }

    func testRunOut_thatIsAFileFailsBeforeMeasuringAndLeavesItAlone() throws {
        let dir = try TestPaths.scratch()
        let file = dir.appendingPathComponent("not-a-folder")
        try Data("keep me".utf8).write(to: file)
        for out in [file.path, file.appendingPathComponent("under").path] {
            let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", out])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("qbench: \(out): "), r.stderr)
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain"), r.stderr)
            XCTAssertEqual(r.stdout, "", "nothing was measured")
        }
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep me")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["not-a-folder"])
    }

    func testAccuracyWrite_refusesItsOwnInputEvenWithForce() throws {
        let dir = try TestPaths.scratch()
        let model = try smallSafetensors(dir)
        let before = try Data(contentsOf: model)
        let alias = dir.appendingPathComponent("./sub/../m.safetensors")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for target in [model.path, alias.path] {
            let r = try QBenchBinary.run([
                "accuracy", "--model", model.path, "--write", target, "--write-format", "q8_0",
                "--force",
            ])
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("is the input model"), r.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: model), before, "the input model is untouched")
    }

    func testAccuracyWrite_existingFileWithoutForceIsKept() throws {
        let dir = try TestPaths.scratch()
        let model = try smallSafetensors(dir)
        let out = dir.appendingPathComponent("out.gguf")
        try Data("theirs".utf8).write(to: out)
        let r = try QBenchBinary.run(["accuracy", "--model", model.path, "--write", out.path, "--write-format", "q8_0"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr, "qbench: \(out.path): already exists; pass --force to replace it\n")
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), "theirs")
        let forced = try QBenchBinary.run([
            "accuracy", "--model", model.path, "--write", out.path, "--write-format", "q8_0",
            "--force",
        ])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try GGUFFile(path: out.path).tensors.count, 1)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["m.safetensors", "out.gguf"],
            "no temp file left")
    }
}

final class SignalTests: XCTestCase {
    /// A safetensors file whose analysis takes a minute in a debug build (400 matrices of 256 x 256), so a
    /// signal lands in the middle of it.
    private func slowModel(_ dir: URL) throws -> URL {
        var w = SafetensorsWriter(metadata: ["format": "pt"])
        var values = [Float](repeating: 0, count: 256 * 256)
        for i in values.indices { values[i] = Float((i &* 2_654_435_761) % 1_000) / 1_000 - 0.5 }
        let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }
        for t in 0..<400 { try w.addTensor(name: "blk.\(t).w", dtype: .f32, shape: [256, 256], bytes: bytes) }
        let url = dir.appendingPathComponent("slow.safetensors")
        try w.write(to: url)
        return url
    }

    func testAccuracy_SIGINTAndSIGTERMStopTheWorkAndLeaveNothingBehind() throws {
        let dir = try TestPaths.scratch()
        let model = try slowModel(dir)
        for (sig, status, name) in [(SIGINT, Int32(130), "SIGINT (Ctrl-C)"), (SIGTERM, Int32(143), "SIGTERM")] {
            let out = dir.appendingPathComponent("out.gguf")
            let r = try QBenchBinary.run(
                [
                    "accuracy", "--model", model.path, "--formats", "q8_0,q4_0,q4_k,q6_k",
                    "--write", out.path, "--write-format", "q4_k",
                ], signal: (sig, 2))
            XCTAssertEqual(r.status, status, r.stderr)
            XCTAssertTrue(
                r.stderr.hasSuffix("qbench: interrupted by \(name) before the analysis finished; nothing written\n"),
                r.stderr)
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: dir.path), ["slow.safetensors"],
                "no output and no temp file")
        }
    }
}

final class ReportWriteTests: XCTestCase {
    func testTwoRunsAtOnce_keepBothReports() throws {
        let out = try TestPaths.scratch()
        final class Box: @unchecked Sendable { var results: [CommandResult?] = [nil, nil] }
        let box = Box()
        let group = DispatchGroup()
        for i in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                box.results[i] = try? QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", out.path])
                group.leave()
            }
        }
        group.wait()
        let rs = box.results.compactMap { $0 }
        XCTAssertEqual(rs.count, 2)
        XCTAssertEqual(rs.map(\.status), [0, 0], rs.map(\.stderr).joined())
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        // Two reports, each with its Markdown and HTML pages of the same name.
        XCTAssertEqual(files.count, 6, "\(files)")
        XCTAssertTrue(files.allSatisfy { $0.hasPrefix("qbench-smoke-") }, "\(files)")
        XCTAssertEqual(
            Set(files.filter { $0.hasSuffix(".json") }.map { $0.dropLast(5) }),
            Set(files.filter { $0.hasSuffix(".md") }.map { $0.dropLast(3) }), "\(files)")
        XCTAssertEqual(
            Set(files.filter { $0.hasSuffix(".json") }.map { $0.dropLast(5) }),
            Set(files.filter { $0.hasSuffix(".html") }.map { $0.dropLast(5) }), "\(files)")
        let paths = rs.compactMap {
            $0.stderr.components(separatedBy: "report written to ").last?.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        XCTAssertEqual(Set(paths).count, 2, "each run names its own report: \(paths)")
    }

    func testProfileNeedingMoreMemoryThanTheMachine_isRefusedBeforeMeasuring() throws {
        let smoke = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("profiles/smoke.yaml"), encoding: .utf8)
        let url = try TestPaths.scratch().appendingPathComponent("huge.yaml")
        try smoke.replacingOccurrences(of: "vocab_size: 1024", with: "vocab_size: 16777216")
            .replacingOccurrences(of: "hidden_size: 256", with: "hidden_size: 16384")
            .write(to: url, atomically: true, encoding: .utf8)
        let r = try QBenchBinary.run([
            "run", "--quick", "--profile", url.path, "--out", try TestPaths.scratch("hugeOut").path,
        ])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("qbench: \(url.path): the shapes need "), r.stderr)
        XCTAssertTrue(r.stderr.contains("GiB at once"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    func testReportThatCannotBeWritten_stillPrintsTheSummaryAndSaysNothingWasWritten() throws {
        let dir = try TestPaths.scratch()
        let mount = try TmpfsMount(over: dir, size: "16k")
        defer { mount.unmount() }
        let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", dir.path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("QuantBench run: smoke"), "the summary is printed: \(r.stdout)")
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("qbench: \(dir.path): no report written: "), r.stderr)
        XCTAssertTrue(last.hasSuffix("No space left on device"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "no partial or temp file")
    }
}

final class RunSignalTests: XCTestCase {
    /// SIGTERM in the middle of the benchmarks: exit 143, and the report holds what was measured, marked interrupted.
    func testRun_SIGTERMDuringTheBenchmarksKeepsAReportMarkedInterrupted() throws {
        let bin = try QBenchBinary.require()
        let out = try TestPaths.scratch()
        let p = Process()
        p.executableURL = bin
        p.arguments = ["run", "--quick", "--profile", "smoke", "--out", out.path, "--progress", "plain"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait for the benchmark phase to start (plain progress lines), then let it measure a little.
        var text = ""
        while !text.contains("qbench: benchmark:") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(text.contains("qbench: benchmark:"), text)
        Thread.sleep(forTimeInterval: 1.0)
        kill(p.processIdentifier, SIGTERM)
        text += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit, text)
        XCTAssertEqual(p.terminationStatus, 143, text)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".json") }
        XCTAssertEqual(files.count, 1, "\(files) \(text)")
        let report = try Report.load(out.appendingPathComponent(try XCTUnwrap(files.first)))
        XCTAssertTrue(report.run.interrupted)
        XCTAssertFalse(report.validity.valid)
        XCTAssertFalse(report.results.isEmpty, "what was measured before the signal is kept")
        XCTAssertTrue(text.contains("the report holds what was measured"), text)
        XCTAssertFalse(text.contains("no report written"), "only the true line: \(text)")
    }
}

final class NothingToAnalyseTests: XCTestCase {
    func testAccuracy_withNoWeightMatrixIsOneLineAndExit1() throws {
        var w = SafetensorsWriter(metadata: ["format": "pt"])
        let ones = [Float](repeating: 1, count: 64)
        try w.addTensor(
            name: "norm", dtype: .f32, shape: [64], bytes: ones.withUnsafeBufferPointer { Data(buffer: $0) })
        let url = try TestPaths.scratch().appendingPathComponent("norm-only.safetensors")
        try w.write(to: url)
        let r = try QBenchBinary.run(["accuracy", "--model", url.path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(
            r.stderr,
            "qbench: \(url.path): nothing to analyse: none of the 1 tensors is a weight matrix (2-D, both sides > 1)\n")
        XCTAssertEqual(r.stdout, "", "no table of nan")
    }
}
