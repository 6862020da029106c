// Opening a GGUF model: map the file and parse the header (metadata, a 32,000-token vocabulary, tensor infos).
// Tensor bytes are never read, so the cost should not grow with the file; the target is < 50 ms for ~250 MB.
import Benchmark
import Foundation
import QBenchCore

/// A llama-like GGUF of about 250 MB: 6 blocks at dim 2048 / ffn 5632 in q4_0, a 32,000 x 2048 q4_0 embedding,
/// f32 norms, and the usual metadata with a 32,000-string vocabulary. Written once per run into a temp folder.
func writeLlamaLikeGGUF(to url: URL) throws {
    let dim = 2048, ffn = 5632, layers = 6, vocab = 32_000
    var w = try GGUFWriter()
    try w.add("general.architecture", .string("llama"))
    try w.add("general.name", .string("qbench-bench-llama"))
    try w.add("llama.embedding_length", .uint32(UInt32(dim)))
    try w.add("llama.feed_forward_length", .uint32(UInt32(ffn)))
    try w.add("llama.block_count", .uint32(UInt32(layers)))
    try w.add("llama.attention.head_count", .uint32(16))
    try w.add("llama.context_length", .uint32(4096))
    try w.add("tokenizer.ggml.model", .string("llama"))
    try w.add(
        "tokenizer.ggml.tokens",
        .array(GGUFArray(elementType: .string, values: (0..<vocab).map { .string("tok\($0)") })))
    try w.add(
        "tokenizer.ggml.scores",
        .array(GGUFArray(elementType: .float32, values: (0..<vocab).map { .float32(Float(-$0)) })))
    func q4(_ name: String, _ k: Int, _ rows: Int) throws {
        try w.addTensor(name: name, shape: [k, rows], type: .q4_0, bytes: Data(count: k / 32 * 18 * rows))
    }
    func norm(_ name: String) throws {
        try w.addTensor(name: name, shape: [dim], type: .f32, bytes: Data(count: 4 * dim))
    }
    try q4("token_embd.weight", dim, vocab)
    for l in 0..<layers {
        for t in ["attn_q", "attn_k", "attn_v", "attn_output"] { try q4("blk.\(l).\(t).weight", dim, dim) }
        try q4("blk.\(l).ffn_gate.weight", dim, ffn)
        try q4("blk.\(l).ffn_up.weight", dim, ffn)
        try q4("blk.\(l).ffn_down.weight", ffn, dim)
        try norm("blk.\(l).attn_norm.weight")
        try norm("blk.\(l).ffn_norm.weight")
    }
    try norm("output_norm.weight")
    try q4("output.weight", dim, vocab)
    try w.write(to: url)
}

func ggufOpenBenchmarks() {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-bench-\(getpid())")
    let file = dir.appendingPathComponent("llama-like-q4_0.gguf")
    Benchmark(
        "gguf-open llama-like ~250 MB",
        configuration: .init(
            metrics: [.wallClock, .throughput], timeUnits: .microseconds, warmupIterations: 3,
            maxDuration: .seconds(5), maxIterations: 500)
    ) { benchmark, path in
        for _ in benchmark.scaledIterations {
            blackHole(try? GGUFFile(path: path))
        }
    } setup: {
        try writeLlamaLikeGGUF(to: file)
        return file.path
    } teardown: {
        try? FileManager.default.removeItem(at: dir)
    }
}
