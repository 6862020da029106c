// `qbench report` on a real report made by `qbench run --quick --profile smoke`: every format carries the
// report's figures, outside parsers (python's csv, prometheus_client's OpenMetrics parser) accept the output,
// and bad inputs end in one line.
import Foundation
import QBenchReport
import QBenchSupport
import QBenchTestSupport
import XCTest

final class ReportCommandTests: XCTestCase {
    /// One real smoke report per test process (about 2 s to make).
    nonisolated(unsafe) static var made: (path: String, report: Report)?

    static func smokeReport() throws -> (path: String, report: Report) {
        if let made = Self.made { return made }
        let dir = try TestPaths.scratch("reportcommand-smoke")
        let r = try QBenchBinary.run(["run", "--quick", "--profile", "smoke", "--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let file = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".json") })
        let path = dir.appendingPathComponent(file).path
        let made = (path, try Report.load(URL(fileURLWithPath: path)))
        Self.made = made
        return made
    }

    func testMarkdown_hasEverySectionAndEveryResult() throws {
        let (path, report) = try Self.smokeReport()
        let r = try QBenchBinary.run(["report", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        for section in [
            "## Device", "## Compatibility", "## Roofline", "## Results", "## Estimates", "## Energy",
            "## Accuracy", "## Validity",
        ] {
            XCTAssertTrue(r.stdout.contains(section), "missing \(section)")
        }
        XCTAssertTrue(r.stdout.contains(report.device.id))
        XCTAssertTrue(r.stdout.contains(report.validity.valid ? "Validity: VALID" : "Validity: INVALID"))
        for result in report.results { XCTAssertTrue(r.stdout.contains("| \(result.key) |"), result.key) }
        // The compatibility table: one line per (op, weights, activations) and every scalar gemv verified with a
        // throughput taken from the results.
        let table = CompatibilityTable.make(report)
        let scalarMeasured = table.rows.compactMap { $0.cells["scalar"]?.best }
        XCTAssertFalse(scalarMeasured.isEmpty, "the smoke profile measures scalar comparisons")
        for best in scalarMeasured {
            XCTAssertTrue(r.stdout.contains("verified, \(CompatibilityTable.headlineText(best)) t\(best.threads)"))
        }
        let unsupported = report.kernels.filter { $0.status == .unsupported && $0.op != .quantizeRow }
        for k in unsupported.prefix(5) {
            XCTAssertTrue(r.stdout.contains("unsupported: needs " + (k.missingFeatures ?? []).joined(separator: " ")))
        }
    }

    func testCSV_oneRecordPerResult_readByPythonsCSV() throws {
        let (path, report) = try Self.smokeReport()
        let r = try QBenchBinary.run(["report", path, "--format", "csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try TestPaths.scratch("reportcsv").appendingPathComponent("r.csv")
        try Data(r.stdout.utf8).write(to: out)
        let py = try runProcess(
            "python3",
            [
                "-c",
                "import csv,json,sys; rows=list(csv.DictReader(open(sys.argv[1], newline=''))); "
                    + "print(json.dumps([[r['key'], r['median_ns'], r['gb_per_s'], r['valid']] for r in rows]))",
                out.path,
            ])
        XCTAssertEqual(py.status, 0, py.stderr)
        let rows = try JSONDecoder().decode([[String]].self, from: Data(py.stdout.utf8))
        XCTAssertEqual(rows.count, report.results.count)
        for (row, result) in zip(rows, report.results) {
            XCTAssertEqual(row[0], result.key)
            XCTAssertEqual(try XCTUnwrap(Double(row[1])), result.medianNs, accuracy: 1e-9 * result.medianNs)
            XCTAssertEqual(try XCTUnwrap(Double(row[2])), result.throughput.gbPerS, accuracy: 1e-12)
            XCTAssertEqual(row[3], result.validity.valid ? "true" : "false")
        }
    }

    func testCSV_quotesCommasQuotesAndNewlines() {
        XCTAssertEqual(
            CSV.record(["a", "b,c", "say \"hi\"", "two\nlines"]), "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n")
    }

    func testOpenMetrics_parsedByPrometheusClient() throws {
        let (path, report) = try Self.smokeReport()
        let r = try QBenchBinary.run(["report", path, "--format", "openmetrics"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix("# EOF\n"))
        let out = try TestPaths.scratch("reportopenmetrics").appendingPathComponent("r.prom")
        try Data(r.stdout.utf8).write(to: out)
        let py = try runProcess(
            "python3",
            [
                "-c",
                """
                import json, sys
                try:
                    from prometheus_client.openmetrics.parser import text_string_to_metric_families
                except ImportError:
                    sys.exit(77)
                fams = text_string_to_metric_families(open(sys.argv[1]).read())
                print(json.dumps({f.name: [[s.labels.get('key', ''), s.value] for s in f.samples] for f in fams}))
                """,
                out.path,
            ])
        try Oracle.require("prometheus-client", py.status != 77, "python3 has no prometheus_client module")
        XCTAssertEqual(py.status, 0, "the OpenMetrics parser refused the output: \(py.stderr.suffix(400))")
        struct Sample: Decodable {
            var key: String
            var value: Double
            init(from d: Decoder) throws {
                var c = try d.unkeyedContainer()
                key = try c.decode(String.self)
                value = try c.decode(Double.self)
            }
        }
        let families = try JSONDecoder().decode([String: [Sample]].self, from: Data(py.stdout.utf8))
        // prometheus_client names a gauge family without its unit suffix rules applied: look up by prefix.
        let gb = try XCTUnwrap(families.first { $0.key.hasPrefix("qbench_throughput_gb_per_s") }?.value)
        XCTAssertEqual(gb.count, report.results.count)
        for (s, result) in zip(gb, report.results) {
            XCTAssertEqual(s.key, result.key)
            XCTAssertEqual(s.value, result.throughput.gbPerS, accuracy: 1e-12)
        }
        let seconds = try XCTUnwrap(families.first { $0.key.hasPrefix("qbench_median_seconds") }?.value)
        XCTAssertEqual(seconds.first?.value ?? 0, report.results[0].medianNs / 1e9, accuracy: 1e-15)
    }

    func testGAB_customBiggerIsBetterEntries() throws {
        let (path, report) = try Self.smokeReport()
        let r = try QBenchBinary.run(["report", path, "--format", "gab"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let entries = try JSONDecoder().decode([GABEntry].self, from: Data(r.stdout.utf8))
        let expectedEstimates = report.estimates.reduce(0) {
            $0 + ($1.decodeTokensPerS == nil ? 0 : 1) + ($1.prefillTokensPerS == nil ? 0 : 1)
        }
        XCTAssertEqual(entries.count, report.results.count + expectedEstimates)
        for (e, result) in zip(entries, report.results) {
            XCTAssertEqual(e.name, result.key)
            XCTAssertEqual(e.unit, result.op == .gemm ? "GOP/s" : "GB/s")
            XCTAssertEqual(
                e.value, result.op == .gemm ? result.throughput.gopPerS : result.throughput.gbPerS, accuracy: 1e-12)
        }
        XCTAssertTrue(entries.contains { $0.unit == "tokens/s" && $0.name.hasSuffix("/decode") })
    }

    func testJSON_roundTripsTheReport_andOutRefusesToReplace() throws {
        let (path, report) = try Self.smokeReport()
        let dir = try TestPaths.scratch("reportjson")
        let out = dir.appendingPathComponent("copy.json")
        let r = try QBenchBinary.run(["report", path, "--format", "json", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(try Report.load(out), report)
        // A second write to the same file needs --force, and leaves the file as it was.
        let before = try Data(contentsOf: out)
        let again = try QBenchBinary.run(["report", path, "--format", "md", "--out", out.path])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "qbench: \(out.path): already exists; pass --force to replace it\n")
        XCTAssertEqual(try Data(contentsOf: out), before)
        let forced = try QBenchBinary.run(["report", path, "--format", "md", "--out", out.path, "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(try String(contentsOf: out, encoding: .utf8).hasPrefix("# qbench report"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["copy.json"], "no temp file")
    }

    func testBadInputs_oneLineExit1_badFlagsExit64() throws {
        let (path, _) = try Self.smokeReport()
        let dir = try TestPaths.scratch("reportbad")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let cases: [(name: String, content: String, message: String)] = [
            ("empty.json", "", "is empty (expected a qbench report)"),
            ("truncated.json", String(text.prefix(text.count / 2)), "not valid JSON"),
            ("notjson.json", "hello", "not valid JSON"),
            ("array.json", "[1, 2]", "not a JSON object"),
            ("other.json", "{\"schema\": \"qbench.report/2\"}", "report schema \"qbench.report/2\" is not supported"),
            ("probe.json", "{\"schema\": \"qbench.report/1\", \"run\": {}}", "missing key"),
        ]
        for c in cases {
            let f = dir.appendingPathComponent(c.name)
            try Data(c.content.utf8).write(to: f)
            let r = try QBenchBinary.run(["report", f.path])
            XCTAssertEqual(r.status, 1, c.name)
            XCTAssertEqual(r.stdout, "", c.name)
            XCTAssertTrue(r.stderr.hasPrefix("qbench: \(f.path): "), "\(c.name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(c.message), "\(c.name): \(r.stderr)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "\(c.name): one line: \(r.stderr)")
        }
        let folder = try QBenchBinary.run(["report", dir.path])
        XCTAssertEqual(folder.status, 1)
        XCTAssertEqual(folder.stderr, "qbench: \(dir.path): is a folder, not a file\n")
        let format = try QBenchBinary.run(["report", path, "--format", "pdf"])
        XCTAssertEqual(format.status, 64, format.stderr)
        let own = try QBenchBinary.run(["report", path, "--format", "json", "--out", path, "--force"])
        XCTAssertEqual(own.status, 64)
        XCTAssertTrue(own.stderr.contains("--out: \(path) is an input; write to another file"), own.stderr)
    }
}

/// The HTML page: self-contained, balanced, and holding the matrix and a roofline point per result.
final class ReportHTMLTests: XCTestCase {
    func testHTML_selfContainedBalancedWithMatrixAndRoofline() throws {
        let (path, report) = try ReportCommandTests.smokeReport()
        let r = try QBenchBinary.run(["report", path, "--format", "html"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = r.stdout
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        // Nothing from the network: no script, no external reference (the SVG namespace URI is a name, not a fetch).
        XCTAssertFalse(html.lowercased().contains("<script"))
        for attr in ["src=", "href=", "@import", "url("] { XCTAssertFalse(html.contains(attr), attr) }
        XCTAssertTrue(html.contains("<table class=\"matrix\">"))
        XCTAssertTrue(html.contains("<svg class=\"roofline\""))
        // Every result with a roofline position is a point whose tooltip starts with its key.
        for x in report.results where x.opsPerCall > 0 && x.bytesPerCall > 0 {
            XCTAssertTrue(html.contains("<title>\(x.key): "), x.key)
        }
        for bw in report.roofline.bandwidth where bw.threads == report.roofline.bandwidth.map(\.threads).max() {
            XCTAssertTrue(html.contains("\(bw.level) read "), bw.level)
        }
        // Balanced tags, checked by python's html.parser (void elements excepted).
        let file = try TestPaths.scratch("reporthtml").appendingPathComponent("r.html")
        try Data(html.utf8).write(to: file)
        let py = try runProcess(
            "python3",
            [
                "-c",
                """
                import sys
                from html.parser import HTMLParser
                VOID = {'meta', 'br', 'hr', 'img', 'input', 'link'}
                class P(HTMLParser):
                    def __init__(self):
                        super().__init__(); self.stack = []; self.errors = []
                    def handle_starttag(self, tag, attrs):
                        if tag not in VOID: self.stack.append(tag)
                    def handle_startendtag(self, tag, attrs): pass
                    def handle_endtag(self, tag):
                        if not self.stack or self.stack[-1] != tag:
                            self.errors.append(f'</{tag}> at {self.getpos()} closes {self.stack[-1:]}')
                        else:
                            self.stack.pop()
                p = P(); p.feed(open(sys.argv[1]).read()); p.close()
                print('\\n'.join(p.errors[:5] + ([f'unclosed: {p.stack}'] if p.stack else [])))
                sys.exit(1 if p.errors or p.stack else 0)
                """,
                file.path,
            ])
        XCTAssertEqual(py.status, 0, py.stdout + py.stderr)
    }
}
