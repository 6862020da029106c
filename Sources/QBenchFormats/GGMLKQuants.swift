// ggml's 256-element "k-quant" super-blocks (q4_k, q5_k, q6_k) and the q8_k activation block.
// Ported from ggml's quantize_row_{q4_K,q5_K,q6_K,q8_K}_ref with the scale searches make_qkx2_quants and
// make_qx_quants, step by step in f32 and in the same summation order, so the bytes match a ggml
// build that does not contract a*b+c into FMA (see docs/formats.md for why that caveat exists).

public extension GGMLRef {
    static let qkK = 256
    /// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below this quantizes to zero.
    internal static let groupMaxEps: Float = 1e-15

    // MARK: scale searches

    /// make_qkx2_quants: asymmetric (scale, min) search for one sub-block, weighted squared
    /// (or absolute) error, trying `nstep + 1` scales around nmax/(max - min).
    internal static func makeQKX2Quants(
        n: Int, nmax: Int32, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        L: UnsafeMutablePointer<UInt8>, theMin: inout Float,
        Laux: UnsafeMutablePointer<UInt8>, rmin: Float, rdelta: Float,
        nstep: Int, useMad: Bool
    ) -> Float {
        var mn = x[0], mx = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < mn { mn = x[i] }
            if x[i] > mx { mx = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if mn > 0 { mn = 0 }
        if mx == mn {
            for i in 0..<n { L[i] = 0 }
            theMin = -mn
            return 0
        }
        let fmax = Float(nmax)
        var iscale = fmax / (mx - mn)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = Rounding.clamp(Rounding.nearestInt(iscale * (x[i] - mn)), 0, nmax)
            L[i] = UInt8(truncatingIfNeeded: l)
            var diff = scale * Float(l) + mn - x[i]
            diff = useMad ? abs(diff) : diff * diff
            bestError += weights[i] * diff
        }
        if nstep < 1 {
            theMin = -mn
            return scale
        }
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + fmax) / (mx - mn)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = Rounding.clamp(Rounding.nearestInt(iscale * (x[i] - mn)), 0, nmax)
                Laux[i] = UInt8(truncatingIfNeeded: l)
                let w = weights[i], lf = Float(l)
                sumL += w * lf
                sumL2 += w * lf * lf
                sumXL += w * lf * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var curError: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                    diff = useMad ? abs(diff) : diff * diff
                    curError += weights[i] * diff
                }
                if curError < bestError {
                    for i in 0..<n { L[i] = Laux[i] }
                    bestError = curError
                    scale = thisScale
                    mn = thisMin
                }
            }
        }
        theMin = -mn
        return scale
    }

    /// make_qx_quants with rmse_type = 1 and no importance weights (w = x^2): symmetric scale search
    /// over 19 candidates -(nmax + 0.1*is)/max, keeping the best weighted least-squares fit.
    internal static func makeQXQuants(
        n: Int, nmax: Int32, x: UnsafePointer<Float>, L: UnsafeMutablePointer<Int8>
    ) -> Float {
        var vmax: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; vmax = x[i] }
        }
        if amax < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let fmax = Float(nmax)
        var iscale = Float(-nmax) / vmax
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = Rounding.clamp(Rounding.nearestInt(iscale * x[i]), -nmax, nmax - 1)
            L[i] = Int8(truncatingIfNeeded: l + nmax)
            let w = x[i] * x[i], lf = Float(l)
            sumlx += w * x[i] * lf
            suml2 += w * lf * lf
        }
        var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
        var best = scale * sumlx
        for step in -9...9 where step != 0 {
            iscale = -(fmax + 0.1 * Float(step)) / vmax
            sumlx = 0; suml2 = 0
            for i in 0..<n {
                let l = Rounding.clamp(Rounding.nearestInt(iscale * x[i]), -nmax, nmax - 1)
                let w = x[i] * x[i], lf = Float(l)
                sumlx += w * x[i] * lf
                suml2 += w * lf * lf
            }
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                for i in 0..<n {
                    let l = Rounding.clamp(Rounding.nearestInt(iscale * x[i]), -nmax, nmax - 1)
                    L[i] = Int8(truncatingIfNeeded: l + nmax)
                }
                scale = sumlx / suml2
                best = scale * sumlx
            }
        }
        return scale
    }

    // MARK: q4_k {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} = 144 bytes per 256

    /// 6-bit scale and min of sub-block j from the packed 12-byte array (ggml's get_scale_min_k4).
    @inline(__always)
    internal static func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// The part of ggml's quantize_row_q4_K_ref and quantize_row_q5_K_ref they share, for one super-block at
    /// `x`: per sub-block of 32 the weighted (scale, min) search (`make_qkx2_quants` with `nmax`, `rmin`, `nstep`),
    /// the 6-bit scales and mins packed into `y + 4`, `d`/`dmin` stored, and every element's code against the
    /// stored scales into `L` (0...nmax). `L` holds 256 + 32 codes (the tail is the search's scratch), `f` 48 floats.
    private static func quantizeK45Block(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<UInt8>,
        f: UnsafeMutablePointer<Float>, nmax: Int32, rmin: Float, nstep: Int
    ) {
        let Laux = L + 256
        let weights = f, mins = f + 32, scales = mins + 8
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            let xb = x + 32 * j
            var sumX2: Float = 0
            for l in 0..<32 { sumX2 += xb[l] * xb[l] }
            let avX = (sumX2 / 32).squareRoot()
            for l in 0..<32 { weights[l] = avX + abs(xb[l]) }
            var theMin: Float = 0
            scales[j] = makeQKX2Quants(
                n: 32, nmax: nmax, x: xb, weights: weights, L: L + 32 * j, theMin: &theMin,
                Laux: Laux, rmin: rmin, rdelta: 0.1, nstep: nstep, useMad: false)
            mins[j] = theMin
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let sc = (y + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<12 { sc[j] = 0 }
        for j in 0..<8 {
            var ls = UInt8(truncatingIfNeeded: Rounding.nearestInt(invScale * scales[j]))
            var lm = UInt8(truncatingIfNeeded: Rounding.nearestInt(invMin * mins[j]))
            ls = min(63, ls); lm = min(63, lm)
            if j < 4 {
                sc[j] = ls
                sc[j + 4] = lm
            } else {
                sc[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4)
                sc[j - 4] |= (ls >> 4) << 6
                sc[j] |= (lm >> 4) << 6
            }
        }
        storeF16(maxScale / 63, y, 0)
        storeF16(maxMin / 63, y, 2)
        let d = loadF16(y, 0), dmin = loadF16(y, 2)
        for j in 0..<8 {
            let (s, m) = scaleMinK4(j, UnsafePointer(sc))
            let dd = d * Float(s)
            if dd == 0 { continue }
            let dm = dmin * Float(m)
            for ii in 0..<32 {
                let l = Rounding.clamp(Rounding.nearestInt((x[32 * j + ii] + dm) / dd), 0, nmax)
                L[32 * j + ii] = UInt8(truncatingIfNeeded: l)
            }
        }
    }

    static func quantizeQ4_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        #if QB_PLANT_KQUANT_BYTE  // test-only mutant (`make mutants`): the last quant byte of every block, one bit off
        defer {
            for b in 0..<nBlocks {
                let p = y + b * 144 + 143
                p.storeBytes(of: p.load(as: UInt8.self) ^ 1, as: UInt8.self)
            }
        }
        #endif
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 32) { lbuf in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8 + 8) { fbuf in
                let L = lbuf.baseAddress!
                var x = x, y = y
                for _ in 0..<nBlocks {
                    quantizeK45Block(x, y, L: L, f: fbuf.baseAddress!, nmax: 15, rmin: -1, nstep: 20)
                    let q = (y + 16).assumingMemoryBound(to: UInt8.self)
                    for j in stride(from: 0, to: 256, by: 64) {
                        let qj = q + j / 2
                        for l in 0..<32 { qj[l] = L[j + l] | (L[j + l + 32] << 4) }
                    }
                    x += 256; y += 144
                }
            }
        }
    }

    static func dequantizeQ4_K(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        dequantizeK45(y, x, nBlocks: nBlocks, five: false)
    }

    /// q4_k and q5_k values: `d*sc*q - dmin*m` per sub-block of 32; q5_k adds bit 4 of each code from qh (bit 2p
    /// of qh[l] for element 64p + l, bit 2p + 1 for 64p + 32 + l) and has its quants after those 32 bytes.
    private static func dequantizeK45(
        _ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int, five: Bool
    ) {
        let bb = five ? 176 : 144
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = loadF16(y, 0), dmin = loadF16(y, 2)
            let sc = (y + 4).assumingMemoryBound(to: UInt8.self)
            let qh = (y + 16).assumingMemoryBound(to: UInt8.self)
            let q = (y + (five ? 48 : 16)).assumingMemoryBound(to: UInt8.self)
            for blk in 0..<4 {
                let (s1, m1) = scaleMinK4(2 * blk, sc)
                let (s2, m2) = scaleMinK4(2 * blk + 1, sc)
                let d1 = d * Float(s1), dm1 = dmin * Float(m1)
                let d2 = d * Float(s2), dm2 = dmin * Float(m2)
                let qb = q + 32 * blk, xb = x + 64 * blk
                let u1 = UInt8(1) << (2 * blk), u2 = UInt8(2) << (2 * blk)
                for l in 0..<32 {
                    let h1: UInt8 = five && qh[l] & u1 != 0 ? 16 : 0, h2: UInt8 = five && qh[l] & u2 != 0 ? 16 : 0
                    xb[l] = d1 * Float((qb[l] & 0xF) + h1) - dm1
                    xb[l + 32] = d2 * Float((qb[l] >> 4) + h2) - dm2
                }
            }
            x += 256; y += bb
        }
    }

    // MARK: q5_k {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]} = 176 bytes per 256

    /// ggml's quantize_row_q5_K_ref: q4_k's scheme with 5-bit quants (nmax 31, the search from rmin -0.5 in
    /// 15 steps); bit 4 of sub-block j's quant l is bit j of qh[l].
    static func quantizeQ5_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 32) { lbuf in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8 + 8) { fbuf in
                let L = lbuf.baseAddress!
                var x = x, y = y
                for _ in 0..<nBlocks {
                    quantizeK45Block(x, y, L: L, f: fbuf.baseAddress!, nmax: 31, rmin: -0.5, nstep: 15)
                    let qh = (y + 16).assumingMemoryBound(to: UInt8.self)
                    let ql = (y + 48).assumingMemoryBound(to: UInt8.self)
                    for j in 0..<32 { qh[j] = 0 }
                    var m1: UInt8 = 1, m2: UInt8 = 2
                    for n in stride(from: 0, to: 256, by: 64) {
                        let qn = ql + n / 2
                        for j in 0..<32 {
                            var l1 = L[n + j], l2 = L[n + j + 32]
                            if l1 > 15 { l1 -= 16; qh[j] |= m1 }
                            if l2 > 15 { l2 -= 16; qh[j] |= m2 }
                            qn[j] = l1 | (l2 << 4)
                        }
                        m1 <<= 2; m2 <<= 2
                    }
                    x += 256; y += 176
                }
            }
        }
    }

    static func dequantizeQ5_K(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        dequantizeK45(y, x, nBlocks: nBlocks, five: true)
    }

    // MARK: q6_k {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} = 210 bytes per 256

    static func quantizeQ6_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { lbuf in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { sbuf in
                let L = lbuf.baseAddress!, scales = sbuf.baseAddress!
                var x = x, y = y
                for _ in 0..<nBlocks {
                    var maxScale: Float = 0, maxAbsScale: Float = 0
                    for ib in 0..<16 {
                        let s = makeQXQuants(n: 16, nmax: 32, x: x + 16 * ib, L: L + 16 * ib)
                        scales[ib] = s
                        if abs(s) > maxAbsScale { maxAbsScale = abs(s); maxScale = s }
                    }
                    if maxAbsScale < groupMaxEps {
                        y.initializeMemory(as: UInt8.self, repeating: 0, count: 210)
                        x += 256; y += 210
                        continue
                    }
                    let iscale = -128 / maxScale
                    storeF16(1 / iscale, y, 208)
                    let ysc = (y + 192).assumingMemoryBound(to: Int8.self)
                    for ib in 0..<16 {
                        ysc[ib] = Int8(truncatingIfNeeded: min(127, Rounding.nearestInt(iscale * scales[ib])))
                    }
                    let d0 = loadF16(y, 208)
                    for j in 0..<16 {
                        let d = d0 * Float(ysc[j])
                        if d == 0 { continue }
                        for ii in 0..<16 {
                            let l = Rounding.clamp(Rounding.nearestInt(x[16 * j + ii] / d), -32, 31)
                            L[16 * j + ii] = Int8(truncatingIfNeeded: l + 32)
                        }
                    }
                    let ql0 = y.assumingMemoryBound(to: UInt8.self)
                    let qh0 = (y + 128).assumingMemoryBound(to: UInt8.self)
                    for half in 0..<2 {
                        let j = 128 * half
                        let ql = ql0 + 64 * half, qh = qh0 + 32 * half
                        for l in 0..<32 {
                            let a = UInt8(bitPattern: L[j + l]), b = UInt8(bitPattern: L[j + l + 32])
                            let c = UInt8(bitPattern: L[j + l + 64]), e = UInt8(bitPattern: L[j + l + 96])
                            ql[l] = (a & 0xF) | ((c & 0xF) << 4)
                            ql[l + 32] = (b & 0xF) | ((e & 0xF) << 4)
                            qh[l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6)
                        }
                    }
                    x += 256; y += 210
                }
            }
        }
    }

    static func dequantizeQ6_K(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = loadF16(y, 208)
            let sc = (y + 192).assumingMemoryBound(to: Int8.self)
            for half in 0..<2 {
                let ql = (y + 64 * half).assumingMemoryBound(to: UInt8.self)
                let qh = (y + 128 + 32 * half).assumingMemoryBound(to: UInt8.self)
                let s = sc + 8 * half, xb = x + 128 * half
                for l in 0..<32 {
                    let i = l / 16
                    let q1 = Int32((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32
                    let q2 = Int32((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32
                    let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
                    let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
                    xb[l] = d * Float(s[i]) * Float(q1)
                    xb[l + 32] = d * Float(s[i + 2]) * Float(q2)
                    xb[l + 64] = d * Float(s[i + 4]) * Float(q3)
                    xb[l + 96] = d * Float(s[i + 6]) * Float(q4)
                }
            }
            x += 256; y += 210
        }
    }

    // MARK: q8_k {f32 d; i8 qs[256]; i16 bsums[16]} = 292 bytes per 256 (activations for k-quants)

    static func quantizeQ8_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            var vmax: Float = 0, amax: Float = 0
            for j in 0..<256 {
                let ax = abs(x[j])
                if ax > amax { amax = ax; vmax = x[j] }
            }
            let qs = (y + 4).assumingMemoryBound(to: Int8.self)
            if amax == 0 {
                y.storeBytes(of: Float(0).bitPattern.littleEndian, as: UInt32.self)
                for j in 0..<256 { qs[j] = 0 }
            } else {
                let iscale = -127 / vmax
                for j in 0..<256 {
                    qs[j] = Int8(truncatingIfNeeded: min(127, Rounding.nearestInt(iscale * x[j])))
                }
                y.storeBytes(of: (1 / iscale).bitPattern.littleEndian, as: UInt32.self)
            }
            // bsums are written even for an all-zero block (ggml leaves them stale there; zero is what they mean).
            for j in 0..<16 {
                var sum: Int32 = 0
                for ii in 0..<16 { sum &+= Int32(qs[16 * j + ii]) }
                y.storeBytes(of: Int16(truncatingIfNeeded: sum).littleEndian, toByteOffset: 260 + 2 * j, as: Int16.self)
            }
            x += 256; y += 292
        }
    }

    static func dequantizeQ8_K(_ y: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, nBlocks: Int) {
        var x = x, y = y
        for _ in 0..<nBlocks {
            let d = Float(bitPattern: UInt32(littleEndian: y.loadUnaligned(as: UInt32.self)))
            let qs = (y + 4).assumingMemoryBound(to: Int8.self)
            for j in 0..<256 { x[j] = d * Float(qs[j]) }
            x += 256; y += 292
        }
    }
}
