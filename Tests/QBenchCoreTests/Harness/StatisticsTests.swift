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

    func testMedianCI_tenSamplesUsesRanks2And9() throws {
        // n = 10: P(B < 2) = 11/1024 = 0.0107 <= 0.025 < P(B < 3) = 56/1024, so j = 2: [x(2), x(9)] = [10, 13],
        // coverage 1 - 22/1024. Half-width (13 - 10) / 2 / 11.5.
        let s = try XCTUnwrap(Statistics.summarize(samples))
        XCTAssertEqual(s.medianCILowNs, 10)
        XCTAssertEqual(s.medianCIHighNs, 13)
        XCTAssertEqual(s.medianCICoverage, 1 - 22.0 / 1024, accuracy: 1e-12)
        XCTAssertEqual(s.medianCIHalfWidth, 1.5 / 11.5, accuracy: 1e-12)
    }

    func testMedianCI_fiveSamplesIsMinToMaxWithItsRealCoverage() throws {
        // n = 5: even P(B < 1) = 1/32 > 0.025, so the interval is [min, max], coverage 1 - 2/32 = 0.9375.
        let s = try XCTUnwrap(Statistics.summarize([50, 100, 150, 100, 200] as [UInt64]))
        XCTAssertEqual(s.medianCILowNs, 50)
        XCTAssertEqual(s.medianCIHighNs, 200)
        XCTAssertEqual(s.medianCICoverage, 0.9375, accuracy: 1e-12)
        XCTAssertEqual(s.medianCIHalfWidth, 0.75, accuracy: 1e-12)
    }

    func testMedianCI_ranksAgainstHandComputedBinomialSums() throws {
        // Hand sums of C(n, k) / 2^n (checked with python's math.comb): the largest j with P(B < j) <= 0.025.
        // n = 6..8: P(B < 1) = 1/64, 1/128, 1/256 but P(B < 2) = 7/64, 8/128, 9/256 > 0.025 -> j = 1.
        // n = 9: P(B < 2) = 10/512 = 0.0195, P(B < 3) = 46/512 -> j = 2.
        // n = 20: P(B < 6) = 21700/2^20 = 0.0207, P(B < 7) = 60460/2^20 = 0.0577 -> j = 6.
        // n = 100: j = 40 (P(B < 40) = 0.0176), coverage 0.9647997997822952.
        let expected: [Int: (Int, Int, Double)] = [
            1: (1, 1, 0), 2: (1, 2, 0.5), 3: (1, 3, 0.75), 4: (1, 4, 0.875), 5: (1, 5, 0.9375),
            6: (1, 6, 1 - 2.0 / 64), 7: (1, 7, 1 - 2.0 / 128), 8: (1, 8, 1 - 2.0 / 256), 9: (2, 8, 1 - 20.0 / 512),
            20: (6, 15, 1 - 2 * 21700.0 / 1_048_576), 100: (40, 61, 0.9647997997822952),
            1000: (469, 532, 0.9537088026395019),
        ]
        for (n, e) in expected {
            let r = try XCTUnwrap(Statistics.medianCIRanks(count: n))
            XCTAssertEqual(r.lower, e.0, "n = \(n)")
            XCTAssertEqual(r.upper, e.1, "n = \(n)")
            XCTAssertEqual(r.coverage, e.2, accuracy: 1e-9, "n = \(n)")
        }
        XCTAssertNil(Statistics.medianCIRanks(count: 0))
        // 20 and 100 samples 1...n, shuffled: the interval is the order statistics themselves.
        let twenty = try XCTUnwrap(Statistics.summarize((1...20).reversed().map { UInt64($0) }))
        XCTAssertEqual([twenty.medianCILowNs, twenty.medianCIHighNs], [6, 15])
        let hundred = try XCTUnwrap(Statistics.summarize((1...100).map { UInt64(($0 * 37) % 100 + 1) }))
        XCTAssertEqual([hundred.medianCILowNs, hundred.medianCIHighNs], [40, 61])
        XCTAssertEqual(hundred.medianCIHalfWidth, 21.0 / 2 / 50.5, accuracy: 1e-12)
    }

    func testMedianCI_normalApproximationAboveTheExactLimit() throws {
        // At n = 1000 the normal approximation gives the exact rank; above it is used (exact 470 at n = 1001,
        // normal 469: one rank wider, the conservative side). Exact j for n = 5000 is 2431.
        XCTAssertEqual(Statistics.normalLowerRank(count: 1000), 469)
        XCTAssertEqual(Statistics.normalLowerRank(count: 1001), 469)
        let big = try XCTUnwrap(Statistics.medianCIRanks(count: 5000))
        XCTAssertEqual(big.lower, 2431)
        XCTAssertEqual(big.upper, 2570)
        XCTAssertEqual(big.coverage, 0.95)
    }

    func testMedianPrecision_isTheRelativeHalfWidth() {
        XCTAssertEqual(Statistics.medianPrecision([]), .infinity)
        XCTAssertEqual(Statistics.medianPrecision(samples), 1.5 / 11.5, accuracy: 1e-12)
        XCTAssertEqual(Statistics.medianPrecision(Array(repeating: 7, count: 12)), 0)
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
