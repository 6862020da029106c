// The hyperparameters of a model, read from its GGUF metadata the way llama.cpp reads them, and checked against
// the tensor shapes before any weight is touched.
import QBenchModelFiles
import QBenchSupport

/// How RoPE pairs the dimensions of a head: `normal` rotates adjacent pairs (2i, 2i+1), as llama.cpp does for
/// `llama` (whose converter permutes q/k rows to match); `neox` rotates (i, i + d/2), as for Gemma and Qwen2.
public enum RopeStyle: String, Sendable, Codable {
    case normal, neox
}

/// The feed-forward activation of the gated FFN: act(gate x) * (up x).
public enum FFNActivation: String, Sendable, Codable {
    /// SiLU (x sigmoid(x)): Llama, Mistral, Qwen2.
    case silu
    /// GELU, tanh approximation: Gemma.
    case geluTanh = "gelu_tanh"
}

/// A decoder-only transformer's shape and numerics, per architecture.
public struct LLMConfig: Sendable, Equatable, Codable {
    public var architecture: LLMArchitecture
    public var embeddingLength: Int
    public var blockCount: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var headCountKV: Int
    /// Dimensions of one query/key head (`attention.key_length`, else embedding / heads).
    public var headDim: Int
    /// Dimensions of one value head (`attention.value_length`, else `headDim`).
    public var valueDim: Int
    public var vocabSize: Int
    public var contextLength: Int
    public var rmsEpsilon: Float
    public var ropeBase: Float
    /// RoPE base of the sliding-window (local) layers; Gemma 3 uses 10,000 there and `ropeBase` on global layers.
    public var ropeBaseLocal: Float
    public var ropeStyle: RopeStyle
    /// Attention window of local layers (nil: every layer attends to the whole context).
    public var slidingWindow: Int?
    /// Every `slidingWindowPattern`-th layer is global, the others local (Gemma 3: 6, i.e. layers 5, 11, 17).
    public var slidingWindowPattern: Int
    /// Queries are multiplied by this before q.k (1/sqrt(headDim) unless the architecture says otherwise).
    public var attentionScale: Float
    /// Token embeddings are multiplied by this on lookup (Gemma: sqrt(embedding length)).
    public var embeddingScale: Float
    public var activation: FFNActivation
    /// Gemma: RMSNorm of q and k per head, and norms after attention and after the FFN.
    public var hasQKNorm: Bool
    public var hasPostNorms: Bool
    /// Qwen2: biases on the q, k and v projections.
    public var hasQKVBias: Bool

    /// Whether layer `il` attends through the sliding window.
    public func isLocal(layer il: Int) -> Bool {
        guard slidingWindow != nil, slidingWindowPattern > 1 else { return false }
        return (il + 1) % slidingWindowPattern != 0
    }

