// Operands of a matrix kernel in the stored layouts (docs/layouts.md), and a variant prepared to run on them:
// weights repacked once when the variant asks for it, outputs allocated, rows split over a thread pool.
import CQBench
import Foundation
import QBenchSupport
import QBenchFormats

/// Zeroed, 64-byte aligned memory owned by Swift (kernels stream from it; repacked layouts want the alignment).
public final class AlignedBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let count: Int

    /// - Throws: `QBError.other` when the allocation fails (sizes come from shapes a user can choose).
    public init(count: Int) throws {
        var p: UnsafeMutableRawPointer?
        let bytes = max(64, (count + 63) / 64 * 64)
        // Large buffers start on a page, so NUMA placement (mbind) can act on their slices.
        guard posix_memalign(&p, bytes >= 1 << 16 ? 4096 : 64, bytes) == 0, let p else {
            throw QBError.other("could not allocate \(count) bytes for kernel operands")
        }
        memset(p, 0, bytes)
        pointer = p
        self.count = count
    }
    deinit { free(pointer) }
}

/// Deterministic pseudo-random numbers (xorshift64*), so a failing shape can be replayed from its seed.
public struct KernelRNG: Sendable {
    private var s: UInt64
    public init(seed: UInt64) { s = seed == 0 ? 0x9E3779B97F4A7C15 : seed }
    public mutating func next() -> UInt64 {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27
        return s &* 2685821657736338717
    }
    /// Uniform in [lo, hi).
    public mutating func float(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
}

/// f32 to bf16 bits, round to nearest even (as the C reference and ggml convert).
@inline(__always) func kernelBF16(_ f: Float) -> UInt16 {
    let u = f.bitPattern
    if u & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
    return UInt16(truncatingIfNeeded: (u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16)
}

/// Inputs of one matrix kernel call: `outputs` x `k` weights and `tokens` activation rows, in the stored layouts.
/// Axes, named once for Swift: tokens (activation rows), outputs (weight rows), k (the reduction). The C ABI's
/// qb_mat_args calls them N, M and K; `PreparedKernel.withArgs` is the one place that maps them.
public final class KernelOperands: @unchecked Sendable {
    public let weightFormat: WeightFormat
    public let activationFormat: ActivationFormat
    public let outputs: Int, k: Int, tokens: Int, group: Int
    public let weights: AlignedBuffer
    public let weightStride: Int
    public let weightScales: [Float]
    public let weightZeros: [UInt8]
    public let activations: AlignedBuffer
    public let activationStride: Int
    public let activationScales: [Float]
    public let activationSums: [Int32]
    /// The f32 activations the encoded ones came from (N x K).
    public let activationFloats: [Float]

    /// Random weights (valid scales, arbitrary quants including the extremes) and activations encoded with
    /// the scalar `quantize_row` of the activation format.
    /// - Throws: `QBError.other` when the shape does not fit the formats or the registry lacks the encoder.
    public init(
        weightFormat: WeightFormat, activationFormat: ActivationFormat, outputs M: Int, k K: Int, tokens N: Int,
        seed: UInt64, registry: KernelRegistry = .builtIn
    ) throws {
        // Row bytes from the formats (WeightFormat / ActivationFormat define block sizes and block bytes once).
        guard M > 0, N > 0, K > 0, let wrow = try? weightFormat.rowBytes(k: K),
            let xrow = try? activationFormat.rowBytes(k: K)
        else {
            throw QBError.other("shape M=\(M) K=\(K) N=\(N) does not fit \(weightFormat) x \(activationFormat)")
        }
        self.weightFormat = weightFormat; self.activationFormat = activationFormat
        self.outputs = M; self.k = K; self.tokens = N
        group = weightFormat.groupSize
        var rng = KernelRNG(seed: seed)
        weightStride = wrow
        weights = try AlignedBuffer(count: wrow * M)
        let w = weights.pointer.assumingMemoryBound(to: UInt8.self)
        // Quant bytes: 8 random bytes per draw (benchmark shapes reach hundreds of MB).
        let words = wrow * M / 8
        weights.pointer.withMemoryRebound(to: UInt64.self, capacity: max(1, words)) { p in
            for i in 0..<words { p[i] = rng.next() }
        }
        for i in (words * 8)..<(wrow * M) { w[i] = rng.byte() }
        let group = weightFormat.groupSize
        let ng = group > 0 ? K / group : 1
        var ws = [Float](repeating: 0, count: weightFormat == .i8_pc ? M : (group > 0 ? M * ng : 0))
        var wz = [UInt8](repeating: 0, count: weightFormat.hasZeros ? M * ng : 0)
        for i in ws.indices { ws[i] = rng.float(0.001, 0.05) }
        for i in wz.indices { wz[i] = UInt8(rng.next() % 16) }
        func put16(_ v: UInt16, _ off: Int) { w[off] = UInt8(v & 0xff); w[off + 1] = UInt8(v >> 8) }
        // Float formats: rows are windows into a pool of random encoded values (fast for large shapes,
        // still different for every row; no denormals, which would slow the float paths for no reason).
        let elem = weightFormat == .f32 ? 4 : 2
        var pool: [UInt8] = []
        if [.f32, .f16, .bf16].contains(weightFormat) {
            let n = 1 << 16
            pool = [UInt8](repeating: 0, count: (n + K) * elem)
            for i in 0..<(n + K) {
                let f = rng.float(-1, 1)
                let bits: UInt32 =
                    weightFormat == .f32
                    ? f.bitPattern
                    : weightFormat == .f16 ? UInt32(Float16(f).bitPattern) : UInt32(kernelBF16(f))
                for j in 0..<elem { pool[i * elem + j] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(j))) }
            }
        }
        // Block formats: the fp16 d (and q4_1's m) start each block of 32 (WeightFormat.blockBytes long); the k-quants
        // keep theirs at fixed offsets of each 256-element super-block.
        let blockBytes = weightFormat.blockBytes
        for m in 0..<M {
            let row = m * wrow
            switch weightFormat {
            case .q8_0, .q4_0, .q5_0:
                for b in 0..<(K / 32) { put16(Float16(rng.float(0.001, 0.03)).bitPattern, row + b * blockBytes) }
            case .q4_k, .q5_k:  // d and dmin; the packed 6-bit scales and mins may be any bytes
                for b in 0..<(K / 256) {
                    put16(Float16(rng.float(0.0002, 0.002)).bitPattern, row + b * blockBytes)
                    put16(Float16(rng.float(0.0, 0.004)).bitPattern, row + b * blockBytes + 2)
                }
            case .q6_k:  // d is the last field; the int8 sub-block scales may be any bytes
                for b in 0..<(K / 256) {
                    put16(Float16(rng.float(0.00005, 0.0005)).bitPattern, row + b * blockBytes + 208)
                }
            case .q4_1:
                for b in 0..<(K / 32) {
                    put16(Float16(rng.float(0.001, 0.03)).bitPattern, row + b * blockBytes)
                    put16(Float16(rng.float(-0.2, 0.0)).bitPattern, row + b * blockBytes + 2)
                }
            case .f32, .f16, .bf16:
                let start = Int(rng.next() % UInt64(1 << 16))
                pool.withUnsafeBytes { src in
                    (w + row).update(
                        from: src.baseAddress!.assumingMemoryBound(to: UInt8.self) + start * elem, count: K * elem)
                }
            default: break
            }
        }
        weightScales = ws
        weightZeros = wz

        var xf = [Float](repeating: 0, count: N * K)
        for i in xf.indices { xf[i] = rng.float(-2, 2) }
        // a few outliers, as real activations have
        for n in 0..<N { xf[n * K + Int(rng.next() % UInt64(K))] = rng.float(-20, 20) }
        activationFloats = xf
        activationStride = xrow
        let act = try AlignedBuffer(count: xrow * N)
        activations = act
        var xs = [Float](repeating: 0, count: N)
        var xsum = [Int32](repeating: 0, count: group > 0 ? N * ng : 0)
        if activationFormat == .f32 {
            xf.withUnsafeBytes { act.pointer.copyMemory(from: $0.baseAddress!, byteCount: N * K * 4) }
        } else {
            // The scalar encoder of the given registry, else this binary's (test registries hold only the
            // variants under test).
            let scalarQuant = { (r: KernelRegistry) -> UnsafePointer<qb_kernel_entry>? in
                r.variants.first {
                    $0.op == .quantizeRow && $0.activationFormat == activationFormat && $0.variant == .scalar
                }
                .flatMap { r.entry($0) }
            }
            guard let e = scalarQuant(registry) ?? scalarQuant(.builtIn), let fn = e.pointee.quant else {
                throw QBError.other("no scalar quantize_row for \(activationFormat) in this binary")
            }
            Self.encodeRows(fn, xf, N: N, K: K, group: group, into: act.pointer, stride: xrow, scales: &xs, sums: &xsum)
        }
        activationScales = xs
        activationSums = xsum
    }

