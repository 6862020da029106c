import XCTest
@testable import QBenchFormats
@testable import QBenchAccuracy

/// The greedy mixed-precision planner on hand-worked examples.
final class MixedPrecisionTests: XCTestCase {
    typealias Option = MixedPrecisionTensor.Option

    /// Two 100-element tensors, signal 1000 each. A is sensitive (q4_0 noise 10 -> q8_0 noise 1), B is not
    /// (2 -> 0.5). Sizes are round numbers (50 and 100 bytes: 4 and 8 bits per weight) to keep the sums easy.
    private func twoTensors() -> [MixedPrecisionTensor] {
        [
            MixedPrecisionTensor(
                name: "A", elements: 100, signalEnergy: 1000,
                options: [
                    Option(format: .q4_0, bytes: 50, noiseEnergy: 10),
                    Option(format: .q8_0, bytes: 100, noiseEnergy: 1),
                ]),
            MixedPrecisionTensor(
                name: "B", elements: 100, signalEnergy: 1000,
                options: [
                    Option(format: .q4_0, bytes: 50, noiseEnergy: 2),
                    Option(format: .q8_0, bytes: 100, noiseEnergy: 0.5),
                ]),
        ]
    }

    func testPlan_upgradesTheMostSensitiveTensorFirst() {
        // Budget 6 b/w = 1200 bits. Start 800 bits, noise 12. Upgrading A: +400 bits, noise 3,
        // 10 log10(12/3) = 6.02 dB (0.0151 dB/bit); B: +400 bits, noise 10.5, 0.58 dB. A wins; then
        // B's upgrade would need 1600 bits > 1200, so the plan stops.
        let p = MixedPrecisionPlanner.plan(twoTensors(), budgetBits: 6)
        XCTAssertTrue(p.withinBudget)
        XCTAssertEqual(p.assignments.map(\.format), [.q8_0, .q4_0])
        XCTAssertEqual(p.upgrades, 1)
        XCTAssertEqual(p.bytes, 150)
        XCTAssertEqual(p.bitsPerWeight, 6, accuracy: 1e-12)
        XCTAssertEqual(p.sqnrDb, 10 * log10(2000 / 3.0), accuracy: 1e-12)  // 28.24 dB
        XCTAssertEqual(p.assignments[0].sqnrDb, 30, accuracy: 1e-12)  // 10 log10(1000 / 1)
        XCTAssertEqual(p.assignments[1].bitsPerWeight, 4, accuracy: 1e-12)
        // Uniform baselines over the same two tensors.
        XCTAssertEqual(p.uniform.map(\.format), [.q8_0, .q4_0])
        XCTAssertEqual(p.uniform[0].sqnrDb, 10 * log10(2000 / 1.5), accuracy: 1e-12)
        XCTAssertEqual(p.uniform[1].sqnrDb, 10 * log10(2000 / 12.0), accuracy: 1e-12)
        // The plan beats uniform q4_0 and spends less than uniform q8_0.
        XCTAssertGreaterThan(p.sqnrDb, p.uniform[1].sqnrDb)
        XCTAssertLessThan(p.bitsPerWeight, p.uniform[0].bitsPerWeight)
    }

    func testPlan_prefersTheBestGainPerBitOverTheBiggestGain() {
        // One tensor with three options. From q4_0 (noise 8): q5_0 costs +96 bits for noise 2
        // (10 log10(8/2)/96 = 0.063 dB/bit); q8_0 costs +400 bits for noise 1 (9.03/400 = 0.023 dB/bit).
        // With room for both, q5_0 is taken first, then q8_0 (+304 bits, 10 log10(2/1)/304 = 0.010).
        let t = MixedPrecisionTensor(
            name: "t", elements: 100, signalEnergy: 100,
            options: [
                Option(format: .q4_0, bytes: 50, noiseEnergy: 8),
                Option(format: .q5_0, bytes: 62, noiseEnergy: 2),
                Option(format: .q8_0, bytes: 100, noiseEnergy: 1),
            ])
        let mid = MixedPrecisionPlanner.plan([t], budgetBits: 5)  // 500 bits: q5_0 (496) fits, q8_0 (800) not
        XCTAssertEqual(mid.assignments.map(\.format), [.q5_0])
        XCTAssertEqual(mid.upgrades, 1)
        let all = MixedPrecisionPlanner.plan([t], budgetBits: 8)
        XCTAssertEqual(all.assignments.map(\.format), [.q8_0])
        XCTAssertEqual(all.upgrades, 2, "q4_0 -> q5_0 -> q8_0, one step at a time")
    }

