import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest
@testable import QBenchCLI

/// `qbench matrix` end to end on real reports made by the built binary: a normal run, a `--max-isa scalar` run of
/// the same machine, and a synthetic third device (a copy of the first with its id and model rewritten).
final class MatrixCommandTests: XCTestCase {
    /// The name the synthetic device's model is rewritten to: clearly not a real CPU, with a comma and quotes for
    /// the CSV quoting.
    static let syntheticModel = "SYNTHETIC test device, \"not measured here\""
    static let syntheticID = "5e5e5e5e00000000"

    /// Two real quick reports (~2 s each) in `dir/full` and `dir/scalar` (not made when `scalar` is false), and the
    /// synthetic copy in `dir/synthetic`.
    private func makeReports(
        _ dir: URL, scalar makeScalar: Bool = true
    ) throws -> (full: URL, scalar: URL?, synthetic: URL) {
        func run(_ name: String, _ extra: [String]) throws -> URL {
            let out = dir.appendingPathComponent(name)
            let r = try QBenchBinary.run(
                ["run", "--quick", "--profile", "smoke", "--progress", "none", "--out", out.path] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".json") }
            XCTAssertEqual(files.count, 1, "\(files)")
            return out.appendingPathComponent(try XCTUnwrap(files.first))
        }
        let full = try run("full", [])
        let scalar = makeScalar ? try run("scalar", ["--max-isa", "scalar"]) : nil
        // The synthetic device: the full report with another id and CPU model, nothing else changed.
        var json = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: full)) as? [String: Any])
        var device = try XCTUnwrap(json["device"] as? [String: Any])
        var cpu = try XCTUnwrap(device["cpu"] as? [String: Any])
        device["id"] = Self.syntheticID
        cpu["model"] = Self.syntheticModel
        device["cpu"] = cpu
        json["device"] = device
        let synthetic = dir.appendingPathComponent("synthetic/synthetic-device.json")
        try FileManager.default.createDirectory(
            at: synthetic.deletingLastPathComponent(), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json).write(to: synthetic)
        return (full, scalar, synthetic)
    }

    private func matrixJSON(_ args: [String]) throws -> [String: Any] {
        let r = try QBenchBinary.run(["matrix", "--format", "json"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// Exit 64 for a bad option value, 1 for a bad file: one stderr line naming it, nothing on stdout.
    private func assertOneLineError(
        _ r: CommandResult, status: Int32 = 1, _ fragments: String..., file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(r.status, status, "stdout: \(r.stdout) stderr: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("qbench: "), r.stderr, file: file, line: line)
        for f in fragments { XCTAssertTrue(r.stderr.contains(f), "'\(r.stderr)' lacks '\(f)'", file: file, line: line) }
        XCTAssertEqual(r.stdout, "", file: file, line: line)
    }

    // MARK: three devices

    func testMatrix_threeColumns_andTheScalarLimitedOneRunsOnlyScalar() throws {
        let dir = try TestPaths.scratch()
        let reports = try makeReports(dir)
        let scalarReport = try XCTUnwrap(reports.scalar)
        let m = try matrixJSON([dir.appendingPathComponent("full").path, scalarReport.path, reports.synthetic.path])
        let devices = try XCTUnwrap(m["devices"] as? [[String: Any]])
        XCTAssertEqual(devices.count, 3, "\(devices)")
        XCTAssertEqual(devices.map { $0["cpu_model"] as? String }.last, Self.syntheticModel)
        XCTAssertEqual(devices.map { $0["limit"] as? String }, [nil, "--max-isa scalar", nil])
        XCTAssertEqual(devices[1]["isa"] as? String, "scalar")
        let fullISA = try XCTUnwrap(devices[0]["isa"] as? String)
        XCTAssertEqual(devices[2]["isa"] as? String, fullISA, "the synthetic copy has the same kernels")

        let rows = try XCTUnwrap(m["rows"] as? [[String: Any]])
        XCTAssertFalse(rows.isEmpty)
        var measured = 0, differing = 0
        for row in rows {
            let cells = try XCTUnwrap(row["cells"] as? [[String: Any]])
            XCTAssertEqual(cells.count, 3)
            // The scalar-limited column: scalar or nothing, never a SIMD variant.
            if let v = cells[1]["variant"] as? String { XCTAssertEqual(v, "scalar", "\(row)") }
            if cells[1]["status"] as? String == "measured" {
                measured += 1
                XCTAssertEqual(cells[1]["only_scalar"] as? Bool, true)
                let reason = cells[1]["reason"] as? String ?? ""
                XCTAssertTrue(reason.hasSuffix(": excluded by --max-isa scalar"), "\(row)")
                XCTAssertNotNil(cells[1]["throughput"] as? Double)
            }
            if cells[0]["variant"] as? String != cells[1]["variant"] as? String { differing += 1 }
            XCTAssertEqual(cells[0]["variant"] as? String, cells[2]["variant"] as? String, "\(row)")
        }
        XCTAssertGreaterThan(measured, 0, "the smoke profile benchmarks gemv and gemm")
        if fullISA != "scalar" {
            XCTAssertGreaterThan(differing, 0, "this machine has SIMD variants: the limited column must differ")
        }

        let estimates = try XCTUnwrap(m["estimates"] as? [[String: Any]])
        XCTAssertFalse(estimates.isEmpty)
        for e in estimates {
            let cells = try XCTUnwrap(e["cells"] as? [[String: Any]])
            XCTAssertEqual(cells.count, 3)
            XCTAssertNotNil(cells[0]["decode_tokens_per_s"] as? Double, "\(e)")
        }

        // Markdown: three device columns in the kernel table, the synthetic model among the headers.
        let md = try QBenchBinary.run(["matrix", dir.path + "/full", scalarReport.path, reports.synthetic.path])
        XCTAssertEqual(md.status, 0, md.stderr)
        let header = try XCTUnwrap(md.stdout.split(separator: "\n").first { $0.hasPrefix("| op | format |") })
        XCTAssertEqual(header.components(separatedBy: " | ").count, 5, String(header))
        XCTAssertTrue(header.contains("SYNTHETIC test device"), String(header))
        XCTAssertTrue(header.contains("[--max-isa scalar]"), String(header))
        XCTAssertTrue(md.stdout.contains("scalar only: "), md.stdout)
        XCTAssertTrue(md.stdout.contains("## Token estimates"), md.stdout)

        // HTML: one page, nothing fetched, a heat-map row per (op, format) with one cell per device.
        let html = try QBenchBinary.run(
            ["matrix", "--format", "html", dir.path + "/full", scalarReport.path, reports.synthetic.path])
        XCTAssertEqual(html.status, 0, html.stderr)
        XCTAssertTrue(html.stdout.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(html.stdout.contains("<script") || html.stdout.contains("src=") || html.stdout.contains("href="))
        let table = try XCTUnwrap(html.stdout.components(separatedBy: "<table class=\"matrix\">").last)
            .components(separatedBy: "</table>")[0]
        let htmlRows = table.components(separatedBy: "<tr>").dropFirst(2)
        XCTAssertEqual(htmlRows.count, rows.count)
        for r in htmlRows { XCTAssertEqual(r.components(separatedBy: "<td class=\"cell").count - 1, 3, r) }
        XCTAssertTrue(html.stdout.contains("SYNTHETIC test device, &quot;not measured here&quot;"))
        if fullISA != "scalar" { XCTAssertTrue(html.stdout.contains("scalar only: ")) }

        // CSV: one row per (device, op, format) cell; the synthetic model is quoted.
        let csv = try QBenchBinary.run(
            ["matrix", "--format", "csv", dir.path + "/full", scalarReport.path, reports.synthetic.path])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 1 + 3 * rows.count)
        XCTAssertTrue(csv.stdout.contains("\"SYNTHETIC test device, \"\"not measured here\"\"\""), lines[1])

        // --price: tokens per USD for the priced device only; --out writes the same bytes as stdout.
        let prices = dir.appendingPathComponent("prices.yaml")
        try "\(Self.syntheticID): 0.5\n".write(to: prices, atomically: true, encoding: .utf8)
        let priced = try matrixJSON(["--price", prices.path, reports.full.path, reports.synthetic.path])
        let cells = try XCTUnwrap((priced["estimates"] as? [[String: Any]])?.first?["cells"] as? [[String: Any]])
        XCTAssertNil(cells[0]["tokens_per_dollar"])
        let decode = try XCTUnwrap(cells[1]["decode_tokens_per_s"] as? Double)
        XCTAssertEqual(try XCTUnwrap(cells[1]["tokens_per_dollar"] as? Double), decode * 3600 / 0.5, accuracy: 1e-6)

        let outFile = dir.appendingPathComponent("matrix.md")
        let written = try QBenchBinary.run(["matrix", reports.full.path, "--out", outFile.path])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertEqual(written.stdout, "")
        let again = try QBenchBinary.run(["matrix", reports.full.path])
        XCTAssertEqual(try String(contentsOf: outFile, encoding: .utf8), again.stdout)
    }

    func testMatrix_twoReportsOfOneDevice_usesTheNewestAndSaysSo() throws {
        let dir = try TestPaths.scratch()
        let reports = try makeReports(dir, scalar: false)
        // An older copy of the full report (its start moved back a year), listed after the real one.
        var json = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: reports.full)) as? [String: Any])
        var run = try XCTUnwrap(json["run"] as? [String: Any])
        run["started_at"] = "2025-01-01T00:00:00Z"
        json["run"] = run
        let older = dir.appendingPathComponent("older.json")
        try JSONSerialization.data(withJSONObject: json).write(to: older)
        let m = try matrixJSON([reports.full.path, older.path])
        let devices = try XCTUnwrap(m["devices"] as? [[String: Any]])
        XCTAssertEqual(devices.count, 1)
        XCTAssertEqual(devices[0]["report"] as? String, reports.full.path)
        let notes = try XCTUnwrap(m["notes"] as? [String])
        XCTAssertTrue(notes.contains { $0.contains("using the newest") && $0.contains(older.path) }, "\(notes)")
    }

    // MARK: errors

    func testMatrix_badInputs_areOneLineNamingTheFile_exit1() throws {
        let dir = try TestPaths.scratch()
        let empty = dir.appendingPathComponent("empty.json")
        try Data().write(to: empty)
        let truncated = dir.appendingPathComponent("truncated.json")
        try Data("{\"schema\": \"qbench.report/1\", \"run\": {".utf8).write(to: truncated)
        let noReports = dir.appendingPathComponent("no-reports")
        try FileManager.default.createDirectory(at: noReports, withIntermediateDirectories: true)
        try Data("notes\n".utf8).write(to: noReports.appendingPathComponent("README.txt"))

        assertOneLineError(try QBenchBinary.run(["matrix", empty.path]), empty.path, "empty")
        assertOneLineError(try QBenchBinary.run(["matrix", truncated.path]), truncated.path, "not valid JSON")
        assertOneLineError(
            try QBenchBinary.run(["matrix", noReports.path]), noReports.path, "a folder without *.json reports")
        // Reports are decoded concurrently; the error is still the first bad file's in command-line order.
        let good = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/reports/smoke-quick-zen3.json").path
        assertOneLineError(
            try QBenchBinary.run(["matrix", good, truncated.path, empty.path]), truncated.path, "not valid JSON")
        assertOneLineError(try QBenchBinary.run(["matrix", good, empty.path, truncated.path]), empty.path, "empty")
        assertOneLineError(
            try QBenchBinary.run(["compare", truncated.path, good, empty.path]), truncated.path, "not valid JSON")

        // A bad price file is refused before any report is read (the report here is not even a report).
        let report = dir.appendingPathComponent("missing-report.json").path
        for (name, yaml, fragment) in [
            ("word.yaml", "abcd: cheap\n", "expected a price per hour in USD"),
            ("list.yaml", "- 1\n", "expected a mapping"),
            ("broken.yaml", "a: [1\n", "YAML syntax error"),
            ("empty.yaml", "", "empty document"),
        ] {
            let f = dir.appendingPathComponent(name)
            try yaml.write(to: f, atomically: true, encoding: .utf8)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: report))
            assertOneLineError(try QBenchBinary.run(["matrix", report, "--price", f.path]), f.path, fragment)
        }
        assertOneLineError(
            try QBenchBinary.run(["matrix", report, "--price", dir.appendingPathComponent("nope.yaml").path]),
            "nope.yaml", "no such file")
    }

    func testMatrix_usageErrors_exit64() throws {
        let dir = try TestPaths.scratch()
        let report = dir.appendingPathComponent("r.json")
        try Data("{}".utf8).write(to: report)
        assertOneLineError(
            try QBenchBinary.run(["matrix", report.path, "--format", "pdf"]), status: 64, "--format", "'pdf'")
        assertOneLineError(try QBenchBinary.run(["matrix"]), status: 64, "at least one report")
        // --out must not overwrite an input, whatever it is called.
        assertOneLineError(
            try QBenchBinary.run(["matrix", dir.path, "--out", dir.path + "/./r.json"]), status: 64, "--out",
            "is the input")
        XCTAssertEqual(try String(contentsOf: report, encoding: .utf8), "{}")
    }

    func testMatrixHelp_documentsEveryOptionWithExamples() {
        let help = QBench.helpMessage(for: QBench.Matrix.self)
        for s in ["<report|dir>", "--format <md|html|json|csv>", "--price <file.yaml>", "--out <file>", "Examples:"] {
            XCTAssertTrue(help.contains(s), "missing \(s) in:\n\(help)")
        }
    }
}