    /// Encodes `N` rows of f32 activations with a `quantize_row` routine: row n goes to `out + n * stride`, its
    /// per-token scale to `scales[n]` and, for grouped formats, its per-group sums to `sums[n * K/group ...]`.
    /// Used once when operands are built and inside every timed call (dynamic quantization).
    package static func encodeRows(
        _ fn: qb_quant_fn, _ x: [Float], N: Int, K: Int, group: Int, into out: UnsafeMutableRawPointer,
        stride: Int, scales: inout [Float], sums: inout [Int32]
    ) {
        x.withUnsafeBufferPointer { src in
            scales.withUnsafeMutableBufferPointer { sp in
                sums.withUnsafeMutableBufferPointer { gs in
                    encodeRows(
                        fn, src.baseAddress!, rows: 0..<N, K: K, group: group, into: out, stride: stride,
                        scales: sp.baseAddress!, sums: gs.baseAddress)
                }
            }
        }
    }

    /// Rows `rows` of `x` (N x K floats) through `fn`: row n goes to `out + n * stride`, its scale to
    /// `scales[n]`, its per-group sums (when the format has groups) to `sums + n * (K / group)`. Disjoint row
    /// ranges touch disjoint memory, so workers may encode their own ranges at the same time.
    package static func encodeRows(
        _ fn: qb_quant_fn, _ x: UnsafePointer<Float>, rows: Range<Int>, K: Int, group: Int,
        into out: UnsafeMutableRawPointer, stride: Int, scales: UnsafeMutablePointer<Float>,
        sums: UnsafeMutablePointer<Int32>?
    ) {
        let ng = group > 0 ? K / group : 0
        for n in rows {
            fn(x + n * K, out + n * stride, scales + n, ng > 0 ? sums.map { $0 + n * ng } : nil, Int32(group), Int32(K))
        }
    }
}

