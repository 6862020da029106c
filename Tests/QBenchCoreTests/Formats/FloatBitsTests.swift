// Exhaustive checks of the f16 and bf16 conversions: every 16-bit pattern, every rounding tie
// between neighbouring 16-bit values, and random f32 patterns against an independent reference.
import XCTest
@testable import QBenchFormats

final class FloatBitsTests: XCTestCase {
    private func isNaN16(_ h: UInt16) -> Bool { (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0 }
    private func isNaNBF16(_ h: UInt16) -> Bool { (h & 0x7F80) == 0x7F80 && (h & 0x007F) != 0 }

    // MARK: binary16

    func testF16_everyPatternRoundTripsThroughF32() {
        var failures = 0
        for bits in 0...0xFFFF {
            let h = UInt16(bits)
            let f = FloatBits.f32(f16: h)
            let back = FloatBits.f16(f)
            // NaNs come back quiet (bit 9 set) with sign and payload kept; everything else exactly.
            let expected = isNaN16(h) ? h | 0x0200 : h
            if back != expected {
                failures += 1
                if failures < 5 { XCTFail("f16 0x\(String(h, radix: 16)) -> \(f) -> 0x\(String(back, radix: 16))") }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testF16_widenHasExactValuesForEveryPattern() {
        for bits in 0...0xFFFF {
            let h = UInt16(bits)
            let f = FloatBits.f32(f16: h)
            let s: Double = (h & 0x8000) != 0 ? -1 : 1
            let e = Int((h >> 10) & 0x1F), m = Double(h & 0x3FF)
            if e == 31 {
                XCTAssertTrue(m == 0 ? f.isInfinite : f.isNaN, "0x\(String(h, radix: 16))")
                if m != 0 { XCTAssertEqual(f.bitPattern & 0x7F_FFFF, UInt32(h & 0x3FF) << 13, "payload kept") }
                continue
            }
            let v =
                e == 0 ? s * m * 0x1p-24 : s * (1 + m / 1024) * Double(sign: .plus, exponent: e - 15, significand: 1)
            XCTAssertEqual(Double(f), v, "0x\(String(h, radix: 16))")
            XCTAssertEqual(f.sign == .minus, (h & 0x8000) != 0, "sign of 0x\(String(h, radix: 16))")
        }
    }

    #if !(os(macOS) && arch(x86_64))
    /// Swift's Float16 conversion (compiler-rt, IEEE round to nearest even) as the independent oracle.
    private func assertMatchesSwiftFloat16(_ f: Float, file: StaticString = #filePath, line: UInt = #line) {
        let ours = FloatBits.f16(f)
        let theirs = Float16(f).bitPattern
        if f.isNaN {
            XCTAssertTrue(isNaN16(ours) && (ours & 0x0200) != 0, "NaN must stay a quiet NaN", file: file, line: line)
            XCTAssertEqual(ours & 0x8000, theirs & 0x8000, "NaN sign", file: file, line: line)
        } else if ours != theirs {
            XCTFail(
                "f32 0x\(String(f.bitPattern, radix: 16)) (\(f)): ours 0x\(String(ours, radix: 16)), "
                    + "Float16 0x\(String(theirs, radix: 16))",
                file: file, line: line)
        }
    }

    func testF16_narrowMatchesSwiftFloat16AtEveryValueAndEveryTie() {
        for bits in 0..<0x7C00 {
            for sign: UInt16 in [0, 0x8000] {
                let lo = FloatBits.f32(f16: UInt16(bits) | sign)
                assertMatchesSwiftFloat16(lo)
                // The tie halfway to the next f16 up in magnitude (past 0x7BFF: to where 2^16 would be),
                // and the f32 values just either side of it.
                let hiMag: Double = bits == 0x7BFF ? 65536 : Double(abs(FloatBits.f32(f16: UInt16(bits + 1))))
                let mid = Float((Double(abs(lo)) + hiMag) / 2)  // exact in f32: one more bit than f16
                let signed = sign != 0 ? -mid : mid
                assertMatchesSwiftFloat16(signed)
                assertMatchesSwiftFloat16(signed.nextUp)
                assertMatchesSwiftFloat16(signed.nextDown)
            }
        }
    }

    func testF16_narrowMatchesSwiftFloat16OnRandomF32Patterns() {
        var rng = SeededRandom(seed: 16)
        for _ in 0..<1_000_000 {
            assertMatchesSwiftFloat16(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())))
        }
        // Concentrate on f16's range, where the bits matter.
        for _ in 0..<1_000_000 {
            let u = UInt32(truncatingIfNeeded: rng.next())
            let e = UInt32(rng.int(95...145)) << 23
            assertMatchesSwiftFloat16(Float(bitPattern: (u & 0x807F_FFFF) | e))
        }
    }
    #endif

    func testF16_handPickedTiesRoundToEven() {
        XCTAssertEqual(FloatBits.f16(1 + 0x1p-11), 0x3C00)  // halfway 1 .. 1+2^-10: even is 1
        XCTAssertEqual(FloatBits.f16(1 + 3 * 0x1p-11), 0x3C02)  // halfway 1+2^-10 .. 1+2^-9: even is 1+2^-9
        XCTAssertEqual(FloatBits.f16(65504), 0x7BFF)  // largest finite
        XCTAssertEqual(FloatBits.f16(65519.996), 0x7BFF)  // just under the tie stays finite
        XCTAssertEqual(FloatBits.f16(65520), 0x7C00)  // tie with 2^16 rounds to even: inf
        XCTAssertEqual(FloatBits.f16(-1e10), 0xFC00)
        XCTAssertEqual(FloatBits.f16(0x1p-24), 0x0001)  // least subnormal
        XCTAssertEqual(FloatBits.f16(0x1p-25), 0x0000)  // tie with 0: even is 0
        XCTAssertEqual(FloatBits.f16(Float(0x1p-25).nextUp), 0x0001)
        XCTAssertEqual(FloatBits.f16(3 * 0x1p-25), 0x0002)  // tie 1..2 (x 2^-24): even is 2
        XCTAssertEqual(FloatBits.f16(0x1p-14 - 0x1p-25), 0x0400)  // tie largest subnormal .. least normal
        XCTAssertEqual(FloatBits.f16(-0.0), 0x8000)
        XCTAssertEqual(FloatBits.f16(.infinity), 0x7C00)
        XCTAssertEqual(FloatBits.f16(Float(bitPattern: 0x7F80_0001)), 0x7E00)  // signalling NaN becomes quiet
        XCTAssertEqual(FloatBits.f16(Float(bitPattern: 0xFFC0_2000)), 0xFE01)  // sign and top payload bits kept
    }

    // MARK: bfloat16

    func testBF16_everyPatternRoundTripsThroughF32() {
        for bits in 0...0xFFFF {
            let h = UInt16(bits)
            let f = FloatBits.f32(bf16: h)
            XCTAssertEqual(f.bitPattern, UInt32(h) << 16)
            let expected = isNaNBF16(h) ? h | 0x0040 : h
            XCTAssertEqual(FloatBits.bf16(f), expected, "bf16 0x\(String(h, radix: 16))")
        }
    }

    /// Independent reference: pick the nearer of the two bf16 neighbours in Double, ties to even.
    private func referenceBF16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        if f.isNaN { return UInt16(u >> 16) | 0x40 }
        let lo = UInt16(u >> 16), hi = lo &+ 1
        let vlo = Double(FloatBits.f32(bf16: lo))
        let vhi =
            (lo & 0x7FFF) == 0x7F7F
            ? Double(sign: f.sign, exponent: 128, significand: 1) : Double(FloatBits.f32(bf16: hi))
        let dlo = abs(Double(f) - vlo), dhi = abs(Double(f) - vhi)
        if f.isInfinite || dlo < dhi { return lo }
        if dhi < dlo { return hi }
        return (lo & 1) == 0 ? lo : hi
    }

    func testBF16_narrowMatchesNearestEvenReferenceAtTiesAndRandomPatterns() {
        var rng = SeededRandom(seed: 17)
        for bits in 0...0xFFFF where !isNaNBF16(UInt16(bits)) {
            let base = UInt32(bits) << 16
            for f in [
                Float(bitPattern: base), Float(bitPattern: base | 0x8000), Float(bitPattern: base | 0x7FFF),
                Float(bitPattern: base | 0x8001),
            ] where !f.isNaN {
                XCTAssertEqual(FloatBits.bf16(f), referenceBF16(f), "f32 0x\(String(f.bitPattern, radix: 16))")
            }
        }
        for _ in 0..<1_000_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            let ours = FloatBits.bf16(f)
            if ours != referenceBF16(f) { XCTFail("f32 0x\(String(f.bitPattern, radix: 16))"); break }
        }
    }

    func testBF16_handPickedTiesAndSpecials() {
        XCTAssertEqual(FloatBits.bf16(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie: even mantissa stays
        XCTAssertEqual(FloatBits.bf16(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie: odd rounds up
        XCTAssertEqual(FloatBits.bf16(Float(bitPattern: 0x7F7F_8000)), 0x7F80)  // tie at the top: inf
        XCTAssertEqual(FloatBits.bf16(Float(bitPattern: 0x0000_8001)), 0x0001)  // subnormals are kept
        XCTAssertEqual(FloatBits.bf16(Float(bitPattern: 0x7F80_0001)), 0x7FC0)  // NaN made quiet
        XCTAssertEqual(FloatBits.bf16(Float(bitPattern: 0xFFA0_0000)), 0xFFE0)  // sign and payload kept
    }
}
