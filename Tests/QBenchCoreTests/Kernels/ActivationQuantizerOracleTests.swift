// The activation quantizers every kernel is fed by (scalar quantize_row: i8_pt and q8_1), checked on random rows
// against an independent numpy implementation of their documented rules (docs/kernels.md, "Activation
// quantizers"); q8_0 is checked against gguf-py's own quantizer in ScalarReferenceTests.
import CQBench
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchKernels

final class ActivationQuantizerOracleTests: XCTestCase {
    /// numpy's version of both rules, reading rows of K floats and writing the encoded bytes.
    private static let script = """
        import sys
        import numpy as np
        kind, K, src, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
        x = np.fromfile(src, dtype=np.float32).reshape(-1, K)
        def roundf(v):  # C roundf: half away from zero, decided exactly in float64
            return np.sign(v) * np.floor(np.abs(v.astype(np.float64)) + 0.5)
        out = bytearray()
        for row in x:
            if kind == "i8_pt":
                amax = np.float32(np.max(np.abs(row)))
                s = np.float32(amax / np.float32(127)) if amax > 0 else np.float32(0)
                q = np.clip(roundf(row / s), -127, 127).astype(np.int8) if s > 0 else np.zeros(K, np.int8)
                sums = q.reshape(-1, 32).astype(np.int32).sum(axis=1).astype(np.int32)
                out += np.float32(s).tobytes() + q.tobytes() + sums.tobytes()
            else:  # q8_1: per 32: d = amax/127, q = roundf(x * (1/d)), fp16 d, s = fp16(sum(q) * d)
                for b in row.reshape(-1, 32):
                    amax = np.float32(np.max(np.abs(b)))
                    d = np.float32(amax / np.float32(127))
                    inv = np.float32(1) / d if d != 0 else np.float32(0)
                    q = roundf(b * inv).astype(np.int8)
                    s = np.float32(np.float32(int(q.astype(np.int32).sum())) * d)
                    out += np.float16(d).tobytes() + np.float16(s).tobytes() + q.tobytes()
        open(dst, "wb").write(bytes(out))
        """

    private func numpy(_ kind: String, _ x: [Float], K: Int) throws -> [UInt8] {
        let dir = try TestPaths.scratch("actq-\(kind)")
        let src = dir.appendingPathComponent("x.f32"), dst = dir.appendingPathComponent("out.bin")
        try x.withUnsafeBytes { try Data($0).write(to: src) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", Self.script, kind, "\(K)", src.path, dst.path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try Oracle.require(
            "numpy", !text.contains("No module named 'numpy'") && p.terminationStatus != 127,
            "python3 with numpy is not available")
        XCTAssertEqual(p.terminationStatus, 0, text)
        return [UInt8](try Data(contentsOf: dst))
    }

    /// Rows with a wide dynamic range, exact halves at several scales and an all-zero row.
    private func rows(_ n: Int, _ K: Int, seed: UInt64) -> [Float] {
        var rng = KernelRNG(seed: seed)
        var x = (0..<(n * K)).map { i -> Float in rng.float(-1, 1) * [0.002, 1, 37][i / K % 3] }
        for i in stride(from: 3, to: x.count, by: 41) { x[i] = Float(Int(x[i] * 8)) / 4 + 0.125 }
        for i in 0..<K { x[(n - 1) * K + i] = 0 }
        return x
    }

    func testI8PT_matchesNumpyOnRandomRows() throws {
        let K = 32 * 12, n = 40
        let x = rows(n, K, seed: 7)
        let want = try numpy("i8_pt", x, K: K)
        var got: [UInt8] = []
        for r in 0..<n {
            var q = [Int8](repeating: 0, count: K), s: Float = 0, sums = [Int32](repeating: 0, count: K / 32)
            x.withUnsafeBufferPointer {
                qb_quantize_row_i8_pt_scalar($0.baseAddress! + r * K, &q, &s, &sums, 32, Int32(K))
            }
            withUnsafeBytes(of: s) { got += $0 }
            q.withUnsafeBytes { got += $0 }
            sums.withUnsafeBytes { got += $0 }
        }
        XCTAssertEqual(got.count, want.count)
        let first = zip(got, want).enumerated().first { $0.1.0 != $0.1.1 }?.offset
        XCTAssertNil(first, "first differing byte \(first ?? -1) (row \((first ?? 0) / (4 + K + K / 8)))")
    }

    func testQ8_1_matchesNumpyOnRandomRows() throws {
        let K = 32 * 12, n = 40
        let x = rows(n, K, seed: 8)
        let want = try numpy("q8_1", x, K: K)
        var got: [UInt8] = []
        for r in 0..<n {
            var out = [UInt8](repeating: 0, count: K / 32 * 36)
            var s: Float = 0
            x.withUnsafeBufferPointer {
                qb_quantize_row_q8_1_scalar($0.baseAddress! + r * K, &out, &s, nil, 0, Int32(K))
            }
            got += out
        }
        XCTAssertEqual(got.count, want.count)
        let first = zip(got, want).enumerated().first { $0.1.0 != $0.1.1 }?.offset
        XCTAssertNil(first, "first differing byte \(first ?? -1) (block \((first ?? 0) / 36))")
    }
}
