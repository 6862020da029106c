// The vectorised activations of the forward pass (qbench_llm.h) against libm, over the range a model's
// activations take and beyond, including the clamped ends.
import CQBench
import Foundation
import QBenchSupport
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

    /// Attention against its definition in Double, on dimensions that are not multiples of 16 (the kernel's vector
    /// width) and a window that starts after position 0, for 1 and 3 query heads sharing the keys.
    func testAttention_matchesTheDefinition_onRaggedDimensions() {
        let headDim = 20, valueDim = 37, positions = 9, lo = 2, hi = 7, kStride = 23, vStride = 41
        var rng = SplitMix64(seed: 0xa77)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.next() >> 40) / Float(1 << 24) - 0.5 } }
        let k = random(positions * kStride), v = random(positions * vStride)
        for nq in [1, 3] {
            let q = random(nq * headDim)
            var scores = [Float](repeating: 0, count: nq * (hi - lo + 1))
            var out = [Float](repeating: .nan, count: nq * valueDim)
            qb_llm_attend(
                q, Int32(nq), k, kStride, v, vStride, Int32(lo), Int32(hi), Int32(headDim), Int32(valueDim), 0.3,
                &scores, &out)
            for g in 0..<nq {
                let s = (lo...hi).map { j in
                    0.3 * (0..<headDim).reduce(0.0) { $0 + Double(q[g * headDim + $1]) * Double(k[j * kStride + $1]) }
                }
                let e = s.map { exp($0 - s.max()!) }, total = e.reduce(0, +)
                for d in 0..<valueDim {
                    let ref = (lo...hi).enumerated().reduce(0.0) {
                        $0 + e[$1.offset] / total * Double(v[$1.element * vStride + d])
                    }
                    XCTAssertEqual(Double(out[g * valueDim + d]), ref, accuracy: 1e-6, "nq \(nq) head \(g) column \(d)")
                }
            }
        }
    }
}
