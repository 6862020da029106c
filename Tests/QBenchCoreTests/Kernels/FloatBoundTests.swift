// The float bounds of the verifier (docs/kernels.md, "Float bounds"): a kernel with one output wrong by half
// passes the mean (NMSE) bound and must be caught by the per-output bound; the per-output scale is computed
// independently of the C helpers.
import CQBench
import XCTest
@testable import QBenchDevice
@testable import QBenchKernels

/// The scalar f16 x f32 gemm, called by the planted kernel below (a C function pointer cannot capture).
private let scalarF16Gemm: qb_mat_fn = {
    let reg = KernelRegistry.builtIn
    return reg.entry(reg.variant("gemm/f16/f32/scalar")!)!.pointee.mat!
}()

/// The scalar kernel, then, on the 53 x 1003 x 17 shape only, output (token N/2, row M/2) multiplied by 1.5: one
/// output in 901 wrong by half.
private func plantedOneOutputOff(_ a: UnsafePointer<qb_mat_args>?, _ m0: Int32, _ m1: Int32) {
    scalarF16Gemm(a, m0, m1)
    guard let a, a.pointee.M == 53, a.pointee.K == 1003, a.pointee.N == 17 else { return }
    let m = Int(a.pointee.M) / 2, n = Int(a.pointee.N) / 2
    if m >= Int(m0) && m < Int(m1) { a.pointee.y[n * a.pointee.ldy + m] *= 1.5 }
}

final class FloatBoundTests: XCTestCase {
    /// The case: gemm 53 x 1003 x 17 (outputs x k x tokens), one output 50% off.
    func testOneOutputWrongByHalf_passesTheMeanBoundButFailsVerification() throws {
        let r = try KernelTestSupport.verifyPlanted("gemm/f16/f32") { a, m0, m1 in plantedOneOutputOff(a, m0, m1) }
        XCTAssertEqual(r.status, .mismatch, r.detail ?? "")
        XCTAssertEqual(r.check, "nmse")
        // The mean bound alone would have passed it...
        XCTAssertLessThanOrEqual(try XCTUnwrap(r.nmse), KernelTolerance.defaultFloatNMSE, "planted error too loud")
        // ...the per-output bound does not, and the detail names the output.
        XCTAssertGreaterThan(try XCTUnwrap(r.worstOutputError), KernelTolerance.defaultPerOutput)
        XCTAssertTrue(r.detail?.contains("output 26 of token 8") ?? false, r.detail ?? "no detail")
        XCTAssertTrue(r.shapes.contains("53x1003x17"), "\(r.shapes)")
    }

    /// The real scalar kernel against itself under a different thread split is within both bounds, and the
    /// figures are reported.
    func testAHonestFloatVariant_reportsItsFigures() throws {
        let reg = KernelRegistry.builtIn
        let v = try XCTUnwrap(reg.variant("gemm/f16/f32/scalar"))
        let r = KernelVerifier.verify(v, features: [], registry: reg)
        XCTAssertEqual(r.status, .verified, r.detail ?? "")
        XCTAssertEqual(r.worstOutputError, 0)
        XCTAssertEqual(r.outputBound, KernelTolerance.defaultPerOutput)
    }

    /// S = sum_k |w*x| from hand-made operands: f16 weights decoded with Swift's Float16, activations f32.
    func testAbsProductSums_matchAHandComputation() throws {
        let ops = try KernelOperands(weightFormat: .f16, activationFormat: .f32, outputs: 3, k: 5, tokens: 2, seed: 9)
        let s = try XCTUnwrap(KernelVerifier.absProductSums(ops))
        XCTAssertEqual(s.count, 6)
        let w = UnsafeRawPointer(ops.weights.pointer)
        for n in 0..<2 {
            for m in 0..<3 {
                var want = 0.0
                for k in 0..<5 {
                    let h = w.load(fromByteOffset: m * ops.weightStride + 2 * k, as: UInt16.self)
                    want += abs(Double(Float16(bitPattern: h)) * Double(ops.activationFloats[n * 5 + k]))
                }
                XCTAssertEqual(s[n * 3 + m], want, accuracy: want * 1e-12)
                XCTAssertGreaterThan(want, 0)
            }
        }
        let q8 = try KernelOperands(
            weightFormat: .q8_0, activationFormat: .q8_0, outputs: 1, k: 32, tokens: 1, seed: 1)
        XCTAssertNil(KernelVerifier.absProductSums(q8), "integer formats are compared exactly, not by scale")
    }

    func testFloatComparison_figures() {
        let ref: [Float] = [1, -2, 0, 4]
        let out: [Float] = [1, -2, 0, 4.5]
        let c = FloatComparison(reference: ref, output: out, scale: [10, 10, 10, 10])
        XCTAssertEqual(c.bitMismatches, 1)
        XCTAssertEqual(c.maxAbsErr, 0.5)
        XCTAssertEqual(c.worstRelative, 0.05)
        XCTAssertEqual(c.worstIndex, 3)
        XCTAssertEqual(c.nmse, 0.25 / 21, accuracy: 1e-15)
        let nan = FloatComparison(reference: ref, output: [1, -2, .nan, 4], scale: [1, 1, 1, 1])
        XCTAssertEqual(nan.worstRelative, .infinity)
        XCTAssertEqual(nan.worstIndex, 2)
        XCTAssertEqual(nan.nmse, .infinity)
        let zeros = FloatComparison(reference: [0, 0], output: [0, 0], scale: [0, 0])
        XCTAssertEqual(zeros.worstRelative, 0)
        XCTAssertEqual(zeros.nmse, 0)
    }
}
