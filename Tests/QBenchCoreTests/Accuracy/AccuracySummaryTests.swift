import XCTest
@testable import QBenchFormats
@testable import QBenchAccuracy

/// The per-format summary, checked against figures worked out by hand.
final class AccuracySummaryTests: XCTestCase {
    private func metrics(nmse: Double, cosine: Double, n: Int) -> ErrorMetrics {
        ErrorMetrics(
            sqnrDb: -10 * log10(nmse), nmse: nmse, cosine: cosine, maxAbsErr: 0, maxRelErr: 0, rmse: 0,
            p50AbsErr: 0, p95AbsErr: 0, count: n)
    }

    /// A: 100 elements, signal 50; B: 300 elements, signal 30. q8_0 fits both, q4_k only A.
    private func rows() -> [TensorAccuracy] {
        let a = TensorAccuracy(
            name: "a", shape: [10, 10], rows: 10, cols: 10, elementCount: 100, storedType: "F32", source: "f32",
            originalBytes: 400, signalEnergy: 50,
            results: [
                FormatAccuracy(
                    format: .q8_0, bitsPerWeight: 8.48, bytes: 106, noiseEnergy: 0.05,
                    metrics: metrics(nmse: 0.001, cosine: 0.9995, n: 100)),
                FormatAccuracy(
                    format: .q4_k, bitsPerWeight: 4.56, bytes: 57, noiseEnergy: 0.5,
                    metrics: metrics(nmse: 0.01, cosine: 0.995, n: 100)),
            ],
            skipped: [])
        let b = TensorAccuracy(
            name: "b", shape: [30, 10], rows: 30, cols: 10, elementCount: 300, storedType: "F32", source: "f32",
            originalBytes: 1200, signalEnergy: 30,
            results: [
                FormatAccuracy(
                    format: .q8_0, bitsPerWeight: 8.48, bytes: 318, noiseEnergy: 0.3,
                    metrics: metrics(nmse: 0.01, cosine: 0.995, n: 300))
            ],
            skipped: [FormatSkip(format: .q4_k, reason: "q4_k needs K % 256 == 0 (K = 10)")])
        return [a, b]
    }

    func testSummary_weightsByEnergyAndSizeNotByAveragingDecibels() {
        let s = AccuracySummary.summarize(.q8_0, tensors: rows(), modelBytes: 2000)
        XCTAssertEqual(s.tensors, 2)
        XCTAssertEqual(s.skippedTensors, 0)
        XCTAssertEqual(s.elements, 400)
        XCTAssertEqual(s.coverage, 1)
        // SQNR from summed energies: 10 log10(80 / 0.35) = 23.5902 dB.
        XCTAssertEqual(s.sqnrDb, 10 * log10(80 / 0.35), accuracy: 1e-12)
        XCTAssertEqual(s.sqnrDb, 23.5902, accuracy: 1e-4)
        // Averaging the per-tensor dB (30 and 20) would have said 25.
        XCTAssertNotEqual(s.sqnrDb, 25, accuracy: 0.5)
        // NMSE and cosine: element-weighted means.
        XCTAssertEqual(s.nmse, (100 * 0.001 + 300 * 0.01) / 400, accuracy: 1e-15)  // 0.00775
        XCTAssertEqual(s.meanCosine, (100 * 0.9995 + 300 * 0.995) / 400, accuracy: 1e-15)  // 0.996125
        // Bits per weight from bytes: (106 + 318) * 8 / 400.
        XCTAssertEqual(s.bitsPerWeight, 8.48, accuracy: 1e-12)
        XCTAssertEqual(s.quantizedBytes, 424)
        // Model: 2000 bytes of which 1600 are the two tensors, now 424.
        XCTAssertEqual(s.modelBytes, 2000 - 1600 + 424)
        XCTAssertEqual(s.signalEnergy, 80)
        XCTAssertEqual(s.noiseEnergy, 0.35, accuracy: 1e-15)
    }

