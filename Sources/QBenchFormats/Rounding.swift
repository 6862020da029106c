// Float-to-integer rounding without traps. Swift's `Int32(x)` traps on NaN or out-of-range values
// and `rounded()` is a libm call on baseline x86-64, so the hot loops use the 1.5*2^23 trick:
// adding it leaves round-to-nearest-even(x) in the low mantissa bits.

enum Rounding {
    static let magic: Float = 12_582_912  // 1.5 * 2^23

    /// ggml's `nearest_int`: round to nearest, ties to even. Exact for |x| <= 2^22 - 1; outside
    /// that range (or for NaN) it returns the same meaningless value ggml does, never traps.
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int32 {
        let t = x + magic
        return Int32(bitPattern: t.bitPattern & 0x7F_FFFF) &- 0x40_0000
    }

    /// C `roundf` (round half away from zero) as an integer. Exact for |x| < 2^22.
    @inline(__always)
    static func roundHalfAway(_ x: Float) -> Int32 {
        let a = abs(x)
        let t = a + magic
        let rf = t - magic
        var r = Int32(bitPattern: t.bitPattern & 0x7F_FFFF) &- 0x40_0000
        if a - rf == 0.5 { r &+= 1 }  // a tie that went down to even goes up instead
        return x < 0 ? 0 &- r : r
    }

    /// C `(int)x` (truncation) for 0 <= x < 2^22.
    @inline(__always)
    static func truncNonNegative(_ x: Float) -> Int32 {
        let t = x + magic
        let rf = t - magic
        let r = Int32(bitPattern: t.bitPattern & 0x7F_FFFF) &- 0x40_0000
        return rf > x ? r &- 1 : r
    }

    @inline(__always)
    static func clamp(_ v: Int32, _ lo: Int32, _ hi: Int32) -> Int32 { v < lo ? lo : (v > hi ? hi : v) }
}
