// Byte-exact agreement of the ggml block formats with gguf.quants (ggml's reference quantizers in
// numpy), and bit-exact dequantization. Skips when python3 lacks the `gguf` package.
import XCTest
@testable import QBenchFormats

final class GGMLReferenceTests: XCTestCase {
    static let rows = 3, k = 512

    /// Quantizes every test row family with our code and with gguf.quants; bytes must be identical.
    private func assertQuantizeMatchesGGUF(
        _ format: WeightFormat, kinds: [TestRows] = TestRows.allCases,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let ref = try GGUFReference.require("quantize_\(format.rawValue)")
        let inputs = kinds.enumerated().map { i, kind in kind.make(rows: Self.rows, k: Self.k, seed: 1000 + UInt64(i)) }
        let jobs = inputs.map {
            GGUFReference.Job(op: "quantize", type: format.rawValue, rows: Self.rows, k: Self.k, input: floatBytes($0))
        }
        let expected = try ref.run(jobs)
        for (i, kind) in kinds.enumerated() {
            let ours = try format.quantize(inputs[i], rows: Self.rows, k: Self.k).data
            XCTAssertEqual(
                ours, expected[i], "\(format.rawValue) on \(kind) rows: \(firstDifference(ours, expected[i]))",
                file: file, line: line)
        }
    }

