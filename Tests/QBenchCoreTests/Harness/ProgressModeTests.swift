// `--progress auto|plain|none`: which style each mode gives, and the plain lines a CI log gets, on a scripted clock.
import XCTest
@testable import QBenchHarness

final class ProgressModeTests: XCTestCase {
    func testModes_autoFollowsTheTerminal() {
        let plain = ProgressReporter.Style.plain(intervalNs: ProgressReporter.plainIntervalNs)
        XCTAssertEqual(ProgressReporter.style(for: .auto, stderrIsTerminal: true), .terminal)
        XCTAssertEqual(ProgressReporter.style(for: .auto, stderrIsTerminal: false), plain)
        XCTAssertEqual(ProgressReporter.style(for: .plain, stderrIsTerminal: true), plain)
        XCTAssertEqual(ProgressReporter.style(for: .none, stderrIsTerminal: true), .silent)
        XCTAssertEqual(ProgressMode.allCases.map(\.rawValue), ["auto", "plain", "none"])
    }

    func testPlain_phaseStartAndEndAndALineEveryIntervalDuringAPhase() {
        var out: [String] = []
        let clock = ManualClock()
        let p = ProgressReporter(style: .plain(intervalNs: 10_000_000_000), clock: clock) { out.append($0) }
        p.note("qbench run: profile smoke")
        p.begin(phase: "verify", total: 139)
        // 3 s per item: lines when an item starts 10 s or more after the last line.
        for i in 0..<139 {
            p.step("variant \(i)")
            clock.advance(3_000_000_000)
        }
        p.finish()
        p.finish()  // a second finish (a deferred one, say) writes nothing
        XCTAssertEqual(out.first, "qbench run: profile smoke\n")
        XCTAssertEqual(out[1], "qbench: verify: 139 items\n")
        // Item 4 starts at 12 s: 4 done, 12 s elapsed, 3 s each for the 135 left.
        XCTAssertEqual(out[2], "qbench: verify 4/139 (12s, ETA 6m45s): variant 4\n")
        XCTAssertEqual(out[3], "qbench: verify 8/139 (24s, ETA 6m33s): variant 8\n")
        XCTAssertEqual(out.last, "qbench: verify done: 139/139 in 6m57s\n")
        // 417 s of phase, a line at most every 10 s: 34 lines in between, each at least 10 s after the previous.
        XCTAssertEqual(out.count, 2 + 34 + 1)
        XCTAssertTrue(out.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\u{1B}") })
    }

    func testPlain_shortPhasesWriteOnlyTheirStartAndEnd() {
        var out: [String] = []
        let clock = ManualClock()
        let p = ProgressReporter(style: .plain(intervalNs: 10_000_000_000), clock: clock) { out.append($0) }
        p.begin(phase: "roofline", total: 7)
        for i in 0..<7 { p.step("read l\(i)"); clock.advance(1_000_000_000) }
        p.finish()
        p.begin(phase: "accuracy", total: 0)
        p.finish()
        XCTAssertEqual(
            out,
            [
                "qbench: roofline: 7 items\n", "qbench: roofline done: 7/7 in 7s\n",
                "qbench: accuracy: 0 items\n", "qbench: accuracy done: 0/0 in 0s\n",
            ])
    }

    func testSilent_writesNothingNotEvenNotes() {
        var out: [String] = []
        let p = ProgressReporter(style: .silent, clock: ManualClock()) { out.append($0) }
        p.note("qbench run: profile smoke")
        p.begin(phase: "bench", total: 3); p.step("a"); p.finish()
        XCTAssertTrue(out.isEmpty, "\(out)")
        XCTAssertFalse(p.isEnabled)
    }

    func testTerminal_aNoteClearsTheRedrawnLineFirst() {
        var out: [String] = []
        let p = ProgressReporter(style: .terminal, clock: ManualClock()) { out.append($0) }
        p.begin(phase: "bench", total: 2)
        p.note("qbench run: warning: x")
        p.step("a")
        p.finish()
        XCTAssertEqual(
            out,
            [
                "\r\u{1B}[2K[bench] 1/2", "\r\u{1B}[2Kqbench run: warning: x\n",
                "\r\u{1B}[2K[bench] 1/2 a", "\r\u{1B}[2K",
            ])
    }

    func testPlainLine_isPure() {
        XCTAssertEqual(
            ProgressReporter.plainLine(
                phase: "benchmark", completed: 0, total: 33, item: "gemv f32",
                elapsedNs: 10_400_000_000),
            "qbench: benchmark 0/33 (10s): gemv f32")
        XCTAssertEqual(
            ProgressReporter.plainLine(
                phase: "accuracy", completed: 5, total: 5, item: "",
                elapsedNs: 125_000_000_000),
            "qbench: accuracy 5/5 (2m05s)")
    }
}
