// The vectorised activations of the forward pass (qbench_llm.h) against libm, over the range a model's
// activations take and beyond, including the clamped ends.
import CQBench
import Foundation
import XCTest

final class LLMActivationTests: XCTestCase {
    /// Points from -100 to 100, denser near 0, plus the edges of the float exp range.
    static let xs: [Float] = {
        var v: [Float] = [-1e-30, 0, 1e-30, -87, 88, -200, 200, .leastNormalMagnitude]
        var x: Float = 1e-6
        while x < 100 {
            v += [x, -x]
            x *= 1.013
        }
        return v
    }()

    func testExp_isWithin5e7RelativeOfLibm_andClampsWithoutInfOrNaN() {
        let xs = Self.xs
        var y = [Float](repeating: 0, count: xs.count)
        qb_llm_exp(xs, &y, xs.count)
        var worst = 0.0
        for (x, e) in zip(xs, y) {
            XCTAssertTrue(e.isFinite && e > 0, "exp(\(x)) = \(e)")
            guard (-87...88.3).contains(x) else { continue }
            let ref = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(e) - ref) / ref)
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertGreaterThan(worst, 0, "a polynomial, not libm: some error is expected")
    }

    func testGatedActivations_matchTheirDefinitions() {
        let g = Self.xs.filter { abs($0) < 60 }
        let u = g.indices.map { Float($0 % 7) - 3 }
        var y = [Float](repeating: 0, count: g.count)
        qb_llm_gelu_tanh_mul(g, u, &y, g.count)
        for i in g.indices {
            let x = Double(g[i])
            let ref = 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))) * Double(u[i])
            XCTAssertEqual(Double(y[i]), ref, accuracy: 1e-6 * max(1, abs(ref)), "gelu(\(x))")
        }
        qb_llm_silu_mul(g, u, &y, g.count)
        for i in g.indices {
            let x = Double(g[i])
            let ref = x / (1 + exp(-x)) * Double(u[i])
            XCTAssertEqual(Double(y[i]), ref, accuracy: 1e-6 * max(1, abs(ref)), "silu(\(x))")
        }
    }
}
