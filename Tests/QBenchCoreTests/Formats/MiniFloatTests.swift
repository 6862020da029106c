// FP8 (E4M3, E5M2), FP4 E2M1 and E8M0 against the values in the OCP 8-bit FP and MX v1.0 specs,
// plus a brute-force nearest-even check over many f32 values.
import XCTest
@testable import QBenchFormats

final class MiniFloatTests: XCTestCase {
    func testE4M3_specValues() {
        XCTAssertEqual(FP8E4M3.decode(0x7E), 448)  // max normal S.1111.110
        XCTAssertEqual(FP8E4M3.decode(0x08), 0x1p-6)  // min normal
        XCTAssertEqual(FP8E4M3.decode(0x07), 0.875 * 0x1p-6)  // max subnormal
        XCTAssertEqual(FP8E4M3.decode(0x01), 0x1p-9)  // min subnormal
        XCTAssertEqual(FP8E4M3.decode(0x38), 1)
        XCTAssertTrue(FP8E4M3.decode(0x7F).isNaN)  // S.1111.111 is the only NaN
        XCTAssertTrue(FP8E4M3.decode(0xFF).isNaN)
        XCTAssertEqual(FP8E4M3.decode(0x78), 256)  // exponent 1111 is finite (no inf)
        XCTAssertEqual(FP8E4M3.encode(448), 0x7E)
        XCTAssertEqual(FP8E4M3.encode(1), 0x38)
        XCTAssertEqual(FP8E4M3.encode(0x1p-9), 0x01)
        XCTAssertEqual(FP8E4M3.encode(0x1p-10), 0x00)  // tie with 0: even
        XCTAssertEqual(FP8E4M3.encode(1.5 * 0x1p-10), 0x01)
        XCTAssertEqual(FP8E4M3.encode(464), 0x7E)  // tie 448..(480): even is 448
        XCTAssertEqual(FP8E4M3.encode(1000), 0x7E)  // saturates
        XCTAssertEqual(FP8E4M3.encode(-.infinity), 0xFE)  // saturates, sign kept
        XCTAssertEqual(FP8E4M3.encode(.nan), 0x7F)
        XCTAssertEqual(FP8E4M3.encode(-0.0), 0x80)
    }

    func testE5M2_specValues() {
        XCTAssertEqual(FP8E5M2.decode(0x7B), 57344)  // max normal S.11110.11
        XCTAssertEqual(FP8E5M2.decode(0x04), 0x1p-14)  // min normal
        XCTAssertEqual(FP8E5M2.decode(0x03), 0.75 * 0x1p-14)  // max subnormal
        XCTAssertEqual(FP8E5M2.decode(0x01), 0x1p-16)  // min subnormal
        XCTAssertEqual(FP8E5M2.decode(0x7C), .infinity)
        XCTAssertEqual(FP8E5M2.decode(0xFC), -.infinity)
        for c: UInt8 in [0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF] { XCTAssertTrue(FP8E5M2.decode(c).isNaN) }
        XCTAssertEqual(FP8E5M2.encode(1), 0x3C)
        XCTAssertEqual(FP8E5M2.encode(57344), 0x7B)
        XCTAssertEqual(FP8E5M2.encode(61440), 0x7B)  // tie 57344..(65536): even is 57344
        XCTAssertEqual(FP8E5M2.encode(1e9), 0x7B)  // saturates instead of inf
        XCTAssertEqual(FP8E5M2.encode(.infinity), 0x7B)
        XCTAssertEqual(FP8E5M2.encode(0x1p-17), 0x00)  // tie with 0: even
        XCTAssertEqual(FP8E5M2.encode(-.nan) & 0x7F, 0x7E)
    }

    /// Brute force: the encoded value must be the nearest finite code (ties to even mantissa),
    /// saturating at the largest finite magnitude.
    private func assertNearestEven(
        _ f: Float, encode: (Float) -> UInt8, decode: (UInt8) -> Float, maxFinite: Float,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let c = encode(f)
        let got = decode(c)
        let target = min(abs(f), maxFinite)
        var best: Float = 0, bestCode: UInt8 = 0, bestErr = Double.infinity
        for code in UInt8(0)...0x7F {
            let v = decode(code)
            guard v.isFinite else { continue }
            let err = abs(Double(v) - Double(target))
            if err < bestErr || (err == bestErr && (code & 1) == 0) { bestErr = err; best = v; bestCode = code }
        }
        XCTAssertEqual(
            abs(got), best,
            "f32 \(f) (0x\(String(f.bitPattern, radix: 16))): got code 0x\(String(c, radix: 16)), "
                + "nearest-even 0x\(String(bestCode, radix: 16))",
            file: file, line: line)
        XCTAssertEqual(c & 0x80, f.sign == .minus ? 0x80 : 0, "sign", file: file, line: line)
    }

