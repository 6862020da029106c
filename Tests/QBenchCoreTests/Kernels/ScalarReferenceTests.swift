// The scalar reference is the truth for every variant, so it is itself checked: against a plain
// double-precision dequantize-and-dot, and its activation quantizers against ggml's bytes.
import CQBench
import Foundation
import QBenchTestSupport
import QBenchFormats
import QBenchSupport
import XCTest
@testable import QBenchKernels

final class ScalarReferenceTests: XCTestCase {
    private let pairs: [(String, String)] = [
        ("q8_0", "q8_0"), ("q4_0", "q8_0"), ("q4_1", "q8_1"), ("i8_pc", "i8_pt"), ("i4_g32", "i8_pt"),
        ("i4_g128", "i8_pt"), ("u4_g32", "i8_pt"), ("u4_g64", "i8_pt"), ("f32", "f32"), ("f16", "f32"),
        ("bf16", "bf16"), ("bf16", "f32"), ("q5_0", "q8_0"), ("q4_k", "q8_k"), ("q5_k", "q8_k"), ("q6_k", "q8_k"),
    ]

    func testScalarReference_matchesDoublePrecisionDequantizeAndDot() throws {
        let reg = KernelRegistry.builtIn
        for (w, x) in pairs {
            let v = try XCTUnwrap(reg.variant("gemm/\(w)/\(x)/scalar"), "scalar gemm \(w) x \(x) missing")
            let g = try XCTUnwrap(WeightFormat(rawValue: w)).groupSize
            let K =
                g > 0 ? 4 * g : (w == "i8_pc" || w.hasPrefix("f") || w == "bf16" ? 301 : w.hasSuffix("_k") ? 768 : 320)
            let ops = try KernelOperands(
                weightFormat: try XCTUnwrap(WeightFormat(rawValue: w)),
                activationFormat: try XCTUnwrap(ActivationFormat(rawValue: x)), outputs: 7, k: K, tokens: 3, seed: 42)
            let k = try PreparedKernel(variant: v, operands: ops)
            k.run(rows: 0..<7)
            let y = k.y
            for n in 0..<3 {
                let xa = KernelTestSupport.activationRow(ops, n)
                for m in 0..<7 {
                    let wa = KernelTestSupport.weightRow(ops, m)
                    var dot = 0.0, mag = 0.0
                    for i in 0..<K { dot += wa[i] * xa[i]; mag += abs(wa[i] * xa[i]) }
                    if w == "q4_1" {
                        // q8_1 carries s = fp16(d*sum q): ggml's q4_1 dot uses it for the m term, so the
                        // format's exact value is d_w*d_x*sum(nib*q) + m*s, not m*d_x*sum(q).
                        dot += KernelTestSupport.q4_1Correction(ops, m: m, n: n)
                    }
                    // f32 accumulation over K terms: a few ulps of the magnitude sum per block is the most
                    // reordering and rounding can cost.
                    XCTAssertEqual(Double(y[n * 7 + m]), dot, accuracy: 1e-5 * mag + 1e-12, "\(w) x \(x) m=\(m) n=\(n)")
                }
            }
        }
    }

    /// Rows with their Q8_0 encoding from gguf-py's port of ggml's quantize_row_q8_0_ref (documented there as
    /// bit-exact with ggml-quants.c): ties of roundf (2.5, -126.5), 0.49999997, an all-zero block and a
    /// block whose scale is an fp16 subnormal.
    private let q8Rows: [([Float], String)] = [
        ((0..<32).map { Float($0 - 16) }, "083081899199a1a9b1b9c0c8d0d8e0e8f0f8000810182028303840474f575f676f77"),
        (
            [127, -127, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5, 126.5, -126.5, 0.49999997, -0.49999997]
                + (0..<20).map { 3.25 * Float($0) - 40 },
            "003c7f8103fd01ff02fe7f810000d8dbdee2e5e8ebeff2f5f8fcff0206090c0f1316"
        ),
        ([Float](repeating: 0, count: 32), String(repeating: "00", count: 34)),
        (
            (0..<32).map { Float(1e-3 * sin(Double($0))) },
            "8400006b7312a086dd537e34bb81bc357e53db86a113746aff958def617922ac83cd"
        ),
    ]

