// The suite's own integer and fp8 formats (docs/layouts.md): i8_pc, i4_gN, u4_gN, the per-token
// int8 activations i8_pt, and per-row scaled fp8. Each quantizes x/s (a true division, as the C
// kernels' quantize_row does, so activations are bit-exact with them) and rounds half away from zero.

/// Reference row routines for the suite's formats. Rows are `k` floats; outputs follow docs/layouts.md.
public enum SuiteRef {
    // MARK: i8_pc / i8_pt: int8 per row, s = absmax/127

    /// Quantizes one row to symmetric int8 with s = absmax/127 and q = round_half_away(x/s) in -127...127.
    /// Returns s (0 for an all-zero row, whose q are all 0).
    @discardableResult
    public static func quantizeRowI8(_ x: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int8>, k: Int) -> Float {
        var amax: Float = 0
        for j in 0..<k { let a = abs(x[j]); amax = amax > a ? amax : a }
        let s = amax / 127
        if s == 0 {
            for j in 0..<k { q[j] = 0 }
            return 0
        }
        for j in 0..<k {
            q[j] = Int8(truncatingIfNeeded: Rounding.clamp(Rounding.roundHalfAway(x[j] / s), -127, 127))
        }
        return s
    }

    public static func dequantizeRowI8(
        _ q: UnsafePointer<Int8>, scale s: Float, _ x: UnsafeMutablePointer<Float>, k: Int
    ) {
        for j in 0..<k { x[j] = Float(q[j]) * s }
    }

    /// Sums of q over each group of `group` elements (the x_sums side array for u4 weights).
    public static func groupSums(_ q: UnsafePointer<Int8>, k: Int, group: Int, into sums: UnsafeMutablePointer<Int32>) {
        for g in 0..<(k / group) {
            var s: Int32 = 0
            for j in 0..<group { s &+= Int32(q[g * group + j]) }
            sums[g] = s
        }
    }

    // MARK: 4-bit packing shared by i4_gN and u4_gN (q4_0 order within each 32-element sub-block)

    @inline(__always)
    static func packNibbles(_ codes: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>, k: Int) {
        for sb in 0..<(k / 32) {
            let c = codes + 32 * sb, o = out + 16 * sb
            for j in 0..<16 { o[j] = (c[j] & 0xF) | ((c[j + 16] & 0xF) << 4) }
        }
    }

    @inline(__always)
    static func nibble(_ packed: UnsafePointer<UInt8>, _ i: Int) -> UInt8 {
        let sb = i / 32, j = i % 32
        let byte = packed[16 * sb + (j & 15)]
        return j < 16 ? byte & 0xF : byte >> 4
    }

    // MARK: i4_gN: s = absmax/7 per group, q = round_half_away(x/s) in -7...7, stored q+8

    public static func quantizeRowI4(
        _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt8>,
        scales: UnsafeMutablePointer<Float>, k: Int, group: Int
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: k) { codes in
            let c = codes.baseAddress!
            for g in 0..<(k / group) {
                let xg = x + g * group, cg = c + g * group
                var amax: Float = 0
                for j in 0..<group { let a = abs(xg[j]); amax = amax > a ? amax : a }
                let s = amax / 7
                scales[g] = s
                for j in 0..<group {
                    let q: Int32 = s == 0 ? 0 : Rounding.clamp(Rounding.roundHalfAway(xg[j] / s), -7, 7)
                    cg[j] = UInt8(truncatingIfNeeded: q + 8)
                }
            }
            packNibbles(c, out, k: k)
        }
    }

    public static func dequantizeRowI4(
        _ packed: UnsafePointer<UInt8>, scales: UnsafePointer<Float>,
        _ x: UnsafeMutablePointer<Float>, k: Int, group: Int
    ) {
        for i in 0..<k {
            x[i] = Float(Int32(nibble(packed, i)) - 8) * scales[i / group]
        }
    }

    // MARK: u4_gN: range [min(0,min x), max(0,max x)], s = range/15,
    // z = round_half_away(-lo/s), q = clamp(round(x/s)+z)

    public static func quantizeRowU4(
        _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt8>,
        scales: UnsafeMutablePointer<Float>, zeros: UnsafeMutablePointer<UInt8>,
        k: Int, group: Int
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: k) { codes in
            let c = codes.baseAddress!
            for g in 0..<(k / group) {
                let xg = x + g * group, cg = c + g * group
                // The range always contains 0 so that 0 is exact and z stays in 0...15.
                var lo: Float = 0, hi: Float = 0
                for j in 0..<group {
                    let v = xg[j]
                    if v < lo { lo = v }
                    if v > hi { hi = v }
                }
                let s = (hi - lo) / 15
                scales[g] = s
                if s == 0 {
                    zeros[g] = 0
                    for j in 0..<group { cg[j] = 0 }
                    continue
                }
                let z = Rounding.clamp(Rounding.roundHalfAway(-lo / s), 0, 15)
                zeros[g] = UInt8(truncatingIfNeeded: z)
                for j in 0..<group {
                    let q = Rounding.clamp(Rounding.roundHalfAway(xg[j] / s) &+ z, 0, 15)
                    cg[j] = UInt8(truncatingIfNeeded: q)
                }
            }
            packNibbles(c, out, k: k)
        }
    }

    public static func dequantizeRowU4(
        _ packed: UnsafePointer<UInt8>, scales: UnsafePointer<Float>,
        zeros: UnsafePointer<UInt8>, _ x: UnsafeMutablePointer<Float>, k: Int, group: Int
    ) {
        for i in 0..<k {
            let g = i / group
            x[i] = Float(Int32(nibble(packed, i)) - Int32(zeros[g])) * scales[g]
        }
    }

    // MARK: fp8 weights: per-row f32 scale s = absmax / maxFinite, element = fp8(x / s)

    public static func quantizeRowFP8(
        _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt8>, k: Int,
        e5m2: Bool
    ) -> Float {
        var amax: Float = 0
        for j in 0..<k { let a = abs(x[j]); amax = amax > a ? amax : a }
        let s = amax / (e5m2 ? FP8E5M2.maxFinite : FP8E4M3.maxFinite)
        if s == 0 {
            for j in 0..<k { out[j] = 0 }
            return 0
        }
        if e5m2 {
            for j in 0..<k { out[j] = FP8E5M2.encode(x[j] / s) }
        } else {
            for j in 0..<k { out[j] = FP8E4M3.encode(x[j] / s) }
        }
        return s
    }

    public static func dequantizeRowFP8(
        _ q: UnsafePointer<UInt8>, scale s: Float, _ x: UnsafeMutablePointer<Float>,
        k: Int, e5m2: Bool
    ) {
        if e5m2 {
            for j in 0..<k { x[j] = FP8E5M2.decode(q[j]) * s }
        } else {
            for j in 0..<k { x[j] = FP8E4M3.decode(q[j]) * s }
        }
    }
}
