// The forward pass: token embedding, per layer RMSNorm -> q/k/v -> (q/k norms) -> RoPE -> grouped-query attention
// over a KV cache (causal; a sliding window on local layers) -> output projection (-> post norm) -> residual ->
// RMSNorm -> gated FFN -> (post norm) -> residual; final norm; output projection. Every matrix product runs on
// an `LLMLinear` (the suite's kernels); norms and RoPE are f32 in Swift, attention and the gated activations f32 in
// C (qbench_llm.h).
import CQBench
import Foundation
import QBenchFormats
import QBenchKernels
import QBenchSupport

/// One layer's weights.
struct LLMLayer: Sendable {
    var attnNorm: [Float]
    /// q, k and v stacked into one matrix (rows q, then k, then v), and gate over up: the projections that read the
    /// same input run as one call, so the input is quantized once and the pool is woken once (each output row
    /// depends only on its own weight row, so the figures are those of separate calls).
    var qkv: LLMProjection, o: LLMProjection
    var qNorm: [Float]?, kNorm: [Float]?
    var postAttnNorm: [Float]?
    var ffnNorm: [Float]
    var gateUp: LLMProjection, down: LLMProjection
    var postFFNNorm: [Float]?
}

/// Which weight format each matrix runs in.
public struct LLMFormatPlan: Sendable {
    /// The format of the layers' matrices.
    public var layers: LLMKernelChoice
    /// The format of the output projection (tied to the embedding in Gemma); the same as `layers` unless kept in
    /// higher precision.
    public var output: LLMKernelChoice
    /// When set, every matrix runs as its file stores it: the stored bytes, on the choice for the stored format
    /// (`layers` and `output` are then unused). A matrix whose stored format has no choice here is refused.
    public var stored: [WeightFormat: LLMKernelChoice]?
    public init(layers: LLMKernelChoice, output: LLMKernelChoice) { self.layers = layers; self.output = output }

    /// The plan that runs every matrix as stored, on `choices` (one per stored format).
    public static func asStored(_ choices: [WeightFormat: LLMKernelChoice], fallback: LLMKernelChoice) -> Self {
        var p = LLMFormatPlan(layers: fallback, output: fallback)
        p.stored = choices
        return p
    }

    /// The kernel variants the plan runs, by op ("avx2", or "avx2+avx512_vnni" when stored formats differ).
    public var variantNames: (gemv: String, gemm: String) {
        let cs = stored.map { Array($0.values) } ?? [layers, output]
        func names(_ pick: (LLMKernelChoice) -> KernelVariant) -> String {
            Array(Set(cs.map { pick($0).variant.rawValue })).sorted().joined(separator: "+")
        }
        return (names(\.gemv), names(\.gemm))
    }
}

/// A model ready to run: the f32 embedding table for lookups, the norms, and every matrix in its format.
public final class LLMModel: @unchecked Sendable {
    public let config: LLMConfig
    public let plan: LLMFormatPlan
    /// vocab x embedding, f32 (lookups; shared between models built from the same source).
    let embedding: SharedFloats
    let layers: [LLMLayer]
    let outputNorm: [Float]
    let output: LLMProjection
    /// Bytes of every matrix in its format's stored layout (embedding lookup table excluded).
    public let matrixBytes: Int
    /// Number of weights in those matrices.
    public let matrixWeights: Int

