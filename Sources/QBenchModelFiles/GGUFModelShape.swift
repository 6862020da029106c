// Architecture-level shape facts from GGUF metadata ("<arch>.embedding_length" and friends), the numbers
// that turn a model file into the kernel shapes worth benchmarking.
import QBenchSupport

/// The transformer dimensions a GGUF file declares for its architecture.
public struct GGUFModelShape: Sendable, Equatable, Codable {
    /// `general.architecture`, e.g. "llama", "gemma3", "qwen2".
    public let architecture: String
    /// `<arch>.embedding_length` (hidden size).
    public let embeddingLength: Int
    /// `<arch>.block_count` (number of layers).
    public let blockCount: Int
    /// `<arch>.feed_forward_length`; when the file gives one per layer, the largest.
    public let feedForwardLength: Int?
    /// `<arch>.attention.head_count`.
    public let headCount: Int?
    /// `<arch>.attention.head_count_kv` (grouped-query attention).
    public let headCountKv: Int?
    /// `<arch>.context_length`.
    public let contextLength: Int?
    /// `<arch>.vocab_size`, else the length of `tokenizer.ggml.tokens`.
    public let vocabSize: Int?
}

extension GGUFFile {
    /// The integer at `<architecture>.<suffix>` (e.g. `archInt("block_count")`), or nil.
    public func archInt(_ suffix: String) -> Int? {
        guard let arch = architecture else { return nil }
        return metadata.int("\(arch).\(suffix)")
    }

    /// The model's transformer dimensions.
    /// - Throws: `QBError.badInput` naming the file when `general.architecture`, `<arch>.embedding_length` or
    ///   `<arch>.block_count` is missing or not of the expected type.
    public func modelShape() throws -> GGUFModelShape {
        guard let arch = architecture else {
            throw QBError.badInput(path: path, message: "GGUF metadata has no string 'general.architecture'")
        }
        func required(_ suffix: String) throws -> Int {
            guard let v = archInt(suffix), v > 0 else {
                let found = metadata["\(arch).\(suffix)"].map { "\($0.type) \($0)" } ?? "nothing"
                throw QBError.badInput(
                    path: path,
                    message: "GGUF metadata \(quoted("\(arch).\(suffix)")) should be a positive integer, found \(found)"
                )
            }
            return v
        }
        let ffnKey = "\(arch).feed_forward_length"
        let ffn = metadata.int(ffnKey) ?? metadata.integers(ffnKey)?.max()
        return GGUFModelShape(
            architecture: arch,
            embeddingLength: try required("embedding_length"),
            blockCount: try required("block_count"),
            feedForwardLength: ffn,
            headCount: archInt("attention.head_count") ?? metadata.integers("\(arch).attention.head_count")?.max(),
            headCountKv: archInt("attention.head_count_kv")
                ?? metadata.integers("\(arch).attention.head_count_kv")?.max(),
            contextLength: archInt("context_length"),
            vocabSize: archInt("vocab_size") ?? metadata.array("tokenizer.ggml.tokens")?.count)
    }
}