/// A variant bound to operands: weights repacked (once) when the variant wants it, outputs allocated.
public final class PreparedKernel: @unchecked Sendable {
    public let variant: KernelVariant
    public let operands: KernelOperands
    package let entry: UnsafePointer<qb_kernel_entry>
    package let packed: AlignedBuffer?
    public let output: AlignedBuffer
    /// Output row stride in floats (> M on purpose in verification, to catch writes past a row).
    public let ldy: Int

    /// Bytes of weights the kernel reads per call (the repacked size when repacked).
    public let weightBytes: Int

    /// - Throws: `QBError.other` when the variant is not in this binary or refuses the shape.
    public init(
        variant: KernelVariant, operands: KernelOperands, registry: KernelRegistry = .builtIn, ldyPad: Int = 0
    ) throws {
        guard variant.op != .quantizeRow, let e = registry.entry(variant), e.pointee.mat != nil else {
            throw QBError.other("\(variant.key) is not a matrix kernel of this binary")
        }
        self.variant = variant
        self.operands = operands
        entry = e
        let ldy = operands.outputs + max(0, ldyPad)
        self.ldy = ldy
        let out = try AlignedBuffer(count: ldy * operands.tokens * 4)
        output = out
        if let rfn = e.pointee.repack_fn, let rsz = e.pointee.repack_size {
            let size = rsz(Int32(operands.outputs), Int32(operands.k), Int32(operands.group))
            guard size > 0 else {
                throw QBError.other("\(variant.key) cannot repack M=\(operands.outputs) K=\(operands.k)")
            }
            let buf = try AlignedBuffer(count: Int(size))
            Self.withArgs(operands, weights: operands.weights.pointer, output: out, ldy: ldy) { a in rfn(a, buf.pointer)
            }
            packed = buf
            weightBytes = Int(size)
        } else {
            packed = nil
            weightBytes =
                operands.weightStride * operands.outputs + operands.weightScales.count * 4 + operands.weightZeros.count
        }
    }