    func testFP8_encodeIsNearestEvenOverTiesAndRandomValues() {
        var rng = SeededRandom(seed: 8)
        var probes: [Float] = []
        // Every code value, the midpoints between neighbours, and one f32 ulp either side.
        for dec in [FP8E4M3.decode, FP8E5M2.decode] {
            let vals = (UInt8(0)...0x7F).map(dec).filter(\.isFinite).sorted()
            for (a, b) in zip(vals, vals.dropFirst()) {
                let m = (a + b) / 2
                probes += [a, m, m.nextUp, m.nextDown]
            }
        }
        for _ in 0..<5000 {
            probes.append(Float(rng.normal()) * Float(sign: .plus, exponent: rng.int(-20...17), significand: 1))
        }
        for p in probes {
            for f in [p, -p] {
                assertNearestEven(f, encode: FP8E4M3.encode, decode: FP8E4M3.decode, maxFinite: 448)
                assertNearestEven(f, encode: FP8E5M2.encode, decode: FP8E5M2.decode, maxFinite: 57344)
            }
        }
    }

    func testFP8_everyFiniteCodeRoundTrips() {
        for c in UInt8(0)...0xFF {
            let v4 = FP8E4M3.decode(c)
            if !v4.isNaN { XCTAssertEqual(FP8E4M3.encode(v4), c, "e4m3 0x\(String(c, radix: 16))") }
            let v5 = FP8E5M2.decode(c)
            if v5.isFinite { XCTAssertEqual(FP8E5M2.encode(v5), c, "e5m2 0x\(String(c, radix: 16))") }
        }
    }

    func testE2M1_valueTableRoundingAndSaturation() {
        XCTAssertEqual((0..<8).map { FP4E2M1.decode(UInt8($0)) }, [0, 0.5, 1, 1.5, 2, 3, 4, 6])
        XCTAssertEqual((8..<16).map { FP4E2M1.decode(UInt8($0)) }, [-0.0, -0.5, -1, -1.5, -2, -3, -4, -6])
        XCTAssertEqual(FP4E2M1.encode(0.25), 0)  // tie 0..0.5: even (0)
        XCTAssertEqual(FP4E2M1.encode(0.26), 1)
        XCTAssertEqual(FP4E2M1.encode(0.75), 2)  // tie 0.5..1: even (1.0 = 0b010)
        XCTAssertEqual(FP4E2M1.encode(2.5), 4)  // tie 2..3: even (2)
        XCTAssertEqual(FP4E2M1.encode(5), 6)  // tie 4..6: even (4)
        XCTAssertEqual(FP4E2M1.encode(5.01), 7)
        XCTAssertEqual(FP4E2M1.encode(7.9), 7)  // saturates at 6
        XCTAssertEqual(FP4E2M1.encode(-100), 0xF)
    }

    func testE8M0_decodesPowersOfTwoAndNaN() {
        XCTAssertEqual(E8M0.decode(127), 1)
        XCTAssertEqual(E8M0.decode(0), 0x1p-127)
        XCTAssertEqual(E8M0.decode(254), 0x1p127)
        XCTAssertTrue(E8M0.decode(255).isNaN)
        for e in UInt8(0)...254 { XCTAssertEqual(E8M0.decodeHalf(e) * 2, E8M0.decode(e)) }
    }

    func testMXFP4_sharedScaleIsFloorLog2AmaxMinusTwo() throws {
        func block(_ amax: Float) throws -> [UInt8] {
            var x = [Float](repeating: 0.1, count: 32)
            x[5] = amax
            return try WeightFormat.mxfp4.quantize(x, rows: 1, k: 32).data
        }
        XCTAssertEqual(try block(6)[0], 127)  // floor(log2 6) = 2 -> X = 2^0
        XCTAssertEqual(try block(6)[6] & 0xF, 7)  // element 5: 6/1 = code 7
        XCTAssertEqual(try block(7.9)[0], 127)
        XCTAssertEqual(try block(7.9)[6] & 0xF, 7)  // 7.9 saturates to 6
        XCTAssertEqual(try block(8)[0], 128)  // X = 2: 8/2 = 4 = code 6
        XCTAssertEqual(try block(8)[6] & 0xF, 6)
        XCTAssertEqual(try block(Float(8).nextDown)[0], 127)  // exact floor, not a rounded log2
        let zero = try WeightFormat.mxfp4.quantize([Float](repeating: 0, count: 32), rows: 1, k: 32)
        XCTAssertEqual(zero.data, [UInt8](repeating: 0, count: 17))
    }
}
