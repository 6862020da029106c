import XCTest
@testable import QBenchCLI

/// Help text is part of the interface: pinned here so changes are deliberate.
final class HelpTests: XCTestCase {
    func testRootHelp_listsCommandsAndExamples() {
        let help = QBench.helpMessage()
        XCTAssertTrue(help.contains("probe"), help)
        XCTAssertTrue(help.contains("Examples:"), help)
    }

    func testProbeHelp_documentsEveryFlagWithExamples() {
        let help = QBench.helpMessage(for: QBench.Probe.self)
        for flag in ["--json", "--topology-xml <file>", "--cpuid-dump <file|dir>", "--xcr0 <hex>", "Examples:"] {
            XCTAssertTrue(help.contains(flag), "missing \(flag) in:\n\(help)")
        }
    }
}
