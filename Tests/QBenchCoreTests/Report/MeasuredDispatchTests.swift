// The measured dispatch plan (`qbench tune`) derived from a report: the least total median over the shapes every
// candidate was timed on, never a variant the report did not verify.
import Foundation
import QBenchTestSupport
import XCTest

@testable import QBenchKernels
@testable import QBenchReport

final class MeasuredDispatchTests: XCTestCase {
    static let fixture = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/reports/smoke-quick-zen3.json")

    func testDerive_picksTheLeastTotal_andNeverAnUnverifiedVariant() throws {
        var report = try ReportLoader.load(Self.fixture.path).report
        let d = MeasuredDispatch.derive(from: report, source: "fixture", createdAt: "now")
        XCTAssertEqual(d.deviceId, report.device.id)
        let gemv = try XCTUnwrap(d.entries.first { $0.op == .gemv && $0.weightFormat == "q8_0" })
        XCTAssertEqual(gemv.totalsNs[gemv.variant], gemv.totalsNs.values.min())
        XCTAssertEqual(Set(gemv.totalsNs.keys), ["scalar", "avx2"])
        // the totals are over the shapes both were timed on (the quick run timed scalar on one of avx2's five)
        let rows = report.results.filter { $0.op == .gemv && $0.weightFormat == "q8_0" }
        let both = Set(rows.filter { $0.variant == "scalar" }.map { "\($0.shape)" })
            .intersection(rows.filter { $0.variant == "avx2" }.map { "\($0.shape)" })
        XCTAssertFalse(both.isEmpty)
        XCTAssertEqual(Set(gemv.shapes), both)

        // Make scalar the fastest q8_0 gemv: it is chosen, and the speedup over the planned avx2 is the ratio.
        for i in report.results.indices
        where report.results[i].op == .gemv && report.results[i].weightFormat == "q8_0"
            && report.results[i].variant == "scalar"
        {
            report.results[i].medianNs = 1
        }
        let fast = MeasuredDispatch.derive(from: report, source: "fixture", createdAt: "now")
        let e = try XCTUnwrap(fast.entries.first { $0.op == .gemv && $0.weightFormat == "q8_0" })
        XCTAssertEqual(e.variant, "scalar")
        XCTAssertEqual(
            fast.variant(op: .gemv, weightFormat: "q8_0", activationFormat: e.activationFormat, threads: 8), "scalar")
        // ... unless the report did not verify it.
        for i in report.kernels.indices
        where report.kernels[i].op == .gemv && report.kernels[i].weightFormat == "q8_0"
            && report.kernels[i].variant == "scalar"
        {
            report.kernels[i].status = .mismatch
        }
        let unverified = MeasuredDispatch.derive(from: report, source: "fixture", createdAt: "now")
        XCTAssertEqual(unverified.entries.first { $0.op == .gemv && $0.weightFormat == "q8_0" }?.variant, "avx2")
    }

    func testLoad_refusesAnotherSchemaWithOneLine() throws {
        let url = try TestPaths.scratch().appendingPathComponent("d.json")
        try Data(#"{"schema": "qbench.report/1"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try MeasuredDispatch.load(url.path)) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
    }
}
