// ErrorMetrics on hand-computed vectors and edge cases, the linear-time percentile, and the int8
// calibration methods on Gaussian data with and without outliers.
import Foundation
import XCTest
@testable import QBenchSupport
@testable import QBenchFormats

final class MetricsTests: XCTestCase {
    func testErrorMetrics_knownVector() throws {
        let m = try ErrorMetrics.compute(original: [1, 2, 3, 4], reconstructed: [1, 2, 3, 5])
        XCTAssertEqual(m.sqnrDb, 10 * log10(30.0), accuracy: 1e-12)  // sum x^2 = 30, sum e^2 = 1
        XCTAssertEqual(m.nmse, 1.0 / 30, accuracy: 1e-15)
        XCTAssertEqual(m.cosine, 34 / (30.0.squareRoot() * 39.0.squareRoot()), accuracy: 1e-15)
        XCTAssertEqual(m.maxAbsErr, 1)
        XCTAssertEqual(m.maxRelErr, 0.25)
        XCTAssertEqual(m.rmse, 0.5)
        XCTAssertEqual(m.p50AbsErr, 0)  // |e| = 0 0 0 1
        XCTAssertEqual(m.p95AbsErr, 0.85, accuracy: 1e-12)  // position 2.85
        XCTAssertEqual(m.count, 4)
    }

    func testErrorMetrics_identicalIsInfiniteSQNREncodedAsInf() throws {
        let x: [Float] = [0.5, -2, 3]
        let m = try ErrorMetrics.compute(original: x, reconstructed: x)
        XCTAssertEqual(m.sqnrDb, .infinity)
        XCTAssertEqual(m.nmse, 0)
        XCTAssertEqual(m.cosine, 1)
        XCTAssertEqual(m.maxAbsErr, 0)
        let json = String(decoding: try QBJSON.encode(m), as: UTF8.self)
        XCTAssertTrue(json.contains("\"sqnr_db\" : \"inf\""), json)
        XCTAssertTrue(json.contains("\"max_abs_err\""), json)
        XCTAssertTrue(json.contains("\"p95_abs_err\""), json)
        XCTAssertEqual(try QBJSON.decoder().decode(ErrorMetrics.self, from: QBJSON.encode(m)), m)
    }

    func testErrorMetrics_zeroVectors() throws {
        let both = try ErrorMetrics.compute(original: [0, 0], reconstructed: [0, 0])
        XCTAssertEqual(both.sqnrDb, .infinity)
        XCTAssertEqual(both.nmse, 0)
        XCTAssertEqual(both.cosine, 1)
        XCTAssertEqual(both.maxRelErr, 0)
        let zeroSignal = try ErrorMetrics.compute(original: [0, 0], reconstructed: [0, 1])
        XCTAssertEqual(zeroSignal.sqnrDb, -.infinity)
        XCTAssertEqual(zeroSignal.nmse, .infinity)
        XCTAssertEqual(zeroSignal.cosine, 0)
        XCTAssertEqual(zeroSignal.maxAbsErr, 1)
        XCTAssertEqual(zeroSignal.maxRelErr, 0, "zeros in the original are skipped for the relative error")
        let zeroRecon = try ErrorMetrics.compute(original: [1, 0, -1], reconstructed: [0, 0, 0])
        XCTAssertEqual(zeroRecon.sqnrDb, 0, accuracy: 1e-12)
        XCTAssertEqual(zeroRecon.cosine, 0)
        XCTAssertEqual(zeroRecon.maxRelErr, 1)
    }

    func testErrorMetrics_nonFiniteInputMakesEveryStatisticNaN() throws {
        let m = try ErrorMetrics.compute(original: [1, .nan, 3], reconstructed: [1, 2, .infinity])
        XCTAssertEqual(m.nonFinite, 2)
        XCTAssertTrue(m.sqnrDb.isNaN && m.cosine.isNaN && m.p50AbsErr.isNaN)
        XCTAssertThrowsError(try ErrorMetrics.compute(original: [1, 2], reconstructed: [1]))
        XCTAssertThrowsError(try ErrorMetrics.compute(original: [], reconstructed: []))
    }

    func testPercentile_matchesSortedLinearInterpolation() {
        var rng = SeededRandom(seed: 21)
        for n in [1, 2, 3, 10, 101, 1000, 4097] {
            // Few distinct values, so duplicates stress the partitioning.
            let v = (0..<n).map { _ in Float(rng.int(0...20)) / 4 }
            let sorted = v.sorted()
            for f in [0.0, 0.01, 0.5, 0.95, 0.999, 1.0] {
                var w = v
                let got = w.withUnsafeMutableBufferPointer { Percentile.select($0, fraction: f) }
                let pos = f * Double(n - 1), lo = Int(pos.rounded(.down)), hi = min(lo + 1, n - 1)
                let want = Double(sorted[lo]) + (pos - Double(lo)) * (Double(sorted[hi]) - Double(sorted[lo]))
                XCTAssertEqual(got, want, accuracy: 1e-9, "n=\(n) f=\(f)")
            }
        }
    }