    /// Builds the model from `source` with each matrix quantized by `plan`'s formats.
    /// - Parameter embedding: the f32 embedding table of an earlier model of the same source, to share it.
    /// - Throws: `QBError.badInput` when a tensor is missing or its shape disagrees with `config`;
    ///   `QBError.other` when a format cannot take a shape.
    public init(
        config c: LLMConfig, source: any LLMWeightSource, plan: LLMFormatPlan, sharing other: LLMModel? = nil,
        threads: Int = 1
    ) throws {
        try LLMShapes.check(c, source)
        config = c
        self.plan = plan
        let emb =
            try other?.embedding ?? SharedFloats(try source.values(of: LLMTensorName.tokenEmbedding, threads: threads))
        embedding = emb
        var bytes = 0, weights = 0
        /// The matrices `parts` (name, rows, bias name) stacked in order into one, all `k` wide.
        func linear(_ parts: [(String, Int, String?)], _ k: Int, _ choice: LLMKernelChoice) throws -> LLMProjection {
            if let stored = plan.stored { return try storedLinear(parts, k, stored) }
            var w: [Float] = [], b: [Float] = []
            for (name, _, bias) in parts {
                w += try source.values(of: name, threads: threads)
                if let bias { b += try source.values(of: bias, threads: threads) }
            }
            let rows = parts.reduce(0) { $0 + $1.1 }
            let l = try w.withUnsafeBufferPointer {
                try LLMLinear(weights: $0, outputs: rows, k: k, choice: choice, bias: b, threads: threads)
            }
            bytes += l.weightBytes; weights += rows * k
            return LLMProjection([l])
        }
        /// As stored: runs of consecutive parts in one stored format become one linear over their bytes.
        func storedLinear(
            _ parts: [(String, Int, String?)], _ k: Int, _ choices: [WeightFormat: LLMKernelChoice]
        ) throws -> LLMProjection {
            // Each part's bytes are read once.
            let stored = try parts.map { part in
                guard let m = source.storedMatrix(of: part.0) else {
                    throw QBError.badInput(
                        path: source.name, message: "\(quoted(part.0)) is not stored in a format with kernels")
                }
                return m
            }
            var out: [LLMLinear] = []
            var i = 0
            while i < parts.count {
                let first = stored[i]
                var data = first.data, rows = first.rows, b: [Float] = []
                if let bias = parts[i].2 { b += try source.values(of: bias, threads: threads) }
                var j = i + 1
                while j < parts.count, stored[j].format == first.format {
                    data += stored[j].data; rows += stored[j].rows
                    if let bias = parts[j].2 { b += try source.values(of: bias, threads: threads) }
                    j += 1
                }
                guard let choice = choices[first.format] else {
                    throw QBError.other("no kernels chosen for the stored format \(first.format.rawValue)")
                }
                let q = try QuantizedMatrix(format: first.format, rows: rows, k: k, data: data)
                let l = try LLMLinear(matrix: q, choice: choice, bias: b)
                bytes += l.weightBytes; weights += rows * k
                out.append(l)
                i = j
            }
            return LLMProjection(out)
        }
        func linear(_ name: String, _ rows: Int, _ k: Int, _ choice: LLMKernelChoice) throws -> LLMProjection {
            try linear([(name, rows, nil)], k, choice)
        }
        func norm(_ name: String) throws -> [Float] { try source.values(of: name, threads: threads) }
        let e = c.embeddingLength, f = c.feedForwardLength
        let qn = c.headCount * c.headDim, kvn = c.headCountKV * c.headDim, vn = c.headCountKV * c.valueDim
        var layers: [LLMLayer] = []
        for il in 0..<c.blockCount {
            let b = { LLMTensorName.block(il, $0) }
            let ch = plan.layers
            layers.append(
                LLMLayer(
                    attnNorm: try norm(b("attn_norm.weight")),
                    qkv: try linear(
                        [
                            (b("attn_q.weight"), qn, c.hasQKVBias ? b("attn_q.bias") : nil),
                            (b("attn_k.weight"), kvn, c.hasQKVBias ? b("attn_k.bias") : nil),
                            (b("attn_v.weight"), vn, c.hasQKVBias ? b("attn_v.bias") : nil),
                        ], e, ch),
                    o: try linear(b("attn_output.weight"), e, c.headCount * c.valueDim, ch),
                    qNorm: c.hasQKNorm ? try norm(b("attn_q_norm.weight")) : nil,
                    kNorm: c.hasQKNorm ? try norm(b("attn_k_norm.weight")) : nil,
                    postAttnNorm: c.hasPostNorms ? try norm(b("post_attention_norm.weight")) : nil,
                    ffnNorm: try norm(b("ffn_norm.weight")),
                    gateUp: try linear([(b("ffn_gate.weight"), f, nil), (b("ffn_up.weight"), f, nil)], e, ch),
                    down: try linear(b("ffn_down.weight"), e, f, ch),
                    postFFNNorm: c.hasPostNorms ? try norm(b("post_ffw_norm.weight")) : nil))
        }
        self.layers = layers
        outputNorm = try norm(LLMTensorName.outputNorm)
        if source.shape(of: LLMTensorName.output) != nil {
            output = try linear(LLMTensorName.output, c.vocabSize, e, plan.output)
        } else if plan.stored != nil {
            // Tied and run as stored: the embedding matrix's own bytes on its format's kernels, as llama.cpp runs it.
            output = try linear(LLMTensorName.tokenEmbedding, c.vocabSize, e, plan.output)
        } else {
            // Tied: the output projection is the embedding matrix, quantized like the other matrices.
            let l = try emb.values.withUnsafeBufferPointer {
                try LLMLinear(weights: $0, outputs: c.vocabSize, k: e, choice: plan.output, threads: threads)
            }
            bytes += l.weightBytes; weights += c.vocabSize * e
            output = LLMProjection([l])
        }
        matrixBytes = bytes
        matrixWeights = weights
    }

