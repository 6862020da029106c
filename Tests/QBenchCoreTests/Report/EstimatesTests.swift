import XCTest
import QBenchFormats
@testable import QBenchHarness
@testable import QBenchProfiles
@testable import QBenchReport

final class EstimatesTests: XCTestCase {
    let model = ModelProfile(
        name: "tiny", hiddenSize: 64, intermediateSize: 128, layers: 2, heads: 4, kvHeads: 2, vocabSize: 100)
    let decodeNs: [Projection: Double] = [
        .q: 1000, .k: 500, .v: 500, .o: 1000, .gate: 2000, .up: 2000, .down: 2000, .lmHead: 4000,
    ]

    func measurements(
        _ ns: [Projection: Double], scale: Double = 1, joules: Double? = nil
    ) -> [Projection: ProjectionMeasurement] {
        ns.mapValues { ProjectionMeasurement(medianNs: $0 * scale, joulesPerCall: joules) }
    }

    func testDecodeAndPrefill_byHand() {
        var prefill = measurements(decodeNs, scale: 3)
        prefill[.lmHead] = nil
        let e = Estimates.estimate(
            model: model, format: "q4_0", threads: 1, promptLength: 4,
            decode: measurements(decodeNs), prefill: prefill)
        // per token: 2 layers x 9000 ns + 4000 ns lm_head = 22 000 ns
        XCTAssertEqual(e.decodeMsPerToken!, 0.022, accuracy: 1e-12)
        XCTAssertEqual(e.decodeTokensPerS!, 1e9 / 22_000, accuracy: 1e-9)
        // prompt of 4: 2 x 27 000 ns + 4000 ns (last token's logits) = 58 000 ns for 4 tokens
        XCTAssertEqual(e.prefillTokensPerS!, 4e9 / 58_000, accuracy: 1e-9)
        XCTAssertNil(e.joulesPerToken)
        XCTAssertNil(e.energySource)
        XCTAssertTrue(e.missing.isEmpty)
    }

    func testJoulesPerToken_addUpLikeTime() {
        let e = Estimates.estimate(
            model: model, format: "q4_0", threads: 1, promptLength: 4,
            decode: measurements(decodeNs, joules: 1e-6), prefill: measurements(decodeNs, joules: 2e-6),
            energySource: .rapl)
        // decode: 2 layers x 7 projections x 1 uJ + 1 uJ lm_head = 15 uJ
        XCTAssertEqual(e.joulesPerToken!, 15e-6, accuracy: 1e-15)
        // prefill: (2 x 7 x 2 uJ + 1 uJ) / 4 tokens
        XCTAssertEqual(e.prefillJoulesPerToken!, 29e-6 / 4, accuracy: 1e-15)
        XCTAssertEqual(e.energySource, .rapl)
    }

    func testMissingProjection_leavesFiguresOutAndSaysWhich() {
        var d = measurements(decodeNs)
        d[.down] = nil
        let e = Estimates.estimate(model: model, format: "q4_0", threads: 1, promptLength: 4, decode: d, prefill: [:])
        XCTAssertNil(e.decodeTokensPerS)
        XCTAssertNil(e.prefillTokensPerS)
        XCTAssertEqual(e.missing.first, "decode down gemv 1x64x128")
        XCTAssertTrue(e.missing.contains("prefill q gemm 4x64x64"))
    }

    func testNote_saysAttentionAndNormsAreExcluded() {
        let e = Estimates.estimate(model: model, format: "f32", threads: 1, promptLength: 1, decode: [:], prefill: [:])
        XCTAssertTrue(e.note.contains("attention"))
        XCTAssertTrue(e.note.contains("norms"))
        XCTAssertTrue(e.note.contains("excluded"))
    }

    func row(
        _ op: KernelOp, _ shape: MatmulShape, variant: String, median: Double, valid: Bool = true,
        format: String = "q4_0"
    ) -> ResultRow {
        ResultRow(
            key: ResultKey.make(op: op, weightFormat: format, shape: shape, threads: 1, variant: variant),
            op: op, weightFormat: format, activationFormat: "q8_0/dynamic", variant: variant, shape: shape, threads: 1,
            cacheState: .warm, samplesNs: [UInt64(median)], iterationsPerSample: 1, medianNs: median, madNs: 0,
            p10Ns: median, p90Ns: median, minNs: median, maxNs: median, meanNs: median, outliers: [],
            bytesPerCall: 1, opsPerCall: 1, throughput: Throughput(gbPerS: 0, gopPerS: 0), roofline: nil,
            energy: ResultEnergy(
                source: .modeled, joules: median * 1e-9, watts: 1, joulesPerGb: nil, joulesPerGop: nil),
            validity: valid ? .ok : Validity(valid: false, reasons: ["too noisy"]), warnings: [])
    }

    func testFromResults_takesTheFastestValidVariantPerShape() {
        var rows: [ResultRow] = []
        for s in model.decodeShapes() {
            rows.append(row(.gemv, s.shape, variant: "scalar", median: decodeNs[s.projection]! * 10))
            rows.append(row(.gemv, s.shape, variant: "avx2", median: decodeNs[s.projection]!))
            rows.append(row(.gemv, s.shape, variant: "avx512", median: decodeNs[s.projection]! / 100, valid: false))
            rows.append(row(.gemv, s.shape, variant: "avx2", median: 1, format: "q8_0"))
        }
        for s in model.prefillShapes(promptLength: 4) where s.op == .gemm {
            rows.append(row(.gemm, s.shape, variant: "avx2", median: decodeNs[s.projection]! * 3))
        }
        let e = Estimates.fromResults(model: model, format: "q4_0", threads: 1, promptLength: 4, results: rows)
        XCTAssertEqual(e.decodeTokensPerS!, 1e9 / 22_000, accuracy: 1e-6)
        XCTAssertEqual(e.prefillTokensPerS!, 4e9 / 58_000, accuracy: 1e-6)
        XCTAssertEqual(e.joulesPerToken!, 22_000e-9, accuracy: 1e-15)
        XCTAssertEqual(e.energySource, .modeled)
        XCTAssertTrue(e.basis.allSatisfy { $0.hasSuffix("/avx2") && $0.contains("/q4_0/") }, "\(e.basis)")
        // shared shapes are listed once: gemv q/o, k/v, gate/up share; 5 decode + 4 prefill keys
        XCTAssertEqual(e.basis.count, 5 + 4)
    }
}
