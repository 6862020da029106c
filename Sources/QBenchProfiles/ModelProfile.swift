// Model dimensions and the matrix shapes of every linear projection they imply.
//
// Shape convention (also in docs/report.md): a projection multiplies activations [m x k] by a weight matrix with
// n output rows of k inputs. Decode runs one token (m = 1, a gemv); prefill runs the prompt (m = prompt length,
// a gemm). Attention scores, softmax, norms, RoPE and embeddings lookups are not projections and are excluded.
import QBenchSupport
import QBenchFormats
import QBenchModelFiles

/// A linear projection of a decoder block (q..down, once per layer) or the output head (once per token).
public enum Projection: String, Codable, Sendable, CaseIterable {
    case q, k, v, o, gate, up, down
    case lmHead = "lm_head"

    /// The projections of one decoder layer.
    public static let perLayer: [Projection] = [.q, .k, .v, .o, .gate, .up, .down]
}

/// A matrix product: `m` tokens, `n` outputs, `k` inputs.
/// A matrix product's shape on the one axis naming (tokens x outputs x k; see KernelOperands). Reports keep their
/// documented spelling: JSON keys `m` (tokens), `n` (outputs), `k`, and "MxNxK" in result keys.
public struct MatmulShape: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Activation rows: 1 for decode, the prompt length for prefill.
    public var tokens: Int
    /// Weight rows (output features).
    public var outputs: Int
    /// The reduction length (input features).
    public var k: Int
    public init(tokens: Int, outputs: Int, k: Int) { self.tokens = tokens; self.outputs = outputs; self.k = k }
    enum CodingKeys: String, CodingKey { case tokens = "m", outputs = "n", k }
    /// "1x4096x4096" (tokens x outputs x k): the shape part of a result key.
    public var description: String { "\(tokens)x\(outputs)x\(k)" }
    /// Multiply-adds counted as two operations.
    public var ops: Double { 2 * Double(tokens) * Double(outputs) * Double(k) }
}

/// One projection's benchmark shape for a model.
public struct ProjectionShape: Codable, Sendable, Equatable {
    public var model: String
    public var projection: Projection
    /// "gemv" (decode) or "gemm" (prefill).
    public var op: KernelOp
    public var shape: MatmulShape
    /// How often it runs per token (decode) or per prompt (prefill): `layers` for block projections, 1 for lm_head.
    public var count: Int
}

/// A decoder-only transformer's dimensions, as in its config.json / GGUF header.
public struct ModelProfile: Codable, Sendable, Equatable {
    public var name: String
    /// Where the numbers come from (a config.json, a GGUF file).
    public var source: String?
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    /// Per-head dimension; defaults to hidden_size / heads (Gemma 3 sets it explicitly, and it differs).
    public var headDim: Int?
    public var vocabSize: Int

    public init(
        name: String, source: String? = nil, hiddenSize: Int, intermediateSize: Int, layers: Int,
        heads: Int, kvHeads: Int, headDim: Int? = nil, vocabSize: Int
    ) {
        self.name = name; self.source = source; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.layers = layers; self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim;
        self.vocabSize = vocabSize
    }

    public var resolvedHeadDim: Int { headDim ?? (heads > 0 ? hiddenSize / heads : 0) }

    /// (n outputs, k inputs) of a projection's weight matrix.
    public func weightShape(_ p: Projection) -> (outputs: Int, k: Int) {
        let q = heads * resolvedHeadDim, kv = kvHeads * resolvedHeadDim
        switch p {
        case .q: return (q, hiddenSize)
        case .k, .v: return (kv, hiddenSize)
        case .o: return (hiddenSize, q)
        case .gate, .up: return (intermediateSize, hiddenSize)
        case .down: return (hiddenSize, intermediateSize)
        case .lmHead: return (vocabSize, hiddenSize)
        }
    }

    /// How many times a projection runs per token.
    public func count(_ p: Projection) -> Int { p == .lmHead ? 1 : layers }

    /// Decode shapes: every projection with m = 1.
    public func decodeShapes() -> [ProjectionShape] {
        Projection.allCases.map { p in
            let w = weightShape(p)
            return ProjectionShape(
                model: name, projection: p, op: .gemv, shape: MatmulShape(tokens: 1, outputs: w.outputs, k: w.k),
                count: count(p))
        }
    }

