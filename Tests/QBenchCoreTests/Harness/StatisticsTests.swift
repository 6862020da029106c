import XCTest
@testable import QBenchHarness

final class StatisticsTests: XCTestCase {
    // 10 samples with one wild value; every figure below is worked out by hand in the comments.
    let samples: [UInt64] = [10, 12, 11, 13, 100, 12, 11, 10, 12, 11]

    func testSummary_matchesHandComputedFigures() throws {
        let s = try XCTUnwrap(Statistics.summarize(samples))
        XCTAssertEqual(s.count, 10)
        // sorted: 10 10 11 11 11 12 12 12 13 100 -> median (11 + 12) / 2
        XCTAssertEqual(s.medianNs, 11.5)
        // |x - 11.5|: six 0.5s, three 1.5s, one 88.5 -> median 0.5
        XCTAssertEqual(s.madNs, 0.5)
        // p10 at position 0.9: 10 + 0.9 * (10 - 10); p90 at 8.1: 13 + 0.1 * (100 - 13)
        XCTAssertEqual(s.p10Ns, 10, accuracy: 1e-12)
        XCTAssertEqual(s.p90Ns, 21.7, accuracy: 1e-9)
        XCTAssertEqual(s.minNs, 10)
        XCTAssertEqual(s.maxNs, 100)
        XCTAssertEqual(s.meanNs, 20.2, accuracy: 1e-12)
        XCTAssertEqual(s.noise, 0.5 / 11.5, accuracy: 1e-12)
    }

    func testOutliers_flagsOnlyTheWildSampleByModifiedZScore() {
        // z = 0.6745 * (x - 11.5) / 0.5: 100 -> 119.4 (outlier); 13 -> 2.02 and 10 -> -2.02 (not)
        let z = Statistics.modifiedZScores(samples.map { Double($0) })
        XCTAssertEqual(z[4], 0.6745 * 88.5 / 0.5, accuracy: 1e-9)
        XCTAssertEqual(z[3], 0.6745 * 1.5 / 0.5, accuracy: 1e-9)
        XCTAssertEqual(Statistics.outlierIndices(samples.map { Double($0) }), [4])
    }

    func testMedianAndMAD_oddCount() {
        XCTAssertEqual(Statistics.median(sorted: [1, 3, 5]), 3)
        XCTAssertEqual(Statistics.mad([5, 1, 3], median: 3), 2)
    }

    func testOutliers_whenMADIsZero_fallBackToMeanAbsoluteDeviation() {
        // median 10, MAD 0; mean |x - 10| = 40 / 7; z(50) = 40 / (1.253314 * 40 / 7) = 5.585
        let v: [Double] = [10, 10, 10, 10, 10, 10, 50]
        XCTAssertEqual(Statistics.modifiedZScores(v)[6], 7 / 1.253314, accuracy: 1e-9)
        XCTAssertEqual(Statistics.outlierIndices(v), [6])
        XCTAssertEqual(Statistics.outlierIndices([7, 7, 7, 7]), [])
    }

    func testPercentile_interpolatesAndClamps() {
        let s: [Double] = [1, 2, 3, 4]
        XCTAssertEqual(Statistics.percentile(sorted: s, 0.5), 2.5)
        XCTAssertEqual(Statistics.percentile(sorted: s, 0), 1)
        XCTAssertEqual(Statistics.percentile(sorted: s, 1), 4)
        XCTAssertEqual(Statistics.percentile(sorted: s, 1.5), 4)
        XCTAssertEqual(Statistics.percentile(sorted: [42], 0.9), 42)
    }

    func testSummarize_emptyIsNil() {
        XCTAssertNil(Statistics.summarize([UInt64]()))
    }
}