    func testSummary_formatThatSkipsATensorCoversOnlyTheRestAndKeepsItsStoredSize() {
        let s = AccuracySummary.summarize(.q4_k, tensors: rows(), modelBytes: 2000)
        XCTAssertEqual(s.tensors, 1)
        XCTAssertEqual(s.skippedTensors, 1)
        XCTAssertEqual(s.elements, 100)
        XCTAssertEqual(s.coverage, 0.25)
        XCTAssertEqual(s.sqnrDb, 20, accuracy: 1e-12)  // 10 log10(50 / 0.5)
        XCTAssertEqual(s.bitsPerWeight, 4.56, accuracy: 1e-12)
        XCTAssertEqual(s.modelBytes, 2000 - 400 + 57, "b stays at its stored 1200 bytes")
    }

    func testSummary_formatWithNoTensorsHasNaNFiguresAndTheStoredModelSize() {
        let s = AccuracySummary.summarize(.mxfp4, tensors: rows(), modelBytes: 2000)
        XCTAssertEqual(s.tensors, 0)
        XCTAssertEqual(s.skippedTensors, 2)
        XCTAssertTrue(s.sqnrDb.isNaN && s.nmse.isNaN && s.meanCosine.isNaN)
        XCTAssertEqual(s.bitsPerWeight, 0)
        XCTAssertEqual(s.modelBytes, 2000)
    }

    func testSummaries_sortByBitsPerWeightLargestFirst() {
        let all = AccuracySummary.summarize([.q4_k, .mxfp4, .q8_0], tensors: rows(), modelBytes: 2000)
        XCTAssertEqual(all.map(\.format), [.q8_0, .q4_k, .mxfp4])
    }

    func testSQNR_conventionsForNoNoiseAndNoSignal() {
        XCTAssertEqual(AccuracySummary.sqnrDb(signal: 1, noise: 0), .infinity)
        XCTAssertEqual(AccuracySummary.sqnrDb(signal: 0, noise: 0), .infinity)
        XCTAssertEqual(AccuracySummary.sqnrDb(signal: 0, noise: 1), -.infinity)
        XCTAssertEqual(AccuracySummary.sqnrDb(signal: 100, noise: 1), 20, accuracy: 1e-12)
    }

    func testCommonSQNR_comparesFormatsOnTheTensorsTheyShare() {
        let r = rows()
        // Restricted to tensors where q4_k also applies (only a): q8_0 is 10 log10(50 / 0.05) = 30 dB.
        XCTAssertEqual(try XCTUnwrap(AccuracySummary.commonSQNR(.q8_0, over: [.q4_k], tensors: r)), 30, accuracy: 1e-12)
        XCTAssertNil(AccuracySummary.commonSQNR(.q8_0, over: [.mxfp4], tensors: r))
    }

    func testCalibrationSummary_usesSummedEnergies() throws {
        func result(_ m: CalibrationMethod, rmse: Double, n: Int) -> CalibrationResult {
            CalibrationResult(
                method: m, threshold: 1, scale: 1,
                metrics: ErrorMetrics(
                    sqnrDb: 0, nmse: 0.5, cosine: 0.9, maxAbsErr: 0, maxRelErr: 0, rmse: rmse,
                    p50AbsErr: 0, p95AbsErr: 0, count: n))
        }
        let t1 = TensorCalibration(
            name: "a", elementCount: 100, signalEnergy: 10, results: [result(.mse, rmse: 0.1, n: 100)])
        let t2 = TensorCalibration(
            name: "b", elementCount: 400, signalEnergy: 30, results: [result(.mse, rmse: 0.05, n: 400)])
        let s = AccuracySummary.summarize(calibration: [t1, t2])
        XCTAssertEqual(s.map(\.method), [.mse])
        // noise = 0.1² x 100 + 0.05² x 400 = 1 + 1 = 2; signal 40.
        XCTAssertEqual(s[0].sqnrDb, 10 * log10(40.0 / 2), accuracy: 1e-9)
        XCTAssertEqual(s[0].nmse, 0.5, accuracy: 1e-15)
        XCTAssertEqual(s[0].meanCosine, 0.9, accuracy: 1e-15)
    }
}
