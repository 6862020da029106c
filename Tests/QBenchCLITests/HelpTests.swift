import XCTest
@testable import QBenchCLI

final class HelpTests: XCTestCase {
    func testRootHelp_listsProbeAndExamples() {
        let help = QBench.helpMessage()
        XCTAssertTrue(help.contains("probe"), help)
        XCTAssertTrue(help.contains("Examples:"), help)
    }
}
