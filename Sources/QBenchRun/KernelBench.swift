// One benchmarkable kernel call: dynamic activation quantization plus the matrix kernel on a thread pool,
// optionally rotating over copies of the weights so decode (gemv) is measured cold, as decode sees it.
import CQBench
import Foundation
import QBenchFormats
import QBenchKernels

/// The buffer that cold benches copy their weights into, kept from one bench to the next: a run's decode results
/// each need about twice the last-level cache of copies (hundreds of MB), and faulting in a fresh buffer for every
/// one cost a default run about 45 s of its 145 s benchmark phase on a 260 MB-L3 host (page faults, kernel time).
public final class ColdArenas: @unchecked Sendable {
    private var buffer: AlignedBuffer?
    public init() {}

    /// A buffer of at least `bytes`: the kept one when it is large enough and no bench holds it any more, else a
    /// new one (kept from then on). Not for concurrent use.
    public func take(bytes: Int) throws -> AlignedBuffer {
        if isKnownUniquelyReferenced(&buffer), let b = buffer, b.count >= bytes { return b }
        buffer = nil  // free the old one first: two arenas of 2 x LLC need not coexist
        let b = try AlignedBuffer(count: bytes)
        buffer = b
        return b
    }
}

/// A prepared (variant, shape) ready to be timed.
public final class KernelBench: @unchecked Sendable {
    public let kernel: PreparedKernel
    /// Copies of the weight bytes the kernel streams (the repacked layout when the variant repacks).
    private let arena: AlignedBuffer?
    private let copyStride: Int
    public let copies: Int
    private var next = 0
    /// The activation quantizer run inside every timed call (nil for f32 activations).
    private let quant: qb_quant_fn?
    /// Where the timed quantization writes the scales and group sums (the kernel reads the operands' copies, which
    /// hold the same values), allocated once so workers can fill disjoint rows without Swift array access.
    let scratchScales: UnsafeMutablePointer<Float>
    let scratchSums: UnsafeMutablePointer<Int32>

    /// Bytes one call moves: weights (+ side arrays) + activations in + results out.
    public var bytesPerCall: Double {
        let o = kernel.operands
        return Double(kernel.weightBytes) + Double(o.activationStride * o.tokens) + Double(o.outputs * o.tokens * 4)
    }
    /// Multiply and add counted separately.
    public var opsPerCall: Double {
        2 * Double(kernel.operands.outputs) * Double(kernel.operands.k) * Double(kernel.operands.tokens)
    }

    /// - Parameters:
    ///   - coldBytes: when non-nil, weights are replicated so that more than this many bytes are read between two
    ///     uses of the same copy (pass 2 x the last-level cache). Decode shapes use it.
    ///   - quantizer: the activation `quantize_row` variant timed with each call (dynamic quantization).
    ///   - arenas: where the cold copies go; a run passes one `ColdArenas` so that its benches reuse one buffer
    ///     instead of faulting in a fresh 2 x LLC one each (nil: a buffer of this bench's own).
    public init(
        kernel: PreparedKernel, coldBytes: Int?, quantizer: KernelVariant?, registry: KernelRegistry = .builtIn,
        arenas: ColdArenas? = nil
    ) throws {
        self.kernel = kernel
        let w = kernel.packed.map { UnsafeRawPointer($0.pointer) } ?? UnsafeRawPointer(kernel.operands.weights.pointer)
        let bytes = kernel.packed?.count ?? kernel.operands.weightStride * kernel.operands.outputs
        if let cold = coldBytes, bytes < cold {
            // Enough copies that cycling through them reads more than `cold` bytes before a copy comes back.
            let n = cold / max(1, bytes) + 2
            let stride = (bytes + 4095) / 4096 * 4096
            let a = try arenas?.take(bytes: stride * n) ?? AlignedBuffer(count: stride * n)
            for i in 0..<n { (a.pointer + i * stride).copyMemory(from: w, byteCount: bytes) }
            arena = a; copyStride = stride; copies = n
        } else {
            arena = nil; copyStride = 0; copies = 1
        }
        quant = quantizer.flatMap { registry.entry($0)?.pointee.quant }
        scratchScales = .allocate(capacity: max(1, kernel.operands.tokens))
        scratchScales.initialize(repeating: 0, count: max(1, kernel.operands.tokens))
        scratchSums = .allocate(capacity: max(1, kernel.operands.activationSums.count))
        scratchSums.initialize(repeating: 0, count: max(1, kernel.operands.activationSums.count))
    }

    deinit {
        scratchScales.deallocate()
        scratchSums.deallocate()
    }