    func testQuantizeRowQ8_0_producesGGMLBytes() throws {
        for (x, want) in q8Rows {
            var out = [UInt8](repeating: 0xAA, count: 34)
            x.withUnsafeBufferPointer { qb_quantize_row_q8_0_scalar($0.baseAddress, &out, nil, nil, 0, 32) }
            XCTAssertEqual(out, KernelTestSupport.hex(want), "row starting \(x[0])")
        }
    }

    /// The C q8_k routine (scalar_kquant.c) writes the bytes of the Swift port of ggml's quantize_row_q8_K_ref
    /// (GGMLKQuants.swift: d, qs, bsums), on random rows, a row whose largest magnitude is negative, an all-zero
    /// super-block and one where +max and -max tie (the first wins, as ggml's scan keeps it).
    func testQuantizeRowQ8_K_matchesTheSwiftPortOfGGML() throws {
        var rng = SplitMix64(seed: 0x8b)
        var rows: [[Float]] = (0..<6).map { _ in (0..<768).map { _ in Float(rng.uniform() * 8 - 4) } }
        rows[1][300] = -50
        for j in 256..<512 { rows[2][j] = 0 }
        rows[3][10] = 9; rows[3][20] = -9
        for x in rows {
            var c = [UInt8](repeating: 0xAA, count: 3 * 292)
            var swift = [UInt8](repeating: 0x55, count: 3 * 292)
            x.withUnsafeBufferPointer { qb_quantize_row_q8_k_scalar($0.baseAddress, &c, nil, nil, 0, 768) }
            x.withUnsafeBufferPointer { xp in
                swift.withUnsafeMutableBytes { GGMLRef.quantizeQ8_K(xp.baseAddress!, $0.baseAddress!, nBlocks: 3) }
            }
            XCTAssertEqual(c, swift, "row starting \(x[0])")
        }
    }

