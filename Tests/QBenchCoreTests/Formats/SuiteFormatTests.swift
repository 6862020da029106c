// The suite's formats (i8_pc, i4_gN, u4_gN, fp8) against docs/layouts.md byte for byte, their
// error bounds, and the WeightFormat / QuantizedMatrix / ActivationFormat surface.
import XCTest
@testable import QBenchSupport
@testable import QBenchFormats

final class SuiteFormatTests: XCTestCase {
    private func gaussianRows(_ rows: Int, _ k: Int, seed: UInt64, scale: Double = 0.02) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(rows * k)).map { _ in Float(rng.normal() * scale) }
    }

    // MARK: layouts

    func testI8PC_roundsHalfAwayFromZeroWithScaleAbsmaxOver127() throws {
        let x: [Float] = [127, 0.5, -0.5, 1.5, -2.5, 2.4, -126.6, 0]
        let q = try WeightFormat.i8_pc.quantize(x, rows: 1, k: 8)
        XCTAssertEqual(q.scales, [1])
        XCTAssertEqual(q.data.map { Int8(bitPattern: $0) }, [127, 1, -1, 2, -3, 2, -127, 0])
        XCTAssertEqual(q.dequantize(), [127, 1, -1, 2, -3, 2, -127, 0])
    }

    func testI4_packsOffsetBinaryNibblesLikeQ4_0PerSubBlock() throws {
        // One row of 64 = two 32-element sub-blocks; group 64, absmax 7 -> s = 1, q = x.
        var x = [Float](repeating: 0, count: 64)
        for i in 0..<64 { x[i] = Float((i % 15) - 7) }
        let q = try WeightFormat.i4_g64.quantize(x, rows: 1, k: 64)
        XCTAssertEqual(q.scales, [1])
        XCTAssertEqual(q.data.count, 32)
        for sb in 0..<2 {
            for j in 0..<16 {
                let lo = Int(x[32 * sb + j]) + 8, hi = Int(x[32 * sb + j + 16]) + 8
                XCTAssertEqual(Int(q.data[16 * sb + j]), lo | (hi << 4), "sub-block \(sb) byte \(j)")
            }
        }
        XCTAssertEqual(q.dequantize(), x)
    }

    func testU4_storesZeroPointAndUnsignedCodes() throws {
        // Group of 32 with range [-3, 12]: s = 15/15 = 1, z = 3, q = x + 3.
        var x = [Float](repeating: 0, count: 32)
        for i in 0..<32 { x[i] = Float(i % 16) - 3 }
        let q = try WeightFormat.u4_g32.quantize(x, rows: 1, k: 32)
        XCTAssertEqual(q.scales, [1])
        XCTAssertEqual(q.zeros, [3])
        for j in 0..<16 {
            XCTAssertEqual(Int(q.data[j]), (Int(x[j]) + 3) | ((Int(x[j + 16]) + 3) << 4))
        }
        XCTAssertEqual(q.dequantize(), x)
    }

    func testU4_allPositiveGroupKeepsZeroInRange() throws {
        let x = (0..<32).map { Float(10 + $0 % 4) }  // 10...13: range is widened to [0, 13]
        let q = try WeightFormat.u4_g32.quantize(x, rows: 1, k: 32)
        XCTAssertEqual(q.zeros, [0])
        XCTAssertEqual(q.scales[0], 13 / 15, accuracy: 1e-7)
        let y = q.dequantize()
        for (a, b) in zip(x, y) { XCTAssertLessThanOrEqual(abs(a - b), q.scales[0] / 2 * 1.0001) }
    }

    // MARK: error bounds

    func testI8PC_I4_errorIsAtMostHalfAStep() throws {
        let rows = 8, k = 256
        let x = gaussianRows(rows, k, seed: 5)
        for fmt in [WeightFormat.i8_pc, .i4_g32, .i4_g64, .i4_g128] {
            let q = try fmt.quantize(x, rows: rows, k: k)
            let y = q.dequantize()
            let spr = fmt.scalesPerRow(k: k)
            for i in 0..<(rows * k) {
                let s = q.scales[(i / k) * spr + (i % k) / (k / spr)]
                XCTAssertLessThanOrEqual(abs(x[i] - y[i]), s / 2 * 1.0001, "\(fmt.rawValue) element \(i)")
            }
        }
    }

    func testU4_errorIsAtMostOneStepAndUsuallyHalf() throws {
        let rows = 8, k = 256
        let x = gaussianRows(rows, k, seed: 6)
        for fmt in [WeightFormat.u4_g32, .u4_g64, .u4_g128] {
            let q = try fmt.quantize(x, rows: rows, k: k)
            let y = q.dequantize()
            let g = fmt.groupSize
            var withinHalf = 0
            for i in 0..<(rows * k) {
                let s = q.scales[i / g]
                let e = abs(x[i] - y[i])
                // Rounding z can push the group's top value one step past 15, where it clamps.
                XCTAssertLessThanOrEqual(e, s * 1.0001, "\(fmt.rawValue) element \(i)")
                if e <= s / 2 * 1.0001 { withinHalf += 1 }
            }
            XCTAssertGreaterThan(Double(withinHalf) / Double(rows * k), 0.99, fmt.rawValue)
        }
    }

    func testFP8_relativeErrorWithinHalfAnUlpForNormals() throws {
        let rows = 4, k = 512
        let x = gaussianRows(rows, k, seed: 7)
        for (fmt, mBits, minNormal) in [(WeightFormat.fp8_e4m3, 3, Float(0x1p-6)), (.fp8_e5m2, 2, Float(0x1p-14))] {
            let q = try fmt.quantize(x, rows: rows, k: k)
            let y = q.dequantize()
            for i in 0..<(rows * k) {
                let s = q.scales[i / k]
                guard abs(x[i]) / s >= minNormal else { continue }
                XCTAssertLessThanOrEqual(
                    abs(x[i] - y[i]) / abs(x[i]), Float(sign: .plus, exponent: -mBits - 1, significand: 1) * 1.0001,
                    "\(fmt.rawValue) element \(i)")
            }
            // The row maximum maps to the format's largest finite value exactly.
            let row0 = x[0..<k].map(abs).max()!
            XCTAssertEqual(q.scales[0], row0 / (fmt == .fp8_e4m3 ? 448 : 57344))
        }
    }

    func testEveryFormat_zeroRowsQuantizeToZero() throws {
        let x = [Float](repeating: 0, count: 2 * 256)
        for fmt in WeightFormat.allCases {
            let y = try fmt.roundTrip(x, rows: 2, k: 256)
            XCTAssertEqual(y, x, fmt.rawValue)
        }
    }

    func testEveryFormat_errorShrinksWithMoreBits() throws {
        let rows = 4, k = 1024
        let x = gaussianRows(rows, k, seed: 9)
        func sqnr(_ f: WeightFormat) throws -> Double {
            try ErrorMetrics.compute(original: x, reconstructed: f.roundTrip(x, rows: rows, k: k)).sqnrDb
        }
        // Theory: about 6 dB per bit; these orderings hold with wide margins on Gaussian weights.
        XCTAssertEqual(try sqnr(.f32), .infinity)
        XCTAssertGreaterThan(try sqnr(.f16), try sqnr(.bf16))
        XCTAssertGreaterThan(try sqnr(.bf16), try sqnr(.q8_0))
        XCTAssertGreaterThan(try sqnr(.q8_0), try sqnr(.q6_k))
        XCTAssertGreaterThan(try sqnr(.q6_k), try sqnr(.q5_0))
        XCTAssertGreaterThan(try sqnr(.q5_0), try sqnr(.q4_0))
        XCTAssertGreaterThan(try sqnr(.i4_g32), try sqnr(.i4_g128))
        XCTAssertGreaterThan(try sqnr(.q8_0), 35)
        XCTAssertGreaterThan(try sqnr(.q4_0), 15)
        for f in WeightFormat.allCases { XCTAssertGreaterThan(try sqnr(f), 10, f.rawValue) }
    }

    // MARK: WeightFormat surface

    func testWeightFormat_canonicalNamesAreExactlyTheProductList() {
        XCTAssertEqual(
            WeightFormat.allCases.map(\.rawValue),
            [
                "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q4_k", "q5_k", "q6_k", "i8_pc",
                "i4_g32", "i4_g64", "i4_g128", "u4_g32", "u4_g64", "u4_g128", "fp8_e4m3", "fp8_e5m2", "mxfp4",
            ])
    }

    func testWeightFormat_bitsPerWeightAndRowBytes() throws {
        let expected: [WeightFormat: Double] = [
            .f32: 32, .f16: 16, .bf16: 16, .q8_0: 8.5, .q4_0: 4.5, .q4_1: 5, .q5_0: 5.5, .q4_k: 4.5, .q5_k: 5.5,
            .q6_k: 6.5625,
            .i8_pc: 8, .i4_g32: 5, .i4_g64: 4.5, .i4_g128: 4.25, .u4_g32: 5.25, .u4_g64: 4.625, .u4_g128: 4.3125,
            .fp8_e4m3: 8, .fp8_e5m2: 8, .mxfp4: 4.25,
        ]
        for f in WeightFormat.allCases { XCTAssertEqual(f.bitsPerWeight, expected[f], f.rawValue) }
        XCTAssertEqual(try WeightFormat.q4_0.rowBytes(k: 4096), 4096 / 32 * 18)
        XCTAssertEqual(try WeightFormat.q6_k.rowBytes(k: 4096), 16 * 210)
        XCTAssertEqual(try WeightFormat.i4_g128.rowBytes(k: 4096), 2048)
        XCTAssertEqual(try WeightFormat.u4_g32.bytes(rows: 2, k: 64), 2 * (32 + 2 * 4 + 2))
        XCTAssertEqual(try WeightFormat.i8_pc.bytes(rows: 3, k: 10), 3 * (10 + 4))
        XCTAssertThrowsError(try WeightFormat.q4_k.rowBytes(k: 4000))
        XCTAssertThrowsError(try WeightFormat.i4_g64.rowBytes(k: 96))
        XCTAssertThrowsError(try WeightFormat.q8_0.rowBytes(k: 0))
        XCTAssertEqual(WeightFormat.q4_1.activationFormat, .q8_1)
        XCTAssertEqual(WeightFormat.q4_k.activationFormat, .q8_k)
        XCTAssertEqual(WeightFormat.u4_g64.activationFormat, .i8_pt)
        XCTAssertTrue(WeightFormat.q6_k.isGGML)
        XCTAssertFalse(WeightFormat.i4_g32.isGGML)
    }

    func testWeightFormat_isCodableByCanonicalName() throws {
        let data = try QBJSON.encode([WeightFormat.q4_k, .u4_g128], pretty: false)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), "[\"q4_k\",\"u4_g128\"]")
        XCTAssertEqual(try QBJSON.decoder().decode([WeightFormat].self, from: data), [.q4_k, .u4_g128])
    }

    func testQuantize_rejectsNonFiniteInputForScaledFormats() throws {
        var x = [Float](repeating: 1, count: 64)
        x[37] = .nan
        XCTAssertThrowsError(try WeightFormat.q4_0.quantize(x, rows: 1, k: 64)) { e in
            XCTAssertTrue("\(e)".contains("index 37"), "\(e)")
        }
        x[37] = .infinity
        XCTAssertThrowsError(try WeightFormat.i8_pc.quantize(x, rows: 1, k: 64))
        XCTAssertEqual(try WeightFormat.f16.roundTrip(x, rows: 1, k: 64)[37], .infinity)
        XCTAssertThrowsError(try WeightFormat.q8_0.quantize(x, rows: 2, k: 64), "wrong element count")
    }

    func testQuantizedMatrix_initChecksSideArraySizes() throws {
        XCTAssertNoThrow(
            try QuantizedMatrix(
                format: .u4_g32, rows: 2, k: 64, data: .init(repeating: 0, count: 64),
                scales: .init(repeating: 1, count: 4), zeros: .init(repeating: 0, count: 4)))
        XCTAssertThrowsError(
            try QuantizedMatrix(
                format: .u4_g32, rows: 2, k: 64, data: .init(repeating: 0, count: 64),
                scales: .init(repeating: 1, count: 4)))
        XCTAssertThrowsError(try QuantizedMatrix(format: .q4_0, rows: 2, k: 64, data: .init(repeating: 0, count: 71)))
    }

    func testQuantize_resultDoesNotDependOnThreadCount() throws {
        let x = gaussianRows(37, 256, seed: 11)
        for fmt in [WeightFormat.q4_0, .q4_k, .u4_g64, .i8_pc] {
            let one = try fmt.quantize(x, rows: 37, k: 256, threads: 1)
            let four = try fmt.quantize(x, rows: 37, k: 256, threads: 4)
            XCTAssertEqual(one, four, fmt.rawValue)
            XCTAssertEqual(one.dequantize(threads: 3), one.dequantize(), fmt.rawValue)
        }
    }

    func testRowAPI_matchesMatrixAPI() throws {
        let k = 256
        let x = gaussianRows(1, k, seed: 12)
        for fmt in WeightFormat.allCases {
            let m = try fmt.quantize(x, rows: 1, k: k)
            var data = [UInt8](repeating: 0xAA, count: try fmt.rowBytes(k: k))
            var scales = [Float](repeating: -1, count: fmt.scalesPerRow(k: k))
            var zeros = [UInt8](repeating: 0xAA, count: fmt.hasZeros ? fmt.scalesPerRow(k: k) : 0)
            try x.withUnsafeBufferPointer { xb in
                try data.withUnsafeMutableBytes { d in
                    try scales.withUnsafeMutableBufferPointer { s in
                        try zeros.withUnsafeMutableBufferPointer { z in
                            try fmt.quantizeRow(xb, data: d, scales: s, zeros: z)
                        }
                    }
                }
            }
            XCTAssertEqual(data, m.data, fmt.rawValue)
            XCTAssertEqual(scales, m.scales, fmt.rawValue)
            XCTAssertEqual(zeros, m.zeros, fmt.rawValue)
            var y = [Float](repeating: .nan, count: k)
            try data.withUnsafeBytes { d in
                try scales.withUnsafeBufferPointer { s in
                    try zeros.withUnsafeBufferPointer { z in
                        try y.withUnsafeMutableBufferPointer {
                            try fmt.dequantizeRow(data: d, scales: s, zeros: z, into: $0)
                        }
                    }
                }
            }
            XCTAssertEqual(y, m.dequantize(), fmt.rawValue)
        }
    }

    func testQ4_0_allNegativeZeroBlockStoresNegativeZeroScaleLikeGGML() throws {
        // ggml: max starts at +0 and is never replaced, d = 0 / -8 = -0 -> fp16 0x8000.
        let q = try WeightFormat.q4_0.quantize([Float](repeating: -0.0, count: 32), rows: 1, k: 32)
        XCTAssertEqual(q.data[0], 0x00)
        XCTAssertEqual(q.data[1], 0x80)
    }

    func testQ4_1_signedZeroMinimumIsTheFirstZeroLikeGGML() throws {
        // Positive block with +0 before -0: ggml's scan keeps +0 as the min (m = 0x0000).
        var x = (0..<32).map { Float($0 + 1) }
        x[0] = 0; x[1] = -0.0
        XCTAssertEqual(Array(try WeightFormat.q4_1.quantize(x, rows: 1, k: 32).data[2...3]), [0x00, 0x00])
        x[0] = -0.0; x[1] = 0
        XCTAssertEqual(Array(try WeightFormat.q4_1.quantize(x, rows: 1, k: 32).data[2...3]), [0x00, 0x80])
    }

    // MARK: activations

    func testActivations_q8_0MatchesWeightQ8_0AndQ8_1CarriesScaledSum() throws {
        let k = 256
        let x = gaussianRows(2, k, seed: 13, scale: 1)
        let a0 = try ActivationFormat.q8_0.quantize(x, rows: 2, k: k)
        XCTAssertEqual(a0.data, try WeightFormat.q8_0.quantize(x, rows: 2, k: k).data)
        let a1 = try ActivationFormat.q8_1.quantize(x, rows: 2, k: k)
        XCTAssertEqual(a1.rowBytes, k / 32 * 36)
        for b in 0..<(2 * k / 32) {
            let blk = Array(a1.data[(36 * b)..<(36 * b + 36)])
            // ggml multiplies by the f32 d (amax/127), not the fp16-rounded d stored beside it.
            let d = x[(32 * b)..<(32 * b + 32)].map(abs).max()! / 127
            let s = UInt16(blk[2]) | UInt16(blk[3]) << 8
            let sum = blk[4...].reduce(0) { $0 + Int(Int8(bitPattern: $1)) }
            XCTAssertEqual(s, FloatBits.f16(Float(sum) * d))
            // Same quants and d as q8_0.
            XCTAssertEqual(Array(blk[4...]), Array(a0.data[(34 * b + 2)..<(34 * b + 34)]))
            XCTAssertEqual(Array(blk[0..<2]), Array(a0.data[(34 * b)..<(34 * b + 2)]))
        }
    }

    func testActivations_q8_kHasBlockSumsAndF32Scale() throws {
        let x = gaussianRows(1, 256, seed: 14, scale: 1)
        let a = try ActivationFormat.q8_k.quantize(x, rows: 1, k: 256)
        XCTAssertEqual(a.data.count, 292)
        let qs = a.data[4..<260].map { Int8(bitPattern: $0) }
        let amaxIndex = x.indices.max { abs(x[$0]) < abs(x[$1]) }!
        XCTAssertEqual(abs(Int(qs[amaxIndex])), 127)
        for j in 0..<16 {
            let sum = qs[(16 * j)..<(16 * j + 16)].reduce(0) { $0 + Int($1) }
            let stored = Int16(bitPattern: UInt16(a.data[260 + 2 * j]) | UInt16(a.data[261 + 2 * j]) << 8)
            XCTAssertEqual(Int(stored), sum)
        }
        let y = a.dequantize()
        let m = try ErrorMetrics.compute(original: x, reconstructed: y)
        XCTAssertGreaterThan(m.sqnrDb, 35)
    }

    func testActivations_i8PerTokenScalesAndGroupSums() throws {
        let k = 128
        let x = gaussianRows(3, k, seed: 15, scale: 1)
        let a = try ActivationFormat.i8_pt.quantize(x, rows: 3, k: k, group: 32)
        XCTAssertEqual(a.scales.count, 3)
        XCTAssertEqual(a.sums.count, 3 * 4)
        for r in 0..<3 {
            let row = x[(r * k)..<(r * k + k)]
            XCTAssertEqual(a.scales[r], row.map(abs).max()! / 127)
            let q = a.data[(r * k)..<(r * k + k)].map { Int32(Int8(bitPattern: $0)) }
            for g in 0..<4 { XCTAssertEqual(a.sums[r * 4 + g], q[(32 * g)..<(32 * g + 32)].reduce(0, +)) }
        }
        // Same bytes as i8_pc weights (one rule for both sides).
        XCTAssertEqual(a.data, try WeightFormat.i8_pc.quantize(x, rows: 3, k: k).data)
        XCTAssertThrowsError(try ActivationFormat.i8_pt.quantize(x, rows: 3, k: k, group: 48))
        XCTAssertThrowsError(try ActivationFormat.q8_0.quantize(x, rows: 3, k: k, group: 32))
    }
}