    /// How the weights one copy holds split over `threads` workers: each worker's rows, the rows per layout unit
    /// (16 when the variant repacks into x16 units), and the bytes of one copy.
    private func weightLayout(threads: Int) -> (ranges: [Range<Int>], unitRows: Int, bytes: Int) {
        let o = kernel.operands
        return (
            kernelRowRanges(rows: o.outputs, threads: threads, align: kernel.variant.rowAlign),
            kernel.packed == nil ? 1 : 16, kernel.packed?.count ?? o.weightStride * o.outputs
        )
    }

    /// What each of `threads` workers streams over a full rotation of a cold bench: its rows' bytes in every
    /// weight copy (64-byte aligned starts, lengths rounded down to 256 for the read loops); nil when the weights
    /// are not rotated (warm).
    public func rotatedSlices(threads: Int) -> [[(base: UnsafeRawPointer, bytes: Int)]]? {
        guard let arena else { return nil }
        let o = kernel.operands
        let (ranges, unitRows, bytes) = weightLayout(threads: threads)
        return ranges.map { r in
            guard !r.isEmpty else { return [] }
            let lo =
                WeightPlacement.offset(ofRow: r.lowerBound, rows: o.outputs, unitRows: unitRows, bufferBytes: bytes)
                / 64 * 64
            let hi =
                r.upperBound >= o.outputs
                ? bytes
                : WeightPlacement.offset(ofRow: r.upperBound, rows: o.outputs, unitRows: unitRows, bufferBytes: bytes)
            let n = (hi - lo) / 256 * 256
            guard n > 0 else { return [] }
            return (0..<copies).map { c in (UnsafeRawPointer(arena.pointer + c * copyStride + lo), n) }
        }
    }

    /// Binds each worker's rows of every weight copy to the worker's NUMA node (see `WeightPlacement`); call
    /// before timing on `pool`. Without a placer (no live topology) nothing is placed and the outcome says so.
    public func placeWeights(pool: KernelThreadPool, placer: ThreadPlacer?) -> WeightPlacementOutcome {
        guard let placer else { return .notPlaced("no live hwloc topology") }
        let o = kernel.operands
        let (ranges, unitRows, bytes) = weightLayout(threads: pool.threadCount)
        let bases: [UnsafeMutableRawPointer]
        if let arena {
            bases = (0..<copies).map { arena.pointer + $0 * copyStride }
        } else {
            bases = [kernel.packed?.pointer ?? o.weights.pointer]
        }
        var outcome = WeightPlacementOutcome.singleNode
        for b in bases {
            outcome = placer.placeWeights(
                base: b, bufferBytes: bytes, rows: o.outputs, unitRows: unitRows, rowRanges: ranges,
                nodes: pool.nodes)
            if case .notPlaced = outcome { return outcome }
            if case .singleNode = outcome { return outcome }
        }
        return outcome
    }

    /// One call: quantize the activation rows (dynamic), then run every output row on the pool. With several
    /// activation rows per worker the quantization is split by rows across the pool too (as ggml splits its
    /// from_float), so a prefill call is not held up by one thread encoding every token (q8_0 at 512 x 14336:
    /// about 5 ms on one thread here, against 75-110 ms for the gemm). A single row (decode) is encoded on the
    /// caller: it takes microseconds, less than a pool round trip.
    public func call(pool: KernelThreadPool) {
        let o = kernel.operands
        if let q = quant {
            let scales = scratchScales, sums = o.group > 0 ? scratchSums : nil
            let out = o.activations.pointer, stride = o.activationStride, K = o.k, group = o.group
            o.activationFloats.withUnsafeBufferPointer { src in
                let x = src.baseAddress!
                if pool.threadCount > 1, o.tokens >= 2 * pool.threadCount {
                    pool.parallelRows(o.tokens, align: 1) { n0, n1 in
                        KernelOperands.encodeRows(
                            q, x, rows: n0..<n1, K: K, group: group, into: out, stride: stride,
                            scales: scales, sums: sums)
                    }
                } else {
                    KernelOperands.encodeRows(
                        q, x, rows: 0..<o.tokens, K: K, group: group, into: out, stride: stride,
                        scales: scales, sums: sums)
                }
            }
        }
        let w: UnsafeRawPointer
        if let arena {
            w = UnsafeRawPointer(arena.pointer + next * copyStride)
            next = (next + 1) % copies
        } else {
            w = kernel.packed.map { UnsafeRawPointer($0.pointer) } ?? UnsafeRawPointer(o.weights.pointer)
        }
        guard let fn = kernel.entry.pointee.mat else { return }
        let k = kernel
        // The split the weights were placed by (placeWeights), so each worker reads the rows on its node.
        pool.parallel(over: weightLayout(threads: pool.threadCount).ranges) { m0, m1 in
            PreparedKernel.withArgs(o, weights: w, output: k.output, ldy: k.ldy) { a in fn(a, Int32(m0), Int32(m1)) }
        }
    }
}