    /// q8_1 is q8_0's bytes plus s = fp16(sum(q) * d), d = amax/127 before its fp16 rounding.
    /// Random rows (wide dynamic range, a few exact halves) against gguf-py's Q8_0 quantizer when it is installed.
    func testQuantizeRowQ8_0_matchesGGUFPyOnRandomRows() throws {
        #if os(Linux) || os(macOS)
        // The python3 on PATH first: that is where `make test-deps` pip-installs gguf.
        let py =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try Oracle.require("gguf-py", py != nil, "python3 not found")
        let python = py!
        var rng = KernelRNG(seed: 99)
        let K = 32 * 64
        var x = (0..<K).map { i -> Float in
            let scale: Float = [0.001, 1, 40][i / 32 % 3]
            return rng.float(-1, 1) * scale
        }
        for i in stride(from: 5, to: K, by: 97) { x[i] = Float(Int(x[i] * 4)) / 2 + 0.5 }  // halves: roundf ties
        let dir = try TestPaths.scratch()
        let inFile = dir.appendingPathComponent("x.f32"), outFile = dir.appendingPathComponent("q8.bin")
        try x.withUnsafeBytes { try Data($0).write(to: inFile) }
        let script = """
            import sys
            try:
                import numpy as np
                import gguf
            except Exception:
                sys.exit(3)
            a = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, 32)
            gguf.quants.quantize(a, gguf.GGMLQuantizationType.Q8_0).tofile(sys.argv[2])
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, inFile.path, outFile.path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try Oracle.require(
            "gguf-py", p.terminationStatus != 3, "python gguf/numpy not installed for \(python) (pip install gguf)")
        XCTAssertEqual(p.terminationStatus, 0)
        let want = [UInt8](try Data(contentsOf: outFile))
        var got = [UInt8](repeating: 0, count: K / 32 * 34)
        x.withUnsafeBufferPointer { qb_quantize_row_q8_0_scalar($0.baseAddress, &got, nil, nil, 0, Int32(K)) }
        XCTAssertEqual(got.count, want.count)
        XCTAssertEqual(
            got, want, "first differing byte at \(zip(got, want).enumerated().first { $0.1.0 != $0.1.1 }?.offset ?? -1)"
        )
        #else
        throw XCTSkip("needs a POSIX host with python3")
        #endif
    }

    func testQuantizeRowQ8_1_isQ8_0PlusScaledSum() throws {
        for (x, want) in q8Rows {
            var out = [UInt8](repeating: 0xAA, count: 36)
            x.withUnsafeBufferPointer { qb_quantize_row_q8_1_scalar($0.baseAddress, &out, nil, nil, 0, 32) }
            let q8 = KernelTestSupport.hex(want)
            XCTAssertEqual(Array(out[0..<2]), Array(q8[0..<2]))
            XCTAssertEqual(Array(out[4..<36]), Array(q8[2..<34]))
            let sum = q8[2...].reduce(0) { $0 + Int(Int8(bitPattern: $1)) }
            let d = x.map { abs($0) }.max()! / 127
            let s = Float16(Float(sum) * d).bitPattern
            XCTAssertEqual(UInt16(out[2]) | UInt16(out[3]) << 8, s)
        }
    }

    func testQuantizeRowI8PT_roundsHalfAwayWithTrueDivisionAndGroupSums() throws {
        // amax 127 gives s = 1: x/s is exact, so the rounding rule alone decides.
        let x: [Float] = [127, -2.5, 2.5, 0.5, -0.5, 1.49999988, 3, -127] + [Float](repeating: 1, count: 24)
        var q = [Int8](repeating: 0, count: 32)
        var s: Float = 0
        var sums = [Int32](repeating: 0, count: 2)
        x.withUnsafeBufferPointer { qb_quantize_row_i8_pt_scalar($0.baseAddress, &q, &s, &sums, 16, 32) }
        XCTAssertEqual(s, 1)
        XCTAssertEqual(Array(q[0..<8]), [127, -3, 3, 1, -1, 1, 3, -127])
        XCTAssertEqual(sums, [Int32(q[0..<16].reduce(0) { $0 + Int($1) }), 16])
        var zq = [Int8](repeating: 5, count: 4)
        var zs: Float = -1
        [Float](repeating: 0, count: 4).withUnsafeBufferPointer {
            qb_quantize_row_i8_pt_scalar($0.baseAddress, &zq, &zs, nil, 0, 4)
        }
        XCTAssertEqual(zq, [0, 0, 0, 0])
        XCTAssertEqual(zs, 0)
    }

    func testQuantizeRowQ8_0_zeroPadsAPartialLastBlock() throws {
        let x: [Float] = (0..<40).map { Float($0) - 20 }
        var out = [UInt8](repeating: 0xAA, count: 68)
        x.withUnsafeBufferPointer { qb_quantize_row_q8_0_scalar($0.baseAddress, &out, nil, nil, 0, 40) }
        var full = [Float](repeating: 0, count: 64)
        for i in 0..<40 { full[i] = x[i] }
        var want = [UInt8](repeating: 0, count: 68)
        full.withUnsafeBufferPointer { qb_quantize_row_q8_0_scalar($0.baseAddress, &want, nil, nil, 0, 64) }
        XCTAssertEqual(out, want)
    }

    func testBF16Quantizer_roundsToNearestEvenAndKeepsNaNQuiet() throws {
        let x: [Float] = [1.0, Float(bitPattern: 0x3f80_8000), Float(bitPattern: 0x3f81_8000), -0.0, .infinity, .nan]
        var out = [UInt16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { qb_quantize_row_bf16_scalar($0.baseAddress, &out, nil, nil, 0, Int32(x.count)) }
        XCTAssertEqual(Array(out[0..<5]), [0x3f80, 0x3f80, 0x3f82, 0x8000, 0x7f80])
        XCTAssertEqual(out[5] & 0x7fc0, 0x7fc0)
    }
}