    /// Dequantizes the same bytes with our code and gguf.quants; floats must be bit-identical.
    /// The bytes are our quantization of each row family plus random blocks with finite fp16 scales.
    private func assertDequantizeMatchesGGUF(
        _ format: WeightFormat, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let ref = try GGUFReference.require("dequantize_\(format.rawValue)")
        var blobs: [[UInt8]] = try TestRows.allCases.enumerated().map { i, kind in
            try format.quantize(
                kind.make(rows: Self.rows, k: Self.k, seed: 2000 + UInt64(i)), rows: Self.rows, k: Self.k
            ).data
        }
        blobs.append(randomBlocks(format, seed: 77))
        let jobs = blobs.map {
            GGUFReference.Job(op: "dequantize", type: format.rawValue, rows: Self.rows, k: Self.k, input: $0)
        }
        let expected = try ref.run(jobs)
        for (i, blob) in blobs.enumerated() {
            let q = try QuantizedMatrix(format: format, rows: Self.rows, k: Self.k, data: blob)
            let ours = q.dequantize().map(\.bitPattern)
            let theirs = floats(fromBytes: expected[i]).map(\.bitPattern)
            let bad = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }
            XCTAssertNil(
                bad,
                "\(format.rawValue) blob \(i): element \(bad?.offset ?? -1) "
                    + "ours 0x\(String(bad?.element.0 ?? 0, radix: 16)) "
                    + "reference 0x\(String(bad?.element.1 ?? 0, radix: 16))",
                file: file, line: line)
            XCTAssertEqual(ours.count, theirs.count, file: file, line: line)
        }
    }

    /// Random bytes, with every fp16 scale field replaced by a finite value (random bits there would
    /// make NaN payload propagation, not the format, the thing under test).
    private func randomBlocks(_ format: WeightFormat, seed: UInt64) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        let n = (try? format.rowBytes(k: Self.k)).map { $0 * Self.rows } ?? 0
        var b = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let scaleOffsets: [Int]
        switch format {
        case .q8_0, .q4_0, .q5_0: scaleOffsets = [0]
        case .q4_1, .q4_k: scaleOffsets = [0, 2]
        case .q6_k: scaleOffsets = [208]
        default: scaleOffsets = []
        }
        let bb = format.blockBytes
        for blk in 0..<(n / bb) {
            for off in scaleOffsets {
                let h = FloatBits.f16(Float(rng.normal()) * 0.01)
                b[blk * bb + off] = UInt8(h & 0xFF)
                b[blk * bb + off + 1] = UInt8(h >> 8)
            }
            if format == .mxfp4 && b[blk * bb] == 0xFF { b[blk * bb] = 0xFE }  // 0xFF: OCP NaN, ggml 2^127
        }
        return b
    }

    func testQ8_0_quantizeIsByteIdenticalToGGUF() throws { try assertQuantizeMatchesGGUF(.q8_0) }
    func testQ4_0_quantizeIsByteIdenticalToGGUF() throws { try assertQuantizeMatchesGGUF(.q4_0) }
    func testQ4_1_quantizeIsByteIdenticalToGGUF() throws { try assertQuantizeMatchesGGUF(.q4_1) }
    func testQ5_0_quantizeIsByteIdenticalToGGUF() throws { try assertQuantizeMatchesGGUF(.q5_0) }
    func testBF16_quantizeIsByteIdenticalToGGUF() throws { try assertQuantizeMatchesGGUF(.bf16) }

    func testQ8_0_dequantizeIsBitIdenticalToGGUF() throws { try assertDequantizeMatchesGGUF(.q8_0) }
    func testQ4_0_dequantizeIsBitIdenticalToGGUF() throws { try assertDequantizeMatchesGGUF(.q4_0) }
    func testQ4_1_dequantizeIsBitIdenticalToGGUF() throws { try assertDequantizeMatchesGGUF(.q4_1) }
    func testQ5_0_dequantizeIsBitIdenticalToGGUF() throws { try assertDequantizeMatchesGGUF(.q5_0) }
    func testQ4_K_dequantizeIsBitIdenticalToGGUF() throws { try assertDequantizeMatchesGGUF(.q4_k) }
    func testQ6_K_dequantizeIsBitIdenticalToGGUF() throws { try assertDequantizeMatchesGGUF(.q6_k) }
    func testMXFP4_dequantizeIsBitIdenticalToGGUF() throws { try assertDequantizeMatchesGGUF(.mxfp4) }

    /// gguf.quants has no q4_K/q6_K quantizer, so the bytes are checked against the script's own
    /// scalar f32 transcription of ggml's quantize_row_q4_K_ref / q6_K_ref (an independent port).
    /// GGMLCReferenceFixtureTests checks them against bytes from ggml's C code itself.
    private func assertKQuantMatchesPort(
        _ format: WeightFormat, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let ref = try GGUFReference.require("port_\(format.rawValue)")
        let kinds = TestRows.allCases
        let inputs = kinds.enumerated().map { i, kind in kind.make(rows: 4, k: 256, seed: 3000 + UInt64(i)) }
        let jobs = inputs.map {
            GGUFReference.Job(op: "port-quantize", type: format.rawValue, rows: 4, k: 256, input: floatBytes($0))
        }
        let expected = try ref.run(jobs)
        for (i, kind) in kinds.enumerated() {
            let ours = try format.quantize(inputs[i], rows: 4, k: 256).data
            XCTAssertEqual(
                ours, expected[i], "\(format.rawValue) on \(kind) rows: \(firstDifference(ours, expected[i]))",
                file: file, line: line)
        }
    }

    func testQ4_K_quantizeMatchesIndependentPortOfGGMLReference() throws { try assertKQuantMatchesPort(.q4_k) }
    func testQ6_K_quantizeMatchesIndependentPortOfGGMLReference() throws { try assertKQuantMatchesPort(.q6_k) }

    /// On data without E2M1 ties, our OCP quantizer and ggml's agree byte for byte.
    func testMXFP4_quantizeMatchesGGUFAwayFromTies() throws {
        try assertQuantizeMatchesGGUF(.mxfp4, kinds: [.normal, .studentT, .laplace, .zeros, .singleOutlier])
    }

    /// At an exact E2M1 tie the OCP spec rounds to even; ggml keeps the smaller magnitude. Documented
    /// divergence: 0.75*X becomes 1.0*X here (code 2) and 0.5*X in ggml (code 1).
    func testMXFP4_roundsExactTiesToEvenUnlikeGGML() throws {
        var x = [Float](repeating: 0, count: 32)
        x[0] = 4  // amax 4: X = 2^(2-2) = 1
        x[1] = 0.75  // tie between 0.5 (code 1) and 1.0 (code 2): even mantissa is 1.0
        x[2] = -1.75  // tie between 1.5 (code 3) and 2.0 (code 4): even is 2.0
        x[3] = 2.5  // tie between 2 (code 4) and 3 (code 5): even is 2
        x[4] = 5  // tie between 4 (code 6) and 6 (code 7): even is 4
        let q = try WeightFormat.mxfp4.quantize(x, rows: 1, k: 32)
        XCTAssertEqual(q.data[0], 127)  // E8M0 of 2^0
        XCTAssertEqual(q.data[1], 6 | (0 << 4))  // byte 0: elements 0 (4.0 -> code 6) and 16
        XCTAssertEqual(q.data[2], 2)  // 0.75 -> 1.0
        XCTAssertEqual(q.data[3], 8 | 4)  // -1.75 -> -2.0
        XCTAssertEqual(q.data[4], 4)  // 2.5 -> 2.0
        XCTAssertEqual(q.data[5], 6)  // 5 -> 4
    }

    func testMXFP4_ggmlRoundsTiesTowardZeroAsDocumented() throws {
        var x = [Float](repeating: 0, count: 32)
        x[0] = 4
        x[1] = 0.75
        let ref = try GGUFReference.require()
        let theirs = try ref.run([.init(op: "quantize", type: "mxfp4", rows: 1, k: 32, input: floatBytes(x))])[0]
        XCTAssertEqual(theirs[2], 1, "ggml rounds the 0.75 tie down to 0.5; if this changed, update docs/formats.md")
    }
}
