// The f32 pieces of the forward pass that are not matrix products or attention: RMSNorm, RoPE, the gated FFN
// activation (through the C kernels of qbench_llm.h), splitting stacked outputs, and the log-sum-exp of scoring.
import CQBench
import Foundation

enum LLMMath {
    /// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, for `rows` rows of `width` (the sum in Double).
    static func rmsNorm(_ x: [Float], into out: inout [Float], rows: Int, width: Int, weight: [Float], eps: Float) {
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                weight.withUnsafeBufferPointer { wp in
                    for r in 0..<rows {
                        normRow(xp.baseAddress! + r * width, op.baseAddress! + r * width, wp.baseAddress!, width, eps)
                    }
                }
            }
        }
    }

    /// `rmsNorm` in place (per-head q/k norms: rows = tokens x heads, width = head dimension).
    static func rmsNormInPlace(_ x: inout [Float], rows: Int, width: Int, weight: [Float], eps: Float) {
        x.withUnsafeMutableBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                for r in 0..<rows {
                    let p = xp.baseAddress! + r * width
                    normRow(p, p, wp.baseAddress!, width, eps)
                }
            }
        }
    }

    @inline(__always)
    private static func normRow(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>, _ n: Int, _ eps: Float
    ) {
        var sum = 0.0
        for i in 0..<n { sum += Double(x[i]) * Double(x[i]) }
        let scale = 1 / (Float(sum / Double(n)) + eps).squareRoot()
        for i in 0..<n { y[i] = x[i] * scale * w[i] }
    }

    /// Rotary position embedding of `rows` tokens (positions start ..< start + rows), each `heads` heads of
    /// `headDim`: dimension pairs (i, i + d/2) for NeoX style, (2i, 2i + 1) for the normal style, rotated by
    /// pos x base^(-2i/d).
    static func rope(
        _ x: inout [Float], rows: Int, heads: Int, headDim d: Int, start: Int, base: Float, style: RopeStyle
    ) {
        let half = d / 2
        var inv = [Double](repeating: 0, count: half)
        for i in 0..<half { inv[i] = pow(Double(base), -2 * Double(i) / Double(d)) }
        var cosv = [Float](repeating: 0, count: half), sinv = [Float](repeating: 0, count: half)
        x.withUnsafeMutableBufferPointer { xp in
            for t in 0..<rows {
                let pos = Double(start + t)
                for i in 0..<half {
                    let theta = pos * inv[i]
                    cosv[i] = Float(cos(theta)); sinv[i] = Float(sin(theta))
                }
                for h in 0..<heads {
                    let p = xp.baseAddress! + (t * heads + h) * d
                    for i in 0..<half {
                        let (a, b) = style == .neox ? (i, i + half) : (2 * i, 2 * i + 1)
                        let x0 = p[a], x1 = p[b]
                        p[a] = x0 * cosv[i] - x1 * sinv[i]
                        p[b] = x0 * sinv[i] + x1 * cosv[i]
                    }
                }
            }
        }
    }

    /// out = act(gate) * up per row, from the stacked gate-and-up output (each row: f gate values, then f up values).
    static func gatedActivation(
        _ gateUp: [Float], rows: Int, width f: Int, into out: inout [Float], activation: FFNActivation
    ) {
        gateUp.withUnsafeBufferPointer { gu in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows {
                    let g = gu.baseAddress! + r * 2 * f, u = g + f, y = o.baseAddress! + r * f
                    switch activation {
                    case .silu: qb_llm_silu_mul(g, u, y, f)
                    case .geluTanh: qb_llm_gelu_tanh_mul(g, u, y, f)
                    }
                }
            }
        }
    }

    /// Columns `offset ..< offset + count` of `rows` rows of `width` (one part of a stacked projection's output) into
    /// `dst`, rows x count.
    static func columns(
        _ src: [Float], rows: Int, width: Int, offset: Int, count: Int, into dst: inout [Float]
    ) {
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                for r in 0..<rows {
                    (d.baseAddress! + r * count).update(from: s.baseAddress! + r * width + offset, count: count)
                }
            }
        }
    }

    /// log(sum(exp(x))) of a row, in Double.
    static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var mx = -Float.infinity
        for i in 0..<n { mx = max(mx, x[i]) }
        var s = 0.0
        for i in 0..<n { s += exp(Double(x[i] - mx)) }
        return Double(mx) + log(s)
    }
}