    /// Bits per weight over every matrix (embedding lookup table excluded).
    public var bitsPerWeight: Double { matrixWeights > 0 ? Double(matrixBytes) * 8 / Double(matrixWeights) : 0 }

    /// A fresh KV cache for up to `capacity` positions.
    public func makeCache(capacity: Int) throws -> LLMKVCache { try LLMKVCache(config: config, capacity: capacity) }

    /// Runs `tokens` at positions `cache.count ..< cache.count + tokens.count`, appending their keys and values to
    /// `cache`, and returns the final-norm hidden states of the rows in `outputRows` (indices into `tokens`),
    /// `outputRows.count` x embedding, ready for `logits`.
    /// - Throws: `QBError.other` when the cache is full or a token id is outside the vocabulary.
    public func forward(
        _ tokens: [Int32], cache: LLMKVCache, outputRows: Range<Int>, pool: KernelThreadPool
    ) throws -> [Float] {
        let c = config
        let n = tokens.count, e = c.embeddingLength
        guard n > 0 else { return [] }
        guard cache.count + n <= cache.capacity else {
            throw QBError.other(
                "\(cache.count + n) positions do not fit the KV cache of \(cache.capacity) (the context)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
            throw QBError.other("token id \(bad) is outside the vocabulary of \(c.vocabSize)")
        }
        let p0 = cache.count
        // Activations live in the cache's workspace between calls: fresh megabyte arrays on every token would be
        // zeroed pages from the kernel each time.
        var x = cache.take("x", n * e)
        embedding.values.withUnsafeBufferPointer { table in
            for (i, t) in tokens.enumerated() {
                let src = table.baseAddress! + Int(t) * e
                for j in 0..<e { x[i * e + j] = src[j] * c.embeddingScale }
            }
        }
        let qn = c.headCount * c.headDim, kvn = c.headCountKV * c.headDim, vn = c.headCountKV * c.valueDim
        let on = c.headCount * c.valueDim, f = c.feedForwardLength
        var h = cache.take("h", n * e)
        var q = cache.take("q", n * qn), k = cache.take("k", n * kvn)
        var v = cache.take("v", n * vn), att = cache.take("att", n * on)
        var o = cache.take("o", n * e)
        var g = cache.take("g", n * f), gu = cache.take("gu", n * 2 * f)
        var qkv = cache.take("qkv", n * (qn + kvn + vn))
        defer {
            for (key, a) in [
                ("x", x), ("h", h), ("q", q), ("k", k), ("v", v), ("att", att), ("o", o), ("g", g), ("gu", gu),
                ("qkv", qkv),
            ] {
                cache.give(key, a)
            }
        }
        for (il, L) in layers.enumerated() {
            LLMMath.rmsNorm(x, into: &h, rows: n, width: e, weight: L.attnNorm, eps: c.rmsEpsilon)
            h.withUnsafeBufferPointer { hp in
                qkv.withUnsafeMutableBufferPointer {
                    L.qkv.apply(hp.baseAddress!, tokens: n, into: $0.baseAddress!, pool: pool)
                }
            }
            let w = qn + kvn + vn
            LLMMath.columns(qkv, rows: n, width: w, offset: 0, count: qn, into: &q)
            LLMMath.columns(qkv, rows: n, width: w, offset: qn, count: kvn, into: &k)
            LLMMath.columns(qkv, rows: n, width: w, offset: qn + kvn, count: vn, into: &v)
            if let qw = L.qNorm, let kw = L.kNorm {
                LLMMath.rmsNormInPlace(&q, rows: n * c.headCount, width: c.headDim, weight: qw, eps: c.rmsEpsilon)
                LLMMath.rmsNormInPlace(&k, rows: n * c.headCountKV, width: c.headDim, weight: kw, eps: c.rmsEpsilon)
            }
            let local = c.isLocal(layer: il)
            let base = local ? c.ropeBaseLocal : c.ropeBase
            LLMMath.rope(&q, rows: n, heads: c.headCount, headDim: c.headDim, start: p0, base: base, style: c.ropeStyle)
            LLMMath.rope(
                &k, rows: n, heads: c.headCountKV, headDim: c.headDim, start: p0, base: base, style: c.ropeStyle)
            cache.store(layer: il, at: p0, keys: k, values: v, rows: n)
            cache.attend(
                layer: il, queries: q, rows: n, start: p0, into: &att, scale: c.attentionScale,
                window: local ? c.slidingWindow : nil, pool: pool)
            att.withUnsafeBufferPointer { ap in
                o.withUnsafeMutableBufferPointer {
                    L.o.apply(ap.baseAddress!, tokens: n, into: $0.baseAddress!, pool: pool)
                }
            }
            if let w = L.postAttnNorm { LLMMath.rmsNormInPlace(&o, rows: n, width: e, weight: w, eps: c.rmsEpsilon) }
            for i in 0..<(n * e) { x[i] += o[i] }
            LLMMath.rmsNorm(x, into: &h, rows: n, width: e, weight: L.ffnNorm, eps: c.rmsEpsilon)
            h.withUnsafeBufferPointer { hp in
                gu.withUnsafeMutableBufferPointer {
                    L.gateUp.apply(hp.baseAddress!, tokens: n, into: $0.baseAddress!, pool: pool)
                }
            }
            LLMMath.gatedActivation(gu, rows: n, width: f, into: &g, activation: c.activation)
            g.withUnsafeBufferPointer { gp in
                o.withUnsafeMutableBufferPointer {
                    L.down.apply(gp.baseAddress!, tokens: n, into: $0.baseAddress!, pool: pool)
                }
            }
            if let w = L.postFFNNorm { LLMMath.rmsNormInPlace(&o, rows: n, width: e, weight: w, eps: c.rmsEpsilon) }
            for i in 0..<(n * e) { x[i] += o[i] }
        }
        cache.count = p0 + n
        let rows = outputRows.clamped(to: 0..<n)
        let picked = Array(x[(rows.lowerBound * e)..<(rows.upperBound * e)])
        var out = [Float](repeating: 0, count: picked.count)
        LLMMath.rmsNorm(picked, into: &out, rows: rows.count, width: e, weight: outputNorm, eps: c.rmsEpsilon)
        return out
    }

    /// Logits (rows x vocabulary) of `rows` final hidden states from `forward`, through the output projection.
    public func logits(_ hidden: [Float], rows: Int, pool: KernelThreadPool) -> [Float] {
        var out = [Float](repeating: 0, count: rows * config.vocabSize)
        logits(hidden, rows: rows, into: &out, pool: pool)
        return out
    }

    /// `logits` into a caller's array (resized to rows x vocabulary only when its size differs), so a generation
    /// loop does not allocate a fresh megabyte per token.
    public func logits(_ hidden: [Float], rows: Int, into out: inout [Float], pool: KernelThreadPool) {
        if out.count != rows * config.vocabSize { out = [Float](repeating: 0, count: rows * config.vocabSize) }
        guard rows > 0 else { return }
        hidden.withUnsafeBufferPointer { hp in
            out.withUnsafeMutableBufferPointer {
                output.apply(hp.baseAddress!, tokens: rows, into: $0.baseAddress!, pool: pool)
            }
        }
    }
}

/// An f32 array shared by reference between models (the embedding table is 671 MB for Gemma 3 270M).
final class SharedFloats: @unchecked Sendable {
    let values: [Float]
    init(_ values: [Float]) { self.values = values }
}

/// Keys and values of every layer for the positions seen so far, f32.
public final class LLMKVCache: @unchecked Sendable {
    public let capacity: Int
    /// Positions filled.
    public internal(set) var count = 0
    let kvHeads: Int, headDim: Int, valueDim: Int, groupSize: Int
    private var keys: [[Float]]
    private var values: [[Float]]

