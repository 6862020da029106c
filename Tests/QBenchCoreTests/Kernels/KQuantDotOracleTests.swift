// The k-quant and q5_0 kernels against an outside oracle: y = W x on this device's planned variants (gemv and
// gemm) equals gguf-py's dequantization of W times the f32 activations, within what the int8 activations' rounding
// can move it (each x is quantized to d*q with |x - d*q| <= d/2, d = absmax/127 of its block), plus f32 summation.
// On real Gemma 3 tensors when its package is installed; on a generated tensor always (gguf-py when installed,
// else the suite's own dequantizers, which other tests check against gguf-py).
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class KQuantDotOracleTests: XCTestCase {
    /// The bound on |y - W x| for one output: sum_k |w_k| * (half the activation step of k's block) + f32 slack.
    static func bound(w: ArraySlice<Float>, x: ArraySlice<Float>, block: Int) -> Double {
        var b = 0.0, mag = 0.0
        let wa = Array(w), xa = Array(x)
        for start in stride(from: 0, to: xa.count, by: block) {
            let end = min(start + block, xa.count)
            let amax = xa[start..<end].map { Double(abs($0)) }.max() ?? 0
            let step = amax / 127 * 1.001  // q8_0 rounds d to fp16 (2^-11 relative)
            for k in start..<end {
                b += Double(abs(wa[k])) * step / 2
                mag += Double(abs(wa[k] * xa[k]))
            }
        }
        return b + 1e-5 * mag + 1e-9
    }

    /// Runs `data` (rows x k in `format`) on the best verified kernels against N random activation rows.
    /// - Returns: the largest |y - ref| as a fraction of its bound (must stay below 1).
    func check(
        _ format: WeightFormat, rows: Int, k: Int, data: [UInt8], dequantized w: [Float], _ label: String
    )
        throws -> Double
    {
        let choice = try LLMForwardTests.bestChoice(format)
        let linear = try LLMLinear(
            matrix: try QuantizedMatrix(format: format, rows: rows, k: k, data: data), choice: choice)
        var rng = SplitMix64(seed: UInt64(k * 31 + rows))
        var worst = 0.0
        for n in [1, 3] {
            var x = (0..<(n * k)).map { _ in Float(rng.normal()) }
            x[k / 3] = 9  // an outlier, as real activations have
            var y = [Float](repeating: 0, count: n * rows)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer {
                    linear.apply(xp.baseAddress!, tokens: n, into: $0.baseAddress!, pool: KernelThreadPool(threads: 2))
                }
            }
            let block = format.activationFormat.blockSize
            for t in 0..<n {
                let xr = x[(t * k)..<((t + 1) * k)]
                for m in 0..<rows {
                    let wr = w[(m * k)..<((m + 1) * k)]
                    var ref = 0.0
                    for (a, b) in zip(wr, xr) { ref += Double(a) * Double(b) }
                    let err = abs(Double(y[t * rows + m]) - ref)
                    let lim = Self.bound(w: wr, x: xr, block: block)
                    worst = max(worst, err / lim)
                    XCTAssertLessThanOrEqual(
                        err, lim,
                        "\(label) \(format.rawValue) \(choice.gemv.variant)/\(choice.gemm.variant) n=\(n) "
                            + "row \(m): \(y[t * rows + m]) vs \(ref)")
                }
            }
        }
        return worst
    }

    func testKernels_onRealGemma3Tensors_matchGGUFPyDequantizeTimesF32() throws {
        let path = try GGUFRealFileTests.gemmaPath()
        let ref = try GGUFReference.require()
        let file = try GGUFFile(path: path)
        // q4_k (attention output), q6_k (an FFN down projection), q5_0 (q), as the file stores them
        let names =
            ["blk.0.attn_output.weight", "blk.0.attn_q.weight"]
            + file.tensors.filter { $0.type == .q6_k && $0.name.hasSuffix("ffn_down.weight") }.prefix(1).map(\.name)
        var seen: Set<WeightFormat> = []
        for name in names {
            let t = try XCTUnwrap(file.tensor(named: name))
            let format = try XCTUnwrap(WeightFormat(ggml: t.type), name)
            seen.insert(format)
            let rows = 48  // the first rows: enough for every tile shape, quick in double precision
            let bytes = Array(t.bytes.prefix(rows * (try format.rowBytes(k: t.cols))))
            let w = floats(
                fromBytes: try ref.run([
                    .init(op: "dequantize", type: format.rawValue, rows: rows, k: t.cols, input: bytes)
                ])[0])
            let worst = try check(format, rows: rows, k: t.cols, data: bytes, dequantized: w, name)
            XCTAssertGreaterThan(worst, 0, "\(name): the activations' rounding must show")
        }
        XCTAssertEqual(seen, [.q4_k, .q6_k, .q5_0])
    }

    func testKernels_onGeneratedTensors_matchDequantizeTimesF32() throws {
        let gguf = try? GGUFReference.require()  // nil: the suite's dequantizers stand in (checked elsewhere)
        var rng = SplitMix64(seed: 77)
        for format in [WeightFormat.q4_k, .q5_k, .q6_k, .q5_0] {
            let rows = 37, k = 512
            let values = (0..<(rows * k)).map { _ in Float(rng.normal() * 0.05) }
            let q = try format.quantize(values, rows: rows, k: k)
            let w =
                try gguf.map {
                    floats(
                        fromBytes: try $0.run([
                            .init(op: "dequantize", type: format.rawValue, rows: rows, k: k, input: q.data)
                        ])[0])
                } ?? q.dequantize()
            _ = try check(format, rows: rows, k: k, data: q.data, dequantized: w, "generated")
        }
    }
}
