// The model's tensors by role, read from a GGUF file as f32 (every stored type the suite can dequantize), with
// every shape checked against the hyperparameters before anything is computed.
import QBenchAccuracy
import QBenchFormats
import QBenchModelFiles
import QBenchSupport

/// Where f32 weights come from: a GGUF file (dequantized on demand) or memory (tests, generated models).
public protocol LLMWeightSource: Sendable {
    /// Path or name for error messages.
    var name: String { get }
    /// The tensor's shape in ggml order (row length first), nil when absent.
    func shape(of tensor: String) -> [Int]?
    /// The tensor's values, row-major (rows x row length).
    func values(of tensor: String, threads: Int) throws -> [Float]
    /// The matrix as stored (its bytes in a weight format the suite has), nil when absent or in another type.
    func storedMatrix(of tensor: String) -> QuantizedMatrix?
}

extension LLMWeightSource {
    public func storedMatrix(of tensor: String) -> QuantizedMatrix? { nil }
}

/// A GGUF file's tensors as f32 (F32 as stored, F16/BF16 widened, block types dequantized with the suite's
/// reference dequantizers).
public struct GGUFWeightSource: LLMWeightSource {
    public let model: AccuracyModel
    private let index: [String: Int]
    public var name: String { model.path }

    public init(gguf: GGUFFile) {
        model = AccuracyModel(gguf: gguf)
        var index: [String: Int] = [:]
        for (i, t) in model.tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    public func shape(of tensor: String) -> [Int]? { index[tensor].map { model.tensors[$0].shape } }

    public func values(of tensor: String, threads: Int) throws -> [Float] {
        guard let i = index[tensor] else {
            throw QBError.badInput(path: model.path, message: "no tensor \(quoted(tensor))")
        }
        do { return try model.tensors[i].values(threads: threads) } catch let QBError.other(message) {
            throw QBError.badInput(path: model.path, message: message)
        }
    }

    public func storedMatrix(of tensor: String) -> QuantizedMatrix? {
        guard let i = index[tensor], let (format, bytes) = model.tensors[i].storedBytes() else { return nil }
        let t = model.tensors[i]
        return try? QuantizedMatrix(format: format, rows: t.rows, k: t.cols, data: bytes)
    }

    /// The stored type of every tensor (e.g. "Q4_K"), for the "as stored" format and the report.
    public var storedTypes: [String: String] {
        var out: [String: String] = [:]
        for t in model.tensors { out[t.name] = t.storedType }
        return out
    }
}

/// Tensors held in memory (tiny generated models in tests).
public struct MemoryWeightSource: LLMWeightSource {
    public var name: String
    public var tensors: [String: (shape: [Int], values: [Float])]
    public init(name: String, tensors: [String: (shape: [Int], values: [Float])]) {
        self.name = name; self.tensors = tensors
    }
    public func shape(of tensor: String) -> [Int]? { tensors[tensor]?.shape }
    public func values(of tensor: String, threads: Int) throws -> [Float] {
        guard let t = tensors[tensor] else {
            throw QBError.badInput(path: name, message: "no tensor \(quoted(tensor))")
        }
        return t.values
    }
}

/// GGUF tensor names of one layer's weights (llama.cpp's naming).
public enum LLMTensorName {
    public static let tokenEmbedding = "token_embd.weight"
    public static let outputNorm = "output_norm.weight"
    public static let output = "output.weight"
    public static func block(_ il: Int, _ role: String) -> String { "blk.\(il).\(role)" }
}

/// The shapes a configuration implies for each tensor (ggml order: row length first), and the check that a
/// source has them.
public enum LLMShapes {
    /// (name, expected ggml shape, required) for every tensor the forward pass reads.
    public static func expected(_ c: LLMConfig) -> [(String, [Int], Bool)] {
        let e = c.embeddingLength, q = c.headCount * c.headDim, kv = c.headCountKV * c.headDim
        let v = c.headCountKV * c.valueDim, o = c.headCount * c.valueDim, f = c.feedForwardLength
        var out: [(String, [Int], Bool)] = [
            (LLMTensorName.tokenEmbedding, [e, c.vocabSize], true), (LLMTensorName.outputNorm, [e], true),
        ]
        for il in 0..<c.blockCount {
            let b = { LLMTensorName.block(il, $0) }
            out += [
                (b("attn_norm.weight"), [e], true), (b("attn_q.weight"), [e, q], true),
                (b("attn_k.weight"), [e, kv], true), (b("attn_v.weight"), [e, v], true),
                (b("attn_output.weight"), [o, e], true), (b("ffn_norm.weight"), [e], true),
                (b("ffn_gate.weight"), [e, f], true), (b("ffn_up.weight"), [e, f], true),
                (b("ffn_down.weight"), [f, e], true),
            ]
            if c.hasQKNorm {
                out += [(b("attn_q_norm.weight"), [c.headDim], true), (b("attn_k_norm.weight"), [c.headDim], true)]
            }
            if c.hasPostNorms {
                out += [(b("post_attention_norm.weight"), [e], true), (b("post_ffw_norm.weight"), [e], true)]
            }
            if c.hasQKVBias {
                out += [(b("attn_q.bias"), [q], true), (b("attn_k.bias"), [kv], true), (b("attn_v.bias"), [v], true)]
            }
        }
        return out
    }

    /// - Throws: `QBError.badInput` naming the source, the first tensor that is missing or whose shape disagrees
    ///   with the hyperparameters, and both shapes. A present `output.weight` must be vocab x embedding.
    public static func check(_ c: LLMConfig, _ s: any LLMWeightSource) throws {
        for (name, want, required) in expected(c) {
            guard let got = s.shape(of: name) else {
                if required {
                    throw QBError.badInput(
                        path: s.name, message: "tensor \(quoted(name)) is missing (\(c.architecture.rawValue) needs it)"
                    )
                }
                continue
            }
            guard got == want else {
                throw QBError.badInput(
                    path: s.name,
                    message: "tensor \(quoted(name)) has shape \(got), but the hyperparameters imply \(want) "
                        + "(embedding \(c.embeddingLength), heads \(c.headCount)/\(c.headCountKV) of "
                        + "\(c.headDim), feed-forward \(c.feedForwardLength), vocabulary \(c.vocabSize))")
            }
        }
        if let got = s.shape(of: LLMTensorName.output), got != [c.embeddingLength, c.vocabSize] {
            throw QBError.badInput(
                path: s.name,
                message: "tensor 'output.weight' has shape \(got), expected \([c.embeddingLength, c.vocabSize])")
        }
    }
}
