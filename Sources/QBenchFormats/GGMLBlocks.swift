// ggml's 32-element block formats (q8_0, q8_1, q4_0, q4_1, q5_0, mxfp4): reference quantizers that
// produce the same bytes as ggml's `quantize_row_*_ref` and gguf.quants, and dequantizers that
// produce the same floats. The arithmetic follows ggml's C expression by expression (f32, no fused
// multiply-add; Swift never contracts), including the reciprocal `id = 1/d` and fp16 rounding of d.

/// Reference (scalar-truth) row routines for ggml's block formats. `x` holds `nBlocks * 32` floats
/// (`nBlocks * 256` for the k-quants), `y` `nBlocks * blockBytes` bytes; pointers need no alignment.
/// NaN or infinite input gives meaningless codes but never traps; `WeightFormat.quantize` rejects it.
public enum GGMLRef {
    public static let qk = 32

    @inline(__always)
    static func storeF16(_ v: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: FloatBits.f16(v).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// max |x[j]| over a 32-element block. Four independent chains keep the loop from waiting on one
    /// dependency chain; max is exact and order-free for non-NaN input, so this is ggml's value.
    @inline(__always)
    static func absMax32(_ x: UnsafePointer<Float>) -> Float {
        var m0: Float = 0, m1: Float = 0, m2: Float = 0, m3: Float = 0
        for j in stride(from: 0, to: 32, by: 4) {
            let a0 = abs(x[j]), a1 = abs(x[j + 1]), a2 = abs(x[j + 2]), a3 = abs(x[j + 3])
            m0 = m0 > a0 ? m0 : a0; m1 = m1 > a1 ? m1 : a1
            m2 = m2 > a2 ? m2 : a2; m3 = m3 > a3 ? m3 : a3
        }
        let a = m0 > m1 ? m0 : m1, b = m2 > m3 ? m2 : m3
        return a > b ? a : b
    }

    /// The signed value of largest magnitude in a 32-element block, the first one on ties (what
    /// ggml's strict `if (amax < fabsf(v))` scan keeps); +0 for an all-zero block, as in ggml.
    @inline(__always)
    static func signedAbsMax32(_ x: UnsafePointer<Float>) -> Float {
        let amax = absMax32(x)
        if amax > 0 {
            for j in 0..<32 where abs(x[j]) == amax { return x[j] }
        }
        return 0
    }

    /// The first +0 or -0 of a block that contains a zero.
    @inline(__always)
    static func firstZero32(_ x: UnsafePointer<Float>) -> Float {
        for j in 0..<32 where x[j] == 0 { return x[j] }
        return 0
    }

    @inline(__always)
    static func loadF16(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        FloatBits.f32(f16: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    // MARK: q8_0 {f16 d; i8 qs[32]}

    public static func quantizeQ8_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = absMax32(x) / 127
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(d, y, 0)
            let qs = (y + 2).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 {
                qs[j] = Int8(truncatingIfNeeded: Rounding.roundHalfAway(x[j] * id))
            }
            x += 32; y += 34
        }
    }

    public static func dequantizeQ8_0(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = loadF16(y, 0)
            let qs = (y + 2).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 { x[j] = Float(qs[j]) * d }
            x += 32; y += 34
        }
    }

    // MARK: q8_1 {f16 d; f16 s; i8 qs[32]}, s = d * sum(qs) (activations for q4_1)