    package static func withArgs<R>(
        _ operands: KernelOperands, weights: UnsafeRawPointer, output: AlignedBuffer, ldy: Int,
        _ body: (UnsafePointer<qb_mat_args>) -> R
    ) -> R {
        operands.weightScales.withUnsafeBufferPointer { ws in
            operands.weightZeros.withUnsafeBufferPointer { wz in
                operands.activationScales.withUnsafeBufferPointer { xs in
                    operands.activationSums.withUnsafeBufferPointer { xsum in
                        var a = qb_mat_args()
                        a.w = weights
                        a.w_scales = ws.isEmpty ? nil : ws.baseAddress
                        a.w_zeros = wz.isEmpty ? nil : wz.baseAddress
                        a.x = UnsafeRawPointer(operands.activations.pointer)
                        a.x_scales = xs.isEmpty ? nil : xs.baseAddress
                        a.x_sums = xsum.isEmpty ? nil : xsum.baseAddress
                        a.y = output.pointer.assumingMemoryBound(to: Float.self)
                        a.M = Int32(operands.outputs); a.K = Int32(operands.k); a.N = Int32(operands.tokens)
                        a.group = Int32(operands.group)
                        a.w_stride = operands.weightStride
                        a.x_stride = operands.activationStride
                        a.ldy = ldy
                        return withUnsafePointer(to: &a) { body($0) }
                    }
                }
            }
        }
    }

    /// Runs the kernel for output rows [m0, m1) on the calling thread.
    public func run(rows: Range<Int>) {
        guard let fn = entry.pointee.mat, !rows.isEmpty else { return }
        let w = packed.map { UnsafeRawPointer($0.pointer) } ?? UnsafeRawPointer(operands.weights.pointer)
        Self.withArgs(operands, weights: w, output: output, ldy: ldy) { a in
            fn(a, Int32(rows.lowerBound), Int32(rows.upperBound))
        }
    }

    /// Runs every row, split over the pool at the variant's row alignment.
    public func run(pool: KernelThreadPool) {
        pool.parallelRows(operands.outputs, align: variant.rowAlign) { m0, m1 in run(rows: m0..<m1) }
    }

    /// The outputs, N rows of M (the padding of ldy dropped).
    public var y: [Float] {
        let p = output.pointer.assumingMemoryBound(to: Float.self)
        var out = [Float](repeating: 0, count: operands.outputs * operands.tokens)
        for n in 0..<operands.tokens {
            for m in 0..<operands.outputs { out[n * operands.outputs + m] = p[n * ldy + m] }
        }
        return out
    }

    /// Fills the outputs (padding included) with a bit pattern, so a kernel that skips an output is caught.
    public func poisonOutput(_ bits: UInt32 = 0x7fc0_dead) {
        let p = output.pointer.assumingMemoryBound(to: UInt32.self)
        for i in 0..<(ldy * operands.tokens) { p[i] = bits }
    }

    /// Whether the padding between rows (columns M..<ldy) still holds `bits`: kernels must not write there.
    public func paddingIntact(_ bits: UInt32 = 0x7fc0_dead) -> Bool {
        let p = output.pointer.assumingMemoryBound(to: UInt32.self)
        for n in 0..<operands.tokens { for m in operands.outputs..<ldy where p[n * ldy + m] != bits { return false } }
        return true
    }
}
