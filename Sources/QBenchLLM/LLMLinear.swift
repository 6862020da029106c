// A linear layer of the model on the suite's kernels: the weights quantized once into a format's layout (and
// repacked once when the chosen variant wants it), the activations quantized at run time per row as the kernels
// expect (dynamic quantization), and every output row split over the pinned thread pool. Decode (one token)
// uses the gemv variant, prefill (several tokens) the gemm variant.
import CQBench
import Foundation
import QBenchFormats
import QBenchKernels
import QBenchSupport

/// The variants one weight format runs on: gemv for a single token, gemm for several, and the quantize_row that
/// encodes activations (nil when the kernels take f32 activations).
public struct LLMKernelChoice: Sendable, Equatable {
    public var format: WeightFormat
    public var gemv: KernelVariant
    public var gemm: KernelVariant
    public var quantizer: KernelVariant?

    public init(format: WeightFormat, gemv: KernelVariant, gemm: KernelVariant, quantizer: KernelVariant?) {
        self.format = format; self.gemv = gemv; self.gemm = gemm; self.quantizer = quantizer
    }

    /// The best of `verified` for `format` by the architecture's preference (the static dispatch plan's order).
    /// - Throws: `QBError.other` naming what is missing when the format has no verified gemv, gemm or
    ///   activation quantizer on this device.
    public static func choose(
        format: WeightFormat, verified: Set<KernelVariant>, arch: String, sveVectorBits: Int?
    ) throws -> LLMKernelChoice {
        func best(_ op: KernelOp, _ family: FormatFamily?, _ match: (KernelVariant) -> Bool) -> KernelVariant? {
            let pref = KernelDispatch.preference(family: family, op: op, arch: arch, sveVectorBits: sveVectorBits)
            return verified.filter { $0.op == op && match($0) }.min { a, b in
                let ia = pref.firstIndex(of: a.variant) ?? Int.max, ib = pref.firstIndex(of: b.variant) ?? Int.max
                return ia != ib ? ia < ib : a.activationFormat.rawValue < b.activationFormat.rawValue
            }
        }
        let act = format.activationFormat
        let family = FormatFamily(format)
        guard let gemv = best(.gemv, family, { $0.weightFormat == format && $0.activationFormat == act }),
            let gemm = best(.gemm, family, { $0.weightFormat == format && $0.activationFormat == act })
        else {
            throw QBError.other("no verified gemv and gemm kernels for \(format.rawValue) on this device")
        }
        var quantizer: KernelVariant?
        if act != .f32 {
            guard let q = best(.quantizeRow, FormatFamily(act), { $0.activationFormat == act }) else {
                throw QBError.other("no verified quantize_row for \(act.rawValue) activations on this device")
            }
            quantizer = q
        }
        return LLMKernelChoice(format: format, gemv: gemv, gemm: gemm, quantizer: quantizer)
    }
}

/// Scratch for the activations of one call: the encoded rows and their per-row scales and per-group sums.
final class ActivationScratch: @unchecked Sendable {
    private(set) var buffer: AlignedBuffer
    private(set) var scales: [Float]
    private(set) var sums: [Int32]
    init() throws {
        buffer = try AlignedBuffer(count: 64); scales = []; sums = []
    }
    func ensure(bytes: Int, rows: Int, sumsPerRow: Int) throws {
        if buffer.count < bytes { buffer = try AlignedBuffer(count: bytes) }
        if scales.count < rows { scales = [Float](repeating: 0, count: rows) }
        if sums.count < rows * sumsPerRow { sums = [Int32](repeating: 0, count: rows * sumsPerRow) }
    }
    func withPointers<R>(
        _ body: (UnsafeMutableRawPointer, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>) -> R
    )
        -> R
    {
        scales.withUnsafeMutableBufferPointer { s in
            sums.withUnsafeMutableBufferPointer { g in
                body(buffer.pointer, s.baseAddress!, g.baseAddress ?? UnsafeMutablePointer(bitPattern: 64)!)
            }
        }
    }
}

