// A model run as stored: a tiny llama written by the suite's GGUF writer with a Q4_K_M-like mix of tensor types
// (q5_0, q8_0, q4_k, q5_k, q6_k and f32 norms), each matrix on its own format's kernels. Always on.
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class LLMAsStoredTests: XCTestCase {
    /// k = 256 and 512 so the k-quants (256-element super-blocks) fit every matrix they are given.
    static let config = LLMConfig(
        architecture: .llama, embeddingLength: 256, blockCount: 2, feedForwardLength: 512, headCount: 4,
        headCountKV: 2, headDim: 64, vocabSize: 61, contextLength: 64, rmsEpsilon: 1e-6, ropeBase: 10_000)

    /// The stored type of each matrix, as llama.cpp's Q4_K_M mixes them (v and down one step up).
    static func storedFormat(_ name: String) -> WeightFormat? {
        if name.hasSuffix("norm.weight") { return nil }
        if name.hasSuffix("attn_q.weight") || name.hasSuffix("attn_k.weight") { return .q5_0 }
        if name.hasSuffix("attn_v.weight") || name == "token_embd.weight" { return .q8_0 }
        if name.hasSuffix("attn_output.weight") { return .q4_k }
        if name.hasSuffix("ffn_down.weight") { return .q6_k }
        return .q5_k  // gate, up
    }

    /// Writes the tiny model with every matrix quantized to its stored format; returns the bytes of the matrices.
    static func writeMixed(to url: URL) throws -> Int {
        try LLMForwardTests.writeTinyGGUF(
            config, LLMForwardTests.tinyWeights(config, seed: 21), to: url, stored: storedFormat)
    }

    static func choices(_ pick: (WeightFormat) throws -> LLMKernelChoice) throws -> [WeightFormat: LLMKernelChoice] {
        var out: [WeightFormat: LLMKernelChoice] = [:]
        for f in [WeightFormat.q5_0, .q8_0, .q4_k, .q5_k, .q6_k] { out[f] = try pick(f) }
        return out
    }

    func testMixedFile_runsAsStored_onEachFormatsKernels_bitExactWithScalar() throws {
        let url = try TestPaths.scratch().appendingPathComponent("tiny-mixed.gguf")
        let stored = try Self.writeMixed(to: url)
        let file = try GGUFFile(path: url.path)
        let config = try LLMConfig(gguf: file)
        let source = GGUFWeightSource(gguf: file)
        let f32 = try LLMForwardTests.bestChoice(.f32)
        let best = try LLMModel(
            config: config, source: source,
            plan: .asStored(try Self.choices(LLMForwardTests.bestChoice), fallback: f32))
        let scalar = try LLMModel(
            config: config, source: source,
            plan: .asStored(try Self.choices(LLMForwardTests.scalarChoice), fallback: f32))
        // Every matrix ran from its stored bytes: nothing was re-quantized into another format on the way.
        XCTAssertEqual(best.matrixBytes, stored)
        let pool = KernelThreadPool(threads: 2)
        let tokens = LLMForwardTests.tokens
        let fast = try LLMForwardTests.allLogits(best, tokens, pool: pool)
        // The integer kernels are bit-exact with scalar (x16 q5_0/q8_0, kx16 and stored-block k-quants alike), and
        // attention and norms are shared code: the logits are identical, prefill (gemm) and decode (gemv) alike.
        XCTAssertEqual(fast, try LLMForwardTests.allLogits(scalar, tokens, pool: pool))
        let cache = try best.makeCache(capacity: tokens.count)
        var stepped: [[Float]] = []
        for t in tokens {
            let h = try best.forward([t], cache: cache, outputRows: 0..<1, pool: pool)
            stepped.append(best.logits(h, rows: 1, pool: pool))
        }
        XCTAssertLessThan(LLMForwardTests.maxRelativeError(fast, stepped), 1e-4)
        // Against the f32 reference of the same (dequantized) weights only the activations' int8 rounding differs.
        let reference = try LLMModel(config: config, source: source, plan: LLMFormatPlan(layers: f32, output: f32))
        let err = LLMForwardTests.maxRelativeError(try LLMForwardTests.allLogits(reference, tokens, pool: pool), fast)
        XCTAssertLessThan(err, 0.05, "as stored vs the f32 reference of the same weights")
        XCTAssertGreaterThan(err, 0, "the int8 activations must leave some trace")
    }

    func testAsStoredPlan_namesTheVariantsOfEveryStoredFormat() throws {
        let plan = LLMFormatPlan.asStored(
            try Self.choices(LLMForwardTests.scalarChoice), fallback: try LLMForwardTests.scalarChoice(.f32))
        XCTAssertEqual(plan.variantNames.gemv, "scalar")
        XCTAssertEqual(plan.variantNames.gemm, "scalar")
    }
}
