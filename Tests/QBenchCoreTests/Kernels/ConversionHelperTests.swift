// The fp16/bf16 conversions every scalar kernel shares (kernels/qb_ref.h), checked over every f16/bf16 pattern
// and every rounding case of f32 against independent implementations: Swift's Float16 (hardware or compiler
// runtime conversion) and plain bit arithmetic. A bug here would otherwise cancel out, since the scalar
// reference and some SIMD paths use the same helper (`make mutants` plants one and this file catches it).
import CQBench
import XCTest

final class ConversionHelperTests: XCTestCase {
    func testF16ToF32_everyPattern() {
        var bad: [String] = []
        for h in 0...UInt16.max {
            let got = qb_ref_f16_to_f32(h)
            let want = Float(Float16(bitPattern: h))
            if want.isNaN {
                // NaNs: quiet, sign and payload kept, as vcvtph2ps returns them.
                let expect = UInt32(h & 0x8000) << 16 | 0x7fc0_0000 | UInt32(h & 0x3ff) << 13
                if got.bitPattern != expect { bad.append(String(format: "%04x -> %08x", h, got.bitPattern)) }
            } else if got.bitPattern != want.bitPattern {
                bad.append(String(format: "%04x -> %08x, want %08x", h, got.bitPattern, want.bitPattern))
            }
        }
        XCTAssertTrue(bad.isEmpty, "\(bad.count) of 65536 f16 patterns decode wrong: \(bad.prefix(5))")
    }

    /// Every f16 value, the f32 midpoints to its neighbour (ties: round to even), one f32 ulp either side of each
    /// midpoint, and 2^20 random f32 patterns (NaNs and infinities included).
    func testF32ToF16_everyRoundingCase() {
        var inputs: [Float] = []
        for h in UInt16(0)...0x7bff {
            let a = Float(Float16(bitPattern: h)), b = Float(Float16(bitPattern: h + 1))
            let mid = (a + b) / 2  // exact in f32: f16 values have 11 significant bits
            inputs += [a, mid, mid.nextDown, mid.nextUp]
        }
        let maxF16 = Float(Float16.greatestFiniteMagnitude)
        let overflowMid = maxF16 + 16  // halfway to 2^16: ties to even, which is infinity
        inputs += [overflowMid, overflowMid.nextDown, overflowMid.nextUp, .infinity, .nan, 1e-10, 1e30]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<(1 << 20) { inputs.append(Float(bitPattern: UInt32.random(in: .min ... .max, using: &rng))) }
        var bad: [String] = []
        for x in inputs + inputs.map({ -$0 }) {
            let got = qb_ref_f32_to_f16(x)
            let want = Float16(x)
            if want.isNaN {
                let expect = UInt16(x.bitPattern >> 16 & 0x8000) | 0x7e00 | UInt16(x.bitPattern >> 13 & 0x3ff)
                if got != expect { bad.append(String(format: "%08x -> %04x, want %04x", x.bitPattern, got, expect)) }
            } else if got != want.bitPattern {
                bad.append(String(format: "%08x -> %04x, want %04x", x.bitPattern, got, want.bitPattern))
            }
        }
        XCTAssertTrue(bad.isEmpty, "\(bad.count) f32 values round wrong to f16: \(bad.prefix(5))")
    }

    func testBF16ToF32_everyPattern() {
        for h in 0...UInt16.max {
            XCTAssertEqual(qb_ref_bf16_to_f32(h).bitPattern, UInt32(h) << 16)
        }
    }

    /// Round to nearest even, decided here in Double arithmetic between the two bf16 neighbours of x.
    private func bf16RNE(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if x.isNaN { return UInt16(u >> 16) | 0x40 }
        let lo = u & 0xffff_0000
        let loV = Double(Float(bitPattern: lo))
        // The next bf16 up in magnitude; past the largest finite one it is 2^128 (rounding there gives infinity).
        let hiBits = lo + 0x10000
        let hiV =
            (hiBits & 0x7fff_ffff) == 0x7f80_0000 ? (x < 0 ? -0x1p128 : 0x1p128) : Double(Float(bitPattern: hiBits))
        if x.isInfinite { return UInt16(u >> 16) }
        let dLo = abs(Double(x) - loV), dHi = abs(hiV - Double(x))
        if dLo < dHi { return UInt16(lo >> 16) }
        if dHi < dLo { return UInt16(hiBits >> 16) }
        return (lo >> 16) & 1 == 0 ? UInt16(lo >> 16) : UInt16(hiBits >> 16)
    }

    func testF32ToBF16_everyRoundingCase() {
        var inputs: [Float] = []
        for h in UInt32(0)..<0x7f80 {
            let a = Float(bitPattern: h << 16)
            let mid = Float(bitPattern: h << 16 | 0x8000)
            inputs += [a, mid, mid.nextDown, mid.nextUp]
        }
        inputs += [.infinity, .nan, Float(bitPattern: 0x7f7f_ffff)]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<(1 << 20) { inputs.append(Float(bitPattern: UInt32.random(in: .min ... .max, using: &rng))) }
        var bad: [String] = []
        for x in inputs + inputs.map({ -$0 }) where qb_ref_f32_to_bf16(x) != bf16RNE(x) {
            bad.append(String(format: "%08x -> %04x, want %04x", x.bitPattern, qb_ref_f32_to_bf16(x), bf16RNE(x)))
        }
        XCTAssertTrue(bad.isEmpty, "\(bad.count) f32 values round wrong to bf16: \(bad.prefix(5))")
    }
}
