// OCP 8-bit floating point (E4M3, E5M2) and the MX element/scale types (E2M1, E8M0).
// Conversions from f32 round to nearest even and saturate to the largest finite value
// (the OCP "saturating" conversion mode); NaN stays NaN. Decoding is exact, through tables.

/// OCP FP8 E4M3: bias 7, no infinities, NaN = S.1111.111, max finite 448, min subnormal 2^-9.
public enum FP8E4M3 {
    public static let maxFinite: Float = 448
    public static let nanCode: UInt8 = 0x7F
    static let maxCode: UInt32 = 0x7E

    /// Encodes with round-to-nearest-even; finite overflow and infinities saturate to ±448.
    @inline(__always)
    public static func encode(_ f: Float) -> UInt8 {
        FloatBits.minifloatEncode(f, mBits: 3, bias: 7, maxCode: maxCode, nanCode: nanCode, signBit: 7)
    }

    /// Decodes exactly.
    @inline(__always)
    public static func decode(_ c: UInt8) -> Float { table[Int(c)] }

    static let table: [Float] = (0..<256).map { code -> Float in
        let c = UInt32(code)
        let sign: Float = (c & 0x80) != 0 ? -1 : 1
        let e = Int((c >> 3) & 0xF)
        let m = Float(c & 0x7)
        if e == 15 && (c & 7) == 7 { return Float(bitPattern: 0x7FC0_0000 | ((c & 0x80) << 24)) }
        if e == 0 { return sign * m * 0x1p-9 }
        return sign * (1 + m / 8) * Float(sign: .plus, exponent: e - 7, significand: 1)
    }
}

/// OCP FP8 E5M2: bias 15, IEEE-like (inf = S.11111.00, NaN = S.11111.{01,10,11}), max finite
/// 57344, min subnormal 2^-16. It is the top byte of a binary16 value.
public enum FP8E5M2 {
    public static let maxFinite: Float = 57344
    public static let nanCode: UInt8 = 0x7E
    static let maxCode: UInt32 = 0x7B

    /// Encodes with round-to-nearest-even; finite overflow and infinities saturate to ±57344.
    @inline(__always)
    public static func encode(_ f: Float) -> UInt8 {
        FloatBits.minifloatEncode(f, mBits: 2, bias: 15, maxCode: maxCode, nanCode: nanCode, signBit: 7)
    }

    /// Decodes exactly (as the binary16 value with this byte on top).
    @inline(__always)
    public static func decode(_ c: UInt8) -> Float { table[Int(c)] }

    static let table: [Float] = (0..<256).map { FloatBits.f32(f16: UInt16($0) << 8) }
}

/// OCP MX element type FP4 E2M1: bias 1, values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}, no inf/NaN.
/// The 4-bit code is S.EE.M, which is also ggml's `kvalues_mxfp4` index.
public enum FP4E2M1 {
    public static let maxFinite: Float = 6
    static let maxCode: UInt32 = 0x7

    /// Encodes with round-to-nearest-even, saturating to ±6. NaN encodes as +0's code with its
    /// sign (E2M1 has no NaN; the block's shared scale carries NaN instead, see `MXFP4`).
    @inline(__always)
    public static func encode(_ f: Float) -> UInt8 {
        FloatBits.minifloatEncode(f, mBits: 1, bias: 1, maxCode: maxCode, nanCode: 0, signBit: 3)
    }

    /// The value of a 4-bit code (low nibble of `c`).
    @inline(__always)
    public static func decode(_ c: UInt8) -> Float { table[Int(c & 0xF)] }

    /// Twice the value of each code: ggml's integer `kvalues_mxfp4`.
    static let doubled: [Int8] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]
    static let table: [Float] = (0..<16).map { i in
        i == 8 ? -0.0 : Float(doubled[i]) / 2
    }
}

/// OCP MX shared scale E8M0: an unbiased power of two 2^(e-127), e in 0...254; 0xFF is NaN.
public enum E8M0 {
    public static let nanCode: UInt8 = 0xFF

    /// 2^(e-127) as f32 (2^-127 is an f32 subnormal, still exact); NaN for 0xFF.
    @inline(__always)
    public static func decode(_ e: UInt8) -> Float {
        if e == 0xFF { return .nan }
        if e == 0 { return Float(bitPattern: 0x0040_0000) }
        return Float(bitPattern: UInt32(e) << 23)
    }

    /// Half of `decode(e)`, exactly as ggml's `GGML_E8M0_TO_FP32_HALF` (used with the doubled
    /// E2M1 integers so each product is one exact multiply). NaN for 0xFF.
    @inline(__always)
    static func decodeHalf(_ e: UInt8) -> Float {
        if e == 0xFF { return .nan }
        if e < 2 { return Float(bitPattern: UInt32(0x0020_0000) << UInt32(e)) }
        return Float(bitPattern: (UInt32(e) &- 1) << 23)
    }
}