    init(config c: LLMConfig, capacity: Int) throws {
        guard capacity > 0 else { throw QBError.other("a KV cache needs at least one position") }
        self.capacity = capacity
        kvHeads = c.headCountKV; headDim = c.headDim; valueDim = c.valueDim
        groupSize = c.headCount / c.headCountKV
        keys = Array(repeating: [Float](repeating: 0, count: capacity * c.headCountKV * c.headDim), count: c.blockCount)
        values = Array(
            repeating: [Float](repeating: 0, count: capacity * c.headCountKV * c.valueDim), count: c.blockCount)
    }

    /// Forgets every position (the memory stays allocated).
    public func reset() { count = 0 }

    /// Activation arrays reused by `forward` from call to call, by name.
    private var workspace: [String: [Float]] = [:]

    /// The workspace array `key` when it has `count` elements (contents unspecified), else a new zeroed one.
    func take(_ key: String, _ count: Int) -> [Float] {
        if let a = workspace.removeValue(forKey: key), a.count == count { return a }
        return [Float](repeating: 0, count: count)
    }

    func give(_ key: String, _ a: [Float]) { workspace[key] = a }

    func store(layer il: Int, at p0: Int, keys k: [Float], values v: [Float], rows n: Int) {
        let kw = kvHeads * headDim, vw = kvHeads * valueDim
        keys[il].withUnsafeMutableBufferPointer { dst in
            k.withUnsafeBufferPointer {
                dst.baseAddress!.advanced(by: p0 * kw).update(from: $0.baseAddress!, count: n * kw)
            }
        }
        values[il].withUnsafeMutableBufferPointer { dst in
            v.withUnsafeBufferPointer {
                dst.baseAddress!.advanced(by: p0 * vw).update(from: $0.baseAddress!, count: n * vw)
            }
        }
    }