    // MARK: calibration

    /// N(0,1) activations with a few large outliers: the case where min-max wastes the int8 range.
    private func gaussianWithOutliers(n: Int, outliers: [Float], seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var x = (0..<n).map { _ in Float(rng.normal()) }
        for (i, o) in outliers.enumerated() { x[(i * 7919 + 13) % n] = o }
        return x
    }

    /// SQNR weighs error by energy, so clipping pays when the clipped outliers carry less energy than
    /// the extra rounding noise a wide step puts on the bulk, about n * (M/127)^2 / 12. One 20-sigma
    /// outlier among 2^18 samples: min-max noise ~ 540 against ~ 260 for clipping at ~ 4 sigma (~ 3 dB).
    /// (Several outliers that large would carry more energy than that, and min-max would win.)
    func testCalibration_clippingMethodsBeatMinMaxWhenOutliersExist() throws {
        let x = gaussianWithOutliers(n: 1 << 18, outliers: [-20], seed: 31)
        let minMax = try Calibration.calibrate(x, method: .minMax)
        XCTAssertEqual(minMax.threshold, 20)
        XCTAssertEqual(minMax.scale, 20 / 127)
        var results: [CalibrationMethod: CalibrationResult] = [:]
        for method in [CalibrationMethod.percentile, .entropy, .mse] {
            let r = try Calibration.calibrate(x, method: method)
            results[method] = r
            XCTAssertLessThan(r.threshold, 12, "\(method.rawValue) should clip the outlier")
            XCTAssertGreaterThan(
                r.metrics.sqnrDb, minMax.metrics.sqnrDb + 1.5,
                "\(method.rawValue): \(r.metrics.sqnrDb) dB vs min-max \(minMax.metrics.sqnrDb) dB")
        }
        // The MSE search minimizes exactly what SQNR measures.
        XCTAssertGreaterThanOrEqual(results[.mse]!.metrics.sqnrDb, results[.percentile]!.metrics.sqnrDb - 0.05)
        XCTAssertGreaterThanOrEqual(results[.mse]!.metrics.sqnrDb, results[.entropy]!.metrics.sqnrDb - 0.05)
    }

    func testCalibration_mseNeverLosesToMinMaxAndMinMaxIsFineWithoutOutliers() throws {
        var rng = SeededRandom(seed: 32)
        let uniform = (0..<65536).map { _ in Float(rng.uniform() * 2 - 1) }
        let minMax = try Calibration.calibrate(uniform, method: .minMax)
        let mse = try Calibration.calibrate(uniform, method: .mse)
        XCTAssertGreaterThanOrEqual(mse.metrics.sqnrDb, minMax.metrics.sqnrDb)
        XCTAssertGreaterThan(mse.threshold, 0.95, "bounded data needs (almost) no clipping")
        // U(-1, 1) has power 1/3; a 1/127 step adds noise (1/127)^2/12: SQNR = 10 log10(4 * 127^2) ~ 48.1 dB.
        XCTAssertEqual(minMax.metrics.sqnrDb, 10 * log10(4 * 127.0 * 127.0), accuracy: 0.3)
    }

    func testCalibration_percentileThresholdIsThatQuantileOfMagnitudes() throws {
        let x = (0..<10001).map { Float($0) - 5000 }  // |x| uniform on 0...5000
        let r = try Calibration.calibrate(x, method: .percentile, options: CalibrationOptions(percentile: 90))
        XCTAssertEqual(r.threshold, 4500, accuracy: 1)
    }

    func testCalibration_rejectsBadInput() {
        XCTAssertThrowsError(try Calibration.calibrate([], method: .minMax))
        XCTAssertThrowsError(try Calibration.calibrate([1, .nan], method: .entropy))
        XCTAssertThrowsError(
            try Calibration.calibrate([1, 2], method: .percentile, options: CalibrationOptions(percentile: 0)))
        XCTAssertEqual(try Calibration.calibrate([0, 0, 0], method: .entropy).scale, 0)
    }

    func testCalibrationResult_isCodableWithSnakeCaseMethodNames() throws {
        let r = try Calibration.calibrate([1, -2, 3], method: .minMax)
        let json = String(decoding: try QBJSON.encode(r), as: UTF8.self)
        XCTAssertTrue(json.contains("\"method\" : \"min_max\""), json)
        XCTAssertEqual(try QBJSON.decoder().decode(CalibrationResult.self, from: QBJSON.encode(r)), r)
    }
}