    /// The hyperparameters of `file`'s model.
    /// - Throws: `QBError.badInput` naming the file: an architecture this suite does not run (naming the ones it
    ///   does), or a missing or non-positive hyperparameter (naming the key).
    public init(gguf file: GGUFFile) throws {
        guard let archName = file.architecture else {
            throw QBError.badInput(path: file.path, message: "GGUF metadata has no string 'general.architecture'")
        }
        guard let arch = LLMArchitecture(rawValue: archName) else {
            throw QBError.badInput(
                path: file.path,
                message: "architecture \(quoted(archName)) is not supported by qbench llm (supported: "
                    + LLMArchitecture.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        let m = file.metadata
        func int(_ suffix: String, default value: Int? = nil) throws -> Int {
            let key = "\(archName).\(suffix)"
            if let v = m.int(key) ?? m.integers(key)?.max(), v > 0 { return v }
            if let value, m[key] == nil { return value }
            let found = m[key].map { "\($0.type) \($0)" } ?? "nothing"
            throw QBError.badInput(
                path: file.path, message: "GGUF metadata \(quoted(key)) should be a positive integer, found \(found)")
        }
        func float(_ suffix: String, default value: Float?) throws -> Float {
            let key = "\(archName).\(suffix)"
            if let v = m.double(key), v > 0, v.isFinite { return Float(v) }
            if let value, m[key] == nil { return value }
            let found = m[key].map { "\($0.type) \($0)" } ?? "nothing"
            throw QBError.badInput(
                path: file.path, message: "GGUF metadata \(quoted(key)) should be a positive number, found \(found)")
        }
        architecture = arch
        embeddingLength = try int("embedding_length")
        blockCount = try int("block_count")
        feedForwardLength = try int("feed_forward_length")
        headCount = try int("attention.head_count")
        headCountKV = try int("attention.head_count_kv", default: headCount)
        headDim = try int("attention.key_length", default: embeddingLength / headCount)
        valueDim = try int("attention.value_length", default: headDim)
        contextLength = try int("context_length")
        rmsEpsilon = try float("attention.layer_norm_rms_epsilon", default: nil)
        let vocab = m.int("\(archName).vocab_size") ?? m.array("tokenizer.ggml.tokens")?.count
        guard let vocab, vocab > 0 else {
            throw QBError.badInput(
                path: file.path,
                message: "GGUF metadata has neither \(quoted("\(archName).vocab_size")) nor 'tokenizer.ggml.tokens'")
        }
        vocabSize = vocab
        guard headCount % headCountKV == 0 else {
            throw QBError.badInput(
                path: file.path,
                message: "\(archName).attention.head_count \(headCount) is not a multiple of head_count_kv "
                    + "\(headCountKV)")
        }
        switch arch {
        case .gemma3:
            ropeBase = try float("rope.freq_base", default: 1_000_000)
            ropeBaseLocal = 10_000  // llama.cpp: rope_freq_base_train_swa, fixed for Gemma 3
            ropeStyle = .neox
            slidingWindow = try int("attention.sliding_window")
            slidingWindowPattern = 6
            attentionScale = 1 / Float(headDim).squareRoot()
            embeddingScale = Float(embeddingLength).squareRoot()
            activation = .geluTanh
            hasQKNorm = true; hasPostNorms = true; hasQKVBias = false
        case .llama, .qwen2:
            ropeBase = try float("rope.freq_base", default: 10_000)
            ropeBaseLocal = ropeBase
            ropeStyle = arch == .llama ? .normal : .neox
            slidingWindow = nil
            slidingWindowPattern = 1
            attentionScale = 1 / Float(headDim).squareRoot()
            embeddingScale = 1
            activation = .silu
            hasQKNorm = false; hasPostNorms = false; hasQKVBias = arch == .qwen2
        }
    }

    /// A configuration built directly (tests and tiny generated models).
    public init(
        architecture: LLMArchitecture, embeddingLength: Int, blockCount: Int, feedForwardLength: Int,
        headCount: Int, headCountKV: Int, headDim: Int, vocabSize: Int, contextLength: Int,
        rmsEpsilon: Float = 1e-6, ropeBase: Float = 10_000
    ) {
        self.architecture = architecture; self.embeddingLength = embeddingLength; self.blockCount = blockCount
        self.feedForwardLength = feedForwardLength; self.headCount = headCount; self.headCountKV = headCountKV
        self.headDim = headDim; valueDim = headDim; self.vocabSize = vocabSize; self.contextLength = contextLength
        self.rmsEpsilon = rmsEpsilon; self.ropeBase = ropeBase; ropeBaseLocal = ropeBase
        ropeStyle = architecture == .llama ? .normal : .neox
        slidingWindow = nil; slidingWindowPattern = 1
        attentionScale = 1 / Float(headDim).squareRoot()
        embeddingScale = architecture == .gemma3 ? Float(embeddingLength).squareRoot() : 1
        activation = architecture == .gemma3 ? .geluTanh : .silu
        hasQKNorm = architecture == .gemma3; hasPostNorms = architecture == .gemma3
        hasQKVBias = architecture == .qwen2
    }
}