/// `outputs` x `k` weights in one format, ready for `apply`.
public final class LLMLinear: @unchecked Sendable {
    public let outputs: Int
    public let k: Int
    public let choice: LLMKernelChoice
    /// Weight bytes in the format's stored layout (data, f32 scales, zero points); a repacked copy may pad rows.
    public let weightBytes: Int
    /// The weights as stored, kept only when a variant reads them unrepacked.
    private let data: AlignedBuffer?
    private let scales: [Float]
    private let zeros: [UInt8]
    private let stride: Int
    private let gemvEntry: UnsafePointer<qb_kernel_entry>
    private let gemmEntry: UnsafePointer<qb_kernel_entry>
    private let quant: qb_quant_fn?
    private let gemvPacked: AlignedBuffer?
    private let gemmPacked: AlignedBuffer?
    private let scratch: ActivationScratch
    private let xRowBytes: Int
    private let group: Int
    /// f32 bias added to every output row (Qwen2's q/k/v), or empty.
    private let bias: [Float]

    /// Quantizes `weights` (row-major `outputs` x `k` f32) with the format's reference quantizer and prepares both
    /// variants (repacking once where they want it). f32 weights are taken as they are (no copy beyond the layout
    /// the kernels read).
    /// - Throws: `QBError.other` when `k` does not fit the format, a weight is not finite (block formats), or the
    ///   registry lacks an entry.
    public convenience init(
        weights: UnsafeBufferPointer<Float>, outputs: Int, k: Int, choice: LLMKernelChoice, bias: [Float] = [],
        threads: Int = 1, registry: KernelRegistry = .builtIn
    ) throws {
        if choice.format == .f32 {
            guard weights.count == outputs * k else {
                throw QBError.other("f32: expected \(outputs) x \(k) floats, got \(weights.count)")
            }
            try self.init(
                rows: outputs, k: k, data: UnsafeRawBufferPointer(weights), scales: [], zeros: [], choice: choice,
                bias: bias, registry: registry)
        } else {
            let q = try choice.format.quantize(weights, rows: outputs, k: k, threads: threads)
            try self.init(matrix: q, choice: choice, bias: bias, registry: registry)
        }
    }

    /// Wraps an already quantized matrix in the choice's format.
    public convenience init(
        matrix q: QuantizedMatrix, choice: LLMKernelChoice, bias: [Float] = [], registry: KernelRegistry = .builtIn
    ) throws {
        guard q.format == choice.format else {
            throw QBError.other("a \(q.format.rawValue) matrix cannot run on \(choice.format.rawValue) kernels")
        }
        try self.init(
            rows: q.rows, k: q.k, data: q.data, scales: q.scales, zeros: q.zeros, choice: choice, bias: bias,
            registry: registry)
    }

    /// `rows` x `k` weights in the choice's format layout (`data`, plus the side arrays). The bytes are repacked
    /// for the variants that want it (once when gemv and gemm share the repack) and copied only when a variant
    /// reads them as stored.
    init(
        rows: Int, k: Int, data bytes: some ContiguousBytes, scales: [Float], zeros: [UInt8],
        choice: LLMKernelChoice, bias: [Float], registry: KernelRegistry
    ) throws {
        guard let ev = registry.entry(choice.gemv), ev.pointee.mat != nil, let em = registry.entry(choice.gemm),
            em.pointee.mat != nil
        else {
            throw QBError.other("\(choice.gemv.key) or \(choice.gemm.key) is not a kernel of this binary")
        }
        let rowBytes = try choice.format.rowBytes(k: k)
        let G = choice.format.groupSize
        let (packedV, packedM, copy, byteCount) = try bytes.withUnsafeBytes { src in
            guard src.count == rowBytes * rows else {
                throw QBError.other(
                    "\(choice.format.rawValue) \(rows)x\(k): \(src.count) bytes, expected \(rowBytes * rows)")
            }
            return try Self.layouts(
                src, rows: rows, k: k, group: G, rowBytes: rowBytes, scales: scales, zeros: zeros, gemv: ev, gemm: em,
                format: choice.format)
        }
        outputs = rows; self.k = k; self.choice = choice
        guard bias.isEmpty || bias.count == outputs else {
            throw QBError.other("bias of \(bias.count) values for \(outputs) outputs")
        }
        self.bias = bias
        gemvEntry = ev; gemmEntry = em
        stride = rowBytes
        self.scales = scales; self.zeros = zeros
        group = G
        let act = choice.format.activationFormat
        xRowBytes = try act.rowBytes(k: k)
        if let qv = choice.quantizer {
            guard let e = registry.entry(qv), let fn = e.pointee.quant else {
                throw QBError.other("\(qv.key) is not a quantize_row of this binary")
            }
            quant = fn
        } else {
            quant = nil
        }
        scratch = try ActivationScratch()
        gemvPacked = packedV; gemmPacked = packedM; data = copy
        weightBytes = byteCount + 4 * scales.count + zeros.count
    }