    /// Prefill shapes: block projections with m = prompt length. The output head only needs the last token's
    /// logits during prefill (llama.cpp computes just those by default), so lm_head stays a gemv with m = 1.
    public func prefillShapes(promptLength: Int) -> [ProjectionShape] {
        Projection.allCases.map { p in
            let w = weightShape(p)
            if p == .lmHead {
                return ProjectionShape(
                    model: name, projection: p, op: .gemv, shape: MatmulShape(tokens: 1, outputs: w.outputs, k: w.k),
                    count: 1)
            }
            return ProjectionShape(
                model: name, projection: p, op: .gemm,
                shape: MatmulShape(tokens: promptLength, outputs: w.outputs, k: w.k), count: layers)
        }
    }

    /// Weights in the projections (embedding table not counted unless tied to lm_head, which it is in effect).
    public var projectionParameters: Int {
        Projection.allCases.reduce(0) { acc, p in
            let w = weightShape(p); return acc + w.outputs * w.k * count(p)
        }
    }

    /// Problems with the numbers, each with its key (snake_case) and a message.
    public func problems() -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        for (key, v) in [
            ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize), ("layers", layers),
            ("heads", heads), ("kv_heads", kvHeads), ("vocab_size", vocabSize),
        ] where v <= 0 {
            out.append((key, "must be positive, found \(v)"))
        }
        // Upper bounds keep every shape product (n x k x layers, summed) far inside Int64.
        for (key, v, limit) in [
            ("hidden_size", hiddenSize, 1 << 20), ("intermediate_size", intermediateSize, 1 << 20),
            ("vocab_size", vocabSize, 1 << 24), ("layers", layers, 4096),
            ("heads", heads, 1 << 16), ("kv_heads", kvHeads, 1 << 16),
        ] where v > limit {
            out.append((key, "\(v) is implausibly large (limit \(limit))"))
        }
        if let h = headDim {
            if h <= 0 || h > 1 << 16 { out.append(("head_dim", "must be in 1...65536, found \(h)")) }
        } else if heads > 0 && hiddenSize % heads != 0 {
            out.append(
                (
                    "head_dim",
                    "missing, and hidden_size \(hiddenSize) is not a multiple of heads \(heads): give head_dim"
                ))
        }
        if out.isEmpty && heads * resolvedHeadDim > 1 << 20 {
            out.append(
                ("head_dim", "heads x head_dim = \(heads * resolvedHeadDim) is implausibly large (limit \(1 << 20))"))
        }
        if heads > 0 && kvHeads > 0 && heads % kvHeads != 0 {
            out.append(("kv_heads", "\(kvHeads) must divide heads (\(heads))"))
        }
        return out
    }
}

// MARK: - GGUF header values

extension ModelProfile {
    /// The model profile a GGUF file declares: its transformer dimensions (`GGUFFile.modelShape`, the one reader
    /// of them) and `<arch>.attention.key_length` when it differs from hidden/heads. The vocabulary size is
    /// `<arch>.vocab_size`, else the token list's length, else the token embedding's row count.
    /// - Parameter name: the profile's name (default: `general.name`, else the architecture).
    /// - Throws: `QBError.badInput` naming the file and the missing or malformed key, or the dimension rule the
    ///   values break.
    public static func fromGGUF(_ gguf: GGUFFile, name: String? = nil, source: String? = nil) throws -> ModelProfile {
        let shape = try gguf.modelShape()
        let arch = shape.architecture
        func fail(_ m: String) -> QBError { .badInput(path: gguf.path, message: m) }
        guard let ffn = shape.feedForwardLength, let heads = shape.headCount else {
            throw fail(
                "GGUF metadata lacks \(arch).feed_forward_length or \(arch).attention.head_count; cannot derive shapes")
        }
        guard
            let vocab = shape.vocabSize
                ?? gguf.tensor(named: "token_embd.weight").flatMap({ $0.shape.count > 1 ? $0.shape[1] : nil })
        else {
            throw fail(
                "GGUF metadata lacks \(arch).vocab_size and tokenizer.ggml.tokens, and there is no token_embd.weight")
        }
        let hidden = shape.embeddingLength
        let headDim = gguf.archInt("attention.key_length").flatMap { $0 == hidden / max(1, heads) ? nil : $0 }
        let profile = ModelProfile(
            name: name ?? gguf.metadata.string("general.name") ?? arch,
            source: source ?? gguf.path, hiddenSize: hidden, intermediateSize: ffn,
            layers: shape.blockCount, heads: heads, kvHeads: shape.headCountKv ?? heads,
            headDim: headDim, vocabSize: vocab)
        if let p = profile.problems().first { throw fail("model dimensions: \(p.key): \(p.message)") }
        return profile
    }
}
