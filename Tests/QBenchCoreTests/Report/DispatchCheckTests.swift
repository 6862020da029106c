import Foundation
import XCTest
import QBenchFormats

@testable import QBenchDevice
@testable import QBenchKernels
@testable import QBenchHarness
@testable import QBenchProfiles
@testable import QBenchReport

final class DispatchCheckTests: XCTestCase {
    private func row(
        _ op: KernelOp, _ format: String, _ variant: String, median: Double, shape: MatmulShape,
        valid: Bool = true
    ) -> ResultRow {
        ResultRow(
            key: ResultKey.make(op: op, weightFormat: format, shape: shape, threads: 2, variant: variant),
            op: op, weightFormat: format, activationFormat: "bf16/static", variant: variant, shape: shape, threads: 2,
            cacheState: .warm, samplesNs: [UInt64(median)], iterationsPerSample: 1, medianNs: median, madNs: 0,
            p10Ns: median, p90Ns: median, minNs: median, maxNs: median, meanNs: median, outliers: [],
            bytesPerCall: 1, opsPerCall: 1, throughput: Throughput(gbPerS: 0, gopPerS: 0), roofline: nil,
            energy: nil, validity: valid ? .ok : Validity(valid: false, reasons: ["too noisy"]), warnings: [])
    }

    /// The plan a Zen 4 class device gets (bf16 dot first), against made-up medians shaped like
    /// this machine's (vdpbf16ps at half the FMA rate): the check names the faster variant and by how much.
    func testCompare_namesTheFasterVariantAndTheSpeedupOverThePlan() throws {
        #if !arch(x86_64)
        throw XCTSkip("plans x86 variants, which only an x86-64 binary carries")
        #endif
        let zen4: Set<CPUFeature> = [
            .sse4_2, .avx, .avx2, .fma, .f16c, .bmi2, .avx512f, .avx512bw, .avx512vl, .avx512dq,
            .avx512cd, .avx512_vnni, .avx512_bf16,
        ]
        let plan = KernelDispatch.plan(features: zen4, arch: "x86_64", registry: .builtIn)
        XCTAssertEqual(plan.chosen(op: .gemm, weightFormat: .bf16), .avx512_bf16)
        XCTAssertEqual(plan.chosen(op: .gemm, weightFormat: .q8_0), .avx512_vnni)
        let big = MatmulShape(tokens: 512, outputs: 14336, k: 4096),
            small = MatmulShape(tokens: 512, outputs: 1024, k: 4096)
        let rows = [
            row(.gemm, "bf16", "avx512_bf16", median: 390e6, shape: big),
            row(.gemm, "bf16", "avx512", median: 224e6, shape: big),
            row(.gemm, "bf16", "avx2", median: 100e6, shape: big, valid: false),  // invalid: not a winner
            row(.gemm, "bf16", "avx512_bf16", median: 30e6, shape: small),  // one variant: no comparison
            row(.gemm, "q8_0", "avx512_vnni", median: 80e6, shape: big),
            row(.gemm, "q8_0", "avx2", median: 300e6, shape: big),
        ]
        let checks = DispatchCheck.compare(plan: plan, results: rows)
        XCTAssertEqual(checks.count, 2)
        let bf16 = try XCTUnwrap(checks.first { $0.weightFormat == "bf16" })
        XCTAssertEqual(bf16.planned, "avx512_bf16")
        XCTAssertEqual(bf16.fastest, "avx512")
        XCTAssertEqual(bf16.speedup ?? 0, 390.0 / 224.0, accuracy: 1e-12)
        XCTAssertEqual(bf16.variants, ["avx2", "avx512", "avx512_bf16"])
        XCTAssertEqual(bf16.shape, big)
        let q8 = try XCTUnwrap(checks.first { $0.weightFormat == "q8_0" })
        XCTAssertEqual(q8.fastest, "avx512_vnni")
        XCTAssertEqual(q8.speedup, 1)
        // A planned result that is faster but noisy (invalid) is not beaten by a slower valid one.
        let noisy = DispatchCheck.compare(
            plan: plan,
            results: [
                row(.gemm, "i8_pc", "avx512_vnni", median: 50e6, shape: big, valid: false),
                row(.gemm, "i8_pc", "avx_vnni", median: 90e6, shape: big),
            ])
        XCTAssertEqual(noisy.first?.fastest, "avx512_vnni")
        XCTAssertEqual(noisy.first?.speedup, 1)
    }
}