    /// The repacked weights of each variant (one buffer when gemv and gemm share the repack) and, when a variant
    /// reads them as stored, a copy of `src`.
    private static func layouts(
        _ src: UnsafeRawBufferPointer, rows: Int, k: Int, group G: Int, rowBytes: Int, scales: [Float],
        zeros: [UInt8], gemv ev: UnsafePointer<qb_kernel_entry>, gemm em: UnsafePointer<qb_kernel_entry>,
        format: WeightFormat
    ) throws -> (AlignedBuffer?, AlignedBuffer?, AlignedBuffer?, Int) {
        func repack(_ entry: UnsafePointer<qb_kernel_entry>) throws -> AlignedBuffer? {
            guard let rfn = entry.pointee.repack_fn, let rsz = entry.pointee.repack_size else { return nil }
            let size = rsz(Int32(rows), Int32(k), Int32(G))
            guard size > 0 else { throw QBError.other("\(format.rawValue) kernel cannot repack \(rows)x\(k)") }
            let buf = try AlignedBuffer(count: Int(size))
            withArgs(
                weights: src.baseAddress!, scales: scales, zeros: zeros, outputs: rows, k: k, group: G,
                stride: rowBytes, xStride: 0, x: nil, xScales: nil, xSums: nil, y: nil, tokens: 1, ldy: rows
            ) { rfn($0, buf.pointer) }
            return buf
        }
        func address<T>(_ f: T?) -> UnsafeRawPointer? { f.map { unsafeBitCast($0, to: UnsafeRawPointer.self) } }
        let packedV = try repack(ev)
        let shared =
            address(ev.pointee.repack_fn) != nil && address(ev.pointee.repack_fn) == address(em.pointee.repack_fn)
            && address(ev.pointee.repack_size) == address(em.pointee.repack_size)
        let packedM = shared ? packedV : try repack(em)
        var copy: AlignedBuffer?
        if packedV == nil || packedM == nil {
            let c = try AlignedBuffer(count: max(1, src.count))
            c.pointer.copyMemory(from: src.baseAddress!, byteCount: src.count)
            copy = c
        }
        return (packedV, packedM, copy, src.count)
    }

    private func withArgs<R>(
        weights: UnsafeRawPointer, x: UnsafeRawPointer?, xScales: UnsafePointer<Float>?,
        xSums: UnsafePointer<Int32>?, y: UnsafeMutablePointer<Float>?, tokens: Int, ldy: Int,
        _ body: (UnsafePointer<qb_mat_args>) -> R
    ) -> R {
        Self.withArgs(
            weights: weights, scales: scales, zeros: zeros, outputs: outputs, k: k, group: group, stride: stride,
            xStride: quant == nil ? k * 4 : xRowBytes, x: x, xScales: xScales, xSums: xSums, y: y, tokens: tokens,
            ldy: ldy, body)
    }

    private static func withArgs<R>(
        weights: UnsafeRawPointer, scales: [Float], zeros: [UInt8], outputs: Int, k: Int, group: Int, stride: Int,
        xStride: Int, x: UnsafeRawPointer?, xScales: UnsafePointer<Float>?, xSums: UnsafePointer<Int32>?,
        y: UnsafeMutablePointer<Float>?, tokens: Int, ldy: Int, _ body: (UnsafePointer<qb_mat_args>) -> R
    ) -> R {
        scales.withUnsafeBufferPointer { ws in
            zeros.withUnsafeBufferPointer { wz in
                var a = qb_mat_args()
                a.w = weights
                a.w_scales = ws.isEmpty ? nil : ws.baseAddress
                a.w_zeros = wz.isEmpty ? nil : wz.baseAddress
                a.x = x; a.x_scales = xScales; a.x_sums = xSums
                a.y = y
                a.M = Int32(outputs); a.K = Int32(k); a.N = Int32(tokens)
                a.group = Int32(group)
                a.w_stride = stride
                a.x_stride = xStride
                a.ldy = ldy
                return withUnsafePointer(to: &a) { body($0) }
            }
        }
    }