    /// Attention of `rows` queries (positions start ..< start + rows, heads x headDim each) over the cached
    /// positions each may see: 0 ... its own position, or the last `window` of them. Query head h reads KV head
    /// h / (heads / kvHeads). Splits (query, head) pairs over the pool.
    func attend(
        layer il: Int, queries q: [Float], rows n: Int, start p0: Int, into out: inout [Float], scale: Float,
        window: Int?, pool: KernelThreadPool
    ) {
        let heads = kvHeads * groupSize, hd = headDim, vd = valueDim
        let kw = kvHeads * hd, vw = kvHeads * vd
        let capacity = self.capacity
        keys[il].withUnsafeBufferPointer { kp in
            values[il].withUnsafeBufferPointer { vp in
                q.withUnsafeBufferPointer { qp in
                    out.withUnsafeMutableBufferPointer { op in
                        let K = kp.baseAddress!, V = vp.baseAddress!, Q = qp.baseAddress!, O = op.baseAddress!
                        let group = groupSize
                        // One call per (token, KV head) for all the query heads sharing it (each key and value read
                        // once for the group), or per query head when that leaves too few calls to keep the pool
                        // busy (decode of a single token) or the group is larger than the kernel takes.
                        let perGroup = group <= 8 && n * kvHeads >= 2 * pool.threadCount
                        let nq = perGroup ? group : 1
                        pool.parallelRows(perGroup ? n * kvHeads : n * heads, align: 1) { r0, r1 in
                            var scores = [Float](repeating: 0, count: nq * min(capacity, p0 + n))
                            scores.withUnsafeMutableBufferPointer { sp in
                                for r in r0..<r1 {
                                    let t = perGroup ? r / kvHeads : r / heads
                                    let h = perGroup ? (r % kvHeads) * group : r % heads, kvh = h / group
                                    let pos = p0 + t
                                    let lo = window.map { max(0, pos - $0 + 1) } ?? 0
                                    qb_llm_attend(
                                        Q + t * heads * hd + h * hd, Int32(nq), K + kvh * hd, kw, V + kvh * vd, vw,
                                        Int32(lo), Int32(pos), Int32(hd), Int32(vd), scale, sp.baseAddress!,
                                        O + t * heads * vd + h * vd)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