    func testPlan_startsAtTheSmallestOptionsWhenTheBudgetIsTooSmall() {
        let p = MixedPrecisionPlanner.plan(twoTensors(), budgetBits: 3)
        XCTAssertFalse(p.withinBudget)
        XCTAssertEqual(p.assignments.map(\.format), [.q4_0, .q4_0])
        XCTAssertEqual(p.bitsPerWeight, 4, accuracy: 1e-12)
        XCTAssertEqual(p.upgrades, 0)
    }

    func testPlan_generousBudgetUpgradesEverything() {
        let p = MixedPrecisionPlanner.plan(twoTensors(), budgetBits: 100)
        XCTAssertEqual(p.assignments.map(\.format), [.q8_0, .q8_0])
        XCTAssertEqual(p.upgrades, 2)
    }

    func testFrontier_dropsDominatedOptions() {
        let f = MixedPrecisionPlanner.paretoFrontier([
            Option(format: .q8_0, bytes: 100, noiseEnergy: 1),
            Option(format: .fp8_e4m3, bytes: 100, noiseEnergy: 5),  // same bytes, more noise
            Option(format: .q4_0, bytes: 50, noiseEnergy: 10),
            Option(format: .i4_g32, bytes: 60, noiseEnergy: 12),  // more bytes and more noise than q4_0
            Option(format: .f16, bytes: 200, noiseEnergy: .infinity),  // overflowed: never a candidate
        ])
        XCTAssertEqual(f.map(\.format), [.q4_0, .q8_0])
    }

    func testPlan_excludesTensorsWithoutCandidatesAndStopsWhenLossless() {
        let lossless = MixedPrecisionTensor(
            name: "z", elements: 10, signalEnergy: 5,
            options: [
                Option(format: .f16, bytes: 20, noiseEnergy: 0),
                Option(format: .f32, bytes: 40, noiseEnergy: 0),
            ])
        let none = MixedPrecisionTensor(name: "n", elements: 10, signalEnergy: 5, options: [])
        let p = MixedPrecisionPlanner.plan([lossless, none], budgetBits: 64)
        XCTAssertEqual(p.excludedTensors, ["n"])
        XCTAssertEqual(p.assignments.map(\.format), [.f16], "f32 adds bits for no gain")
        XCTAssertEqual(p.sqnrDb, .infinity)
        XCTAssertEqual(p.upgrades, 0)
    }

    func testPlan_fromReportRowsUsesOnlyTheCandidateFormats() {
        let m = ErrorMetrics(
            sqnrDb: 0, nmse: 0, cosine: 1, maxAbsErr: 0, maxRelErr: 0, rmse: 0, p50AbsErr: 0, p95AbsErr: 0, count: 4)
        let row = TensorAccuracy(
            name: "t", shape: [2, 2], rows: 2, cols: 2, elementCount: 4, storedType: "F32", source: "f32",
            originalBytes: 16, signalEnergy: 1,
            results: [
                FormatAccuracy(format: .f16, bitsPerWeight: 16, bytes: 8, noiseEnergy: 0, metrics: m),
                FormatAccuracy(format: .q8_0, bitsPerWeight: 8, bytes: 4, noiseEnergy: 0.1, metrics: m),
            ],
            skipped: [])
        XCTAssertEqual(MixedPrecisionTensor(row, candidates: [.q8_0]).options.map(\.format), [.q8_0])
    }
}