    /// y[n][0..<outputs] = W x[n] (+ bias) for `tokens` rows of `x` (each `k` floats, contiguous), on `pool`.
    /// Activations are quantized first when the format's kernels take quantized ones (split by rows across the
    /// pool for several tokens); a single token runs the gemv variant, several the gemm variant.
    public func apply(
        _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, pool: KernelThreadPool,
        ldy: Int? = nil
    ) {
        guard tokens > 0 else { return }
        let ldy = ldy ?? outputs
        let isGemv = tokens == 1
        let entry = isGemv ? gemvEntry : gemmEntry
        let variant = isGemv ? choice.gemv : choice.gemm
        let w = UnsafeRawPointer((isGemv ? gemvPacked : gemmPacked)?.pointer ?? data!.pointer)
        guard let fn = entry.pointee.mat else { return }
        if let quant {
            let ng = group > 0 ? k / group : 0
            // Sizes come from a model that was already loaded: failing here means memory ran out.
            do { try scratch.ensure(bytes: xRowBytes * tokens, rows: tokens, sumsPerRow: ng) } catch {
                fatalError("qbench llm: out of memory for \(tokens) activation rows")
            }
            scratch.withPointers { out, sc, sums in
                let k = self.k, group = self.group, stride = xRowBytes
                let encode = { (n0: Int, n1: Int) in
                    for n in n0..<n1 {
                        quant(x + n * k, out + n * stride, sc + n, ng > 0 ? sums + n * ng : nil, Int32(group), Int32(k))
                    }
                }
                if pool.threadCount > 1, tokens >= 2 * pool.threadCount {
                    pool.parallelRows(tokens, align: 1, encode)
                } else {
                    encode(0, tokens)
                }
                withArgs(
                    weights: w, x: UnsafeRawPointer(out), xScales: sc, xSums: ng > 0 ? sums : nil, y: y,
                    tokens: tokens, ldy: ldy
                ) { a in
                    pool.parallelRows(outputs, align: variant.rowAlign) { m0, m1 in fn(a, Int32(m0), Int32(m1)) }
                }
            }
        } else {
            withArgs(
                weights: w, x: UnsafeRawPointer(x), xScales: nil, xSums: nil, y: y, tokens: tokens, ldy: ldy
            ) { a in
                pool.parallelRows(outputs, align: variant.rowAlign) { m0, m1 in fn(a, Int32(m0), Int32(m1)) }
            }
        }
        if !bias.isEmpty {
            bias.withUnsafeBufferPointer { b in
                for n in 0..<tokens {
                    let row = y + n * ldy
                    for m in 0..<outputs { row[m] += b[m] }
                }
            }
        }
    }
}

/// One projection of the forward pass: a single matrix, or matrices stacked by rows that read the same input (q, k
/// and v; gate and up). Stacked parts of one format are one `LLMLinear` (the input quantized once, the pool woken
/// once); parts stored in different formats (a Q4_K_M file run as stored keeps v in q6_k beside q/k in q4_k) are
/// separate linears writing their columns of the same output rows.
public final class LLMProjection: @unchecked Sendable {
    public let parts: [LLMLinear]
    /// Output rows of all parts.
    public let outputs: Int

    public init(_ parts: [LLMLinear]) {
        self.parts = parts
        outputs = parts.reduce(0) { $0 + $1.outputs }
    }

    public var weightBytes: Int { parts.reduce(0) { $0 + $1.weightBytes } }

    /// y (tokens x outputs) = x (tokens x k) times the stacked matrices, transposed.
    public func apply(
        _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, pool: KernelThreadPool
    ) {
        var offset = 0
        for p in parts {
            p.apply(x, tokens: tokens, into: y + offset, pool: pool, ldy: outputs)
            offset += p.outputs
        }
    }
}
