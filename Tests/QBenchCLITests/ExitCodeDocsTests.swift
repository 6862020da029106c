// The exit codes the code uses are the ones docs/errors.md and the README document (one table, tested).
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchCLI

final class ExitCodeDocsTests: XCTestCase {
    func testErrorsDoc_andReadme_listEveryExitCodeTheCodeDefines() throws {
        let doc = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/errors.md"), encoding: .utf8)
        let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let documented = Set(
            doc.split(separator: "\n").compactMap { line -> Int32? in
                guard line.hasPrefix("| ") else { return nil }
                return Int32(line.dropFirst(2).prefix { $0 != " " })
            })
        let defined: Set<Int32> = [
            ExitCodes.pass, ExitCodes.usageOrInternal, ExitCodes.performanceRegression,
            ExitCodes.correctnessRegression, ExitCodes.invalidRun,
            ExitCodes.baselineNotComparable, ExitCodes.usage, 128 + SIGINT, 128 + SIGTERM,
        ]
        XCTAssertEqual(documented, defined)
        // The README's "Exit codes:" paragraph: "0 success · 1 runtime error ... · 143 SIGTERM."
        let start = try XCTUnwrap(readme.range(of: "Exit codes:"))
        let paragraph = readme[start.upperBound...].components(separatedBy: "\n\n")[0]
        let inReadme = Set(
            paragraph.components(separatedBy: "·").compactMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix { $0.isNumber })
            })
        XCTAssertEqual(inReadme, defined)
    }
}