    public static func quantizeQ8_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = absMax32(x) / 127
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(d, y, 0)
            let qs = (y + 4).assumingMemoryBound(to: Int8.self)
            var sum: Int32 = 0
            for j in 0..<32 {
                let q = Int8(truncatingIfNeeded: Rounding.roundHalfAway(x[j] * id))
                qs[j] = q
                sum &+= Int32(q)
            }
            storeF16(Float(sum) * d, y, 2)
            x += 32; y += 36
        }
    }

    public static func dequantizeQ8_1(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = loadF16(y, 0)
            let qs = (y + 4).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 { x[j] = Float(qs[j]) * d }
            x += 32; y += 36
        }
    }

    // MARK: q4_0 {f16 d; u8 qs[16]}: byte j = elem j (low nibble) | elem j+16 (high nibble)

    public static func quantizeQ4_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            // The signed value of largest magnitude sets d = max / -8, so that it maps to -8.
            let d = signedAbsMax32(x) / -8
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(d, y, 0)
            let qs = (y + 2).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let q0 = Rounding.clamp(Rounding.truncNonNegative(x[j] * id + 8.5), 0, 15)
                let q1 = Rounding.clamp(Rounding.truncNonNegative(x[j + 16] * id + 8.5), 0, 15)
                qs[j] = UInt8(truncatingIfNeeded: q0 | (q1 << 4))
            }
            x += 32; y += 18
        }
    }

    public static func dequantizeQ4_0(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = loadF16(y, 0)
            let qs = (y + 2).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                x[j] = Float(Int32(qs[j] & 0x0F) - 8) * d
                x[j + 16] = Float(Int32(qs[j] >> 4) - 8) * d
            }
            x += 32; y += 18
        }
    }

    // MARK: q4_1 {f16 d; f16 m; u8 qs[16]}: x = d*q + m

    public static func quantizeQ4_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            // min and max in four independent chains (exact and order-free for non-NaN input).
            var l0 = Float.greatestFiniteMagnitude, l1 = l0, l2 = l0, l3 = l0
            var h0 = -Float.greatestFiniteMagnitude, h1 = h0, h2 = h0, h3 = h0
            for j in stride(from: 0, to: 32, by: 4) {
                let v0 = x[j], v1 = x[j + 1], v2 = x[j + 2], v3 = x[j + 3]
                l0 = v0 < l0 ? v0 : l0; l1 = v1 < l1 ? v1 : l1; l2 = v2 < l2 ? v2 : l2; l3 = v3 < l3 ? v3 : l3
                h0 = v0 > h0 ? v0 : h0; h1 = v1 > h1 ? v1 : h1; h2 = v2 > h2 ? v2 : h2; h3 = v3 > h3 ? v3 : h3
            }
            let la = l0 < l1 ? l0 : l1, lb = l2 < l3 ? l2 : l3, ha = h0 > h1 ? h0 : h1, hb = h2 > h3 ? h2 : h3
            var lo = la < lb ? la : lb, hi = ha > hb ? ha : hb
            // ggml's in-order scan keeps the first zero it meets; with chains either zero could win.
            if lo == 0 { lo = firstZero32(x) }
            if hi == 0 { hi = firstZero32(x) }
            let d = (hi - lo) / 15
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(d, y, 0)
            storeF16(lo, y, 2)
            let qs = (y + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let q0 = Rounding.clamp(Rounding.truncNonNegative((x[j] - lo) * id + 0.5), 0, 15)
                let q1 = Rounding.clamp(Rounding.truncNonNegative((x[j + 16] - lo) * id + 0.5), 0, 15)
                qs[j] = UInt8(truncatingIfNeeded: q0 | (q1 << 4))
            }
            x += 32; y += 20
        }
    }

    public static func dequantizeQ4_1(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = loadF16(y, 0), m = loadF16(y, 2)
            let qs = (y + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                x[j] = d * Float(qs[j] & 0x0F) + m
                x[j + 16] = d * Float(qs[j] >> 4) + m
            }
            x += 32; y += 20
        }
    }

    // MARK: q5_0 {f16 d; u8 qh[4]; u8 qs[16]}: 5-bit q = low nibble | (bit j of qh) << 4, x = d*(q-16)

    public static func quantizeQ5_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = signedAbsMax32(x) / -16
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(d, y, 0)
            let qs = (y + 6).assumingMemoryBound(to: UInt8.self)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let q0 = UInt32(Rounding.clamp(Rounding.truncNonNegative(x[j] * id + 16.5), 0, 31))
                let q1 = UInt32(Rounding.clamp(Rounding.truncNonNegative(x[j + 16] * id + 16.5), 0, 31))
                qs[j] = UInt8(truncatingIfNeeded: (q0 & 0x0F) | ((q1 & 0x0F) << 4))
                qh |= ((q0 & 0x10) >> 4) << UInt32(j)
                qh |= ((q1 & 0x10) >> 4) << UInt32(j + 16)
            }
            y.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
            x += 32; y += 22
        }
    }

    public static func dequantizeQ5_0(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = loadF16(y, 0)
            let qh = UInt32(littleEndian: y.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let qs = (y + 6).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let h0 = Int32((qh >> UInt32(j)) & 1) << 4
                let h1 = Int32((qh >> UInt32(j + 16)) & 1) << 4
                x[j] = d * Float((Int32(qs[j] & 0x0F) | h0) - 16)
                x[j + 16] = d * Float((Int32(qs[j] >> 4) | h1) - 16)
            }
            x += 32; y += 22
        }
    }

    // MARK: mxfp4 {u8 e (E8M0); u8 qs[16] (E2M1 codes, q4_0 nibble order)} — OCP MX, see MXFP4.swift

    /// Quantizes per the OCP MX v1.0 spec: shared scale X = 2^(floor(log2(amax)) - 2) as E8M0,
    /// elements E2M1(x / X) rounded to nearest even and saturated to ±6.
    /// Differs from ggml's `quantize_row_mxfp4_ref` only on exact ties between two E2M1 values
    /// (ggml keeps the smaller magnitude, e.g. 0.75 -> 0.5; the spec rounds to even -> 1.0) and when
    /// f32 `log2f` rounds amax just below a power of two up to it. A value that rounds to zero is
    /// stored as +0 whatever its sign (as ggml; the spec's conversion would keep -0, same value).
    public static func quantizeMXFP4(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            var amax: Float = 0
            var finite = true
            for j in 0..<32 {
                let a = abs(x[j])
                if !(a <= Float.greatestFiniteMagnitude) { finite = false }
                if amax < a { amax = a }
            }
            let qs = (y + 1).assumingMemoryBound(to: UInt8.self)
            if !finite {
                // A non-finite element makes the whole block NaN (E8M0 0xFF), as the spec prescribes for NaN.
                y.storeBytes(of: E8M0.nanCode, as: UInt8.self)
                for j in 0..<16 { qs[j] = 0 }
                x += 32; y += 17
                continue
            }
            // floor(log2(amax)) exactly, from the exponent (also right for f32 subnormals); all-zero -> e = 0 as ggml.
            var e: Int = 0
            if amax > 0 {
                e = Int(amax.exponent) - 2 + 127
                if e < 0 { e = 0 }  // below E8M0's range: use the smallest scale 2^-127
            }
            y.storeBytes(of: UInt8(e), as: UInt8.self)
            let inv = Float(sign: .plus, exponent: 127 - e, significand: 1)  // 1/X, exact power of two
            for j in 0..<16 {
                // Zero is stored as +0 (code 0), never -0 (code 8): the value is the same and the
                // bytes then match ggml's, which picks the first of two equally near codes.
                var c0 = FP4E2M1.encode(x[j] * inv), c1 = FP4E2M1.encode(x[j + 16] * inv)
                if c0 == 8 { c0 = 0 }
                if c1 == 8 { c1 = 0 }
                qs[j] = c0 | (c1 << 4)
            }
            x += 32; y += 17
        }
    }

    public static func dequantizeMXFP4(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let dh = E8M0.decodeHalf(y.load(as: UInt8.self))
            let qs = (y + 1).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                x[j] = Float(FP4E2M1.doubled[Int(qs[j] & 0x0F)]) * dh
                x[j + 16] = Float(FP4E2M1.doubled[Int(qs[j] >> 4)]) * dh
            }
            x += 32; y += 17
        }
    }
}
