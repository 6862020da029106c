// Bit-exact conversions between f32 and the 16-bit float formats (IEEE binary16, bfloat16).
// Pure integer arithmetic so the result is the same on every CPU and compiler (no F16C, no
// Float16 type, which Intel macOS lacks). Every 16-bit pattern is tested exhaustively.

/// Conversions between `Float` and the raw bits of 16-bit float formats.
public enum FloatBits {
    // MARK: binary16

    /// Rounds an f32 to IEEE binary16 bits: round to nearest, ties to even, with subnormals,
    /// overflow to infinity, and NaN kept as a quiet NaN with the sign and top payload bits
    /// (what x86 F16C and compiler-rt do).
    @inline(__always)
    public static func f16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        let sign = UInt16(truncatingIfNeeded: (u >> 16) & 0x8000)
        let a = u & 0x7FFF_FFFF
        if a >= 0x7F80_0000 {
            if a == 0x7F80_0000 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: (a >> 13) & 0x01FF)
        }
        if a >= 0x4780_0000 { return sign | 0x7C00 }  // >= 2^16: past the largest finite f16
        if a >= 0x3880_0000 {  // >= 2^-14: normal f16
            let r = a &- 0x3800_0000  // rebias the exponent: 127 - 15 = 112
            let m = r >> 13
            let rem = r & 0x1FFF
            let up: UInt32 = (rem > 0x1000 || (rem == 0x1000 && (m & 1) == 1)) ? 1 : 0
            return sign | UInt16(truncatingIfNeeded: m &+ up)  // a carry out of 0x7BFF gives 0x7C00 = inf
        }
        if a <= 0x3300_0000 { return sign }  // <= 2^-25: half the least subnormal, ties to 0
        let e = a >> 23  // 102...112
        let m = (a & 0x7F_FFFF) | 0x80_0000
        let shift = 126 &- e  // quantum 2^-24
        let q = m >> shift
        let rem = m & ((1 << shift) &- 1)
        let half: UInt32 = 1 << (shift &- 1)
        let up: UInt32 = (rem > half || (rem == half && (q & 1) == 1)) ? 1 : 0
        return sign | UInt16(truncatingIfNeeded: q &+ up)
    }

    /// Widens IEEE binary16 bits to f32 exactly (NaN payloads are kept bit for bit).
    @inline(__always)
    public static func f32(f16 h: UInt16) -> Float {
        let s = UInt32(h & 0x8000) << 16
        let e = UInt32(h >> 10) & 0x1F
        let m = UInt32(h & 0x3FF)
        if e == 0x1F { return Float(bitPattern: s | 0x7F80_0000 | (m << 13)) }
        if e == 0 {
            if m == 0 { return Float(bitPattern: s) }
            // m * 2^-24 is exact in f32 (m < 2^10, result normal).
            let v = Float(m) * Float(bitPattern: 0x3380_0000)
            return Float(bitPattern: s | v.bitPattern)
        }
        return Float(bitPattern: s | ((e &+ 112) << 23) | (m << 13))
    }

    // MARK: bfloat16

    /// Rounds an f32 to bfloat16 bits: round to nearest, ties to even (subnormals kept, as bf16
    /// shares f32's exponent range); NaN becomes a quiet NaN keeping sign and top payload bits.
    /// Same rule as ggml's `ggml_compute_fp32_to_bf16` and gguf.quants' BF16.
    @inline(__always)
    public static func bf16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        if (u & 0x7FFF_FFFF) > 0x7F80_0000 { return UInt16(truncatingIfNeeded: u >> 16) | 0x0040 }
        // No overflow: u + 0x8000 only wraps for patterns above 0xFFFF7FFF, which are NaNs handled above.
        return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }

    /// Widens bfloat16 bits to f32 exactly.
    @inline(__always)
    public static func f32(bf16 h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    // MARK: narrow minifloats (fp8, fp4)

    /// The saturating encoder every OCP minifloat shares: sign at bit `signBit` of the code, NaN to
    /// `nanCode` (with its sign), infinities and finite overflow to `maxCode`, the rest rounded by
    /// `minifloatMagnitude` (round to nearest even).
    @inline(__always)
    static func minifloatEncode(
        _ f: Float, mBits: UInt32, bias: Int32, maxCode: UInt32, nanCode: UInt8,
        signBit: UInt32
    ) -> UInt8 {
        let u = f.bitPattern
        let sign = UInt8(truncatingIfNeeded: (u >> (31 - signBit)) & (1 << signBit))
        let a = u & 0x7FFF_FFFF
        if a > 0x7F80_0000 { return sign | nanCode }
        if a == 0x7F80_0000 { return sign | UInt8(maxCode) }
        let c = minifloatMagnitude(a, mBits: mBits, bias: bias)
        return sign | UInt8(truncatingIfNeeded: c > maxCode ? maxCode : c)
    }

    /// Rounds a finite, non-negative f32 magnitude (bits `a`, sign cleared) to a minifloat with
    /// `mBits` mantissa bits and exponent `bias`, ties to even. Returns the code without the sign,
    /// which may exceed the format's largest finite code: the caller saturates or maps to inf.
    /// Valid for formats whose smallest subnormal is far above f32's subnormals (fp8, fp4, fp6).
    @inline(__always)
    static func minifloatMagnitude(_ a: UInt32, mBits: UInt32, bias: Int32) -> UInt32 {
        let e = Int32(bitPattern: a >> 23)
        if e == 0 { return 0 }  // zero or f32 subnormal: rounds to 0
        let et = e &- 127 &+ bias  // target biased exponent
        if et >= 1 {
            if et > 60 { return UInt32.max >> 1 }  // far out of range; caller saturates
            let shift = 23 &- mBits
            let combined = (UInt32(et) << mBits) | ((a & 0x7F_FFFF) >> shift)
            let rem = a & ((1 << shift) &- 1)
            let half: UInt32 = 1 << (shift &- 1)
            let up: UInt32 = (rem > half || (rem == half && (combined & 1) == 1)) ? 1 : 0
            return combined &+ up
        }
        let m = (a & 0x7F_FFFF) | 0x80_0000
        let shift = (23 &- mBits) &+ UInt32(1 &- et)
        if shift > 25 { return 0 }  // below half the least subnormal
        let q = m >> shift
        let rem = m & ((1 << shift) &- 1)
        let half: UInt32 = 1 << (shift &- 1)
        let up: UInt32 = (rem > half || (rem == half && (q & 1) == 1)) ? 1 : 0
        return q &+ up
    }
}
