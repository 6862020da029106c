// `qbench llm` through the real binary on a tiny llama model written by the suite's GGUF writer: the JSON the
// issue names, and one line with exit 1 for a model the command cannot run.
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class LLMCommandTests: XCTestCase {
    /// A tiny random llama model (64 wide, 2 layers, 50 tokens, context 32) as F32 GGUF, no tokenizer.
    static func writeTinyLlama(to url: URL, architecture: String = "llama", blockCount: UInt32 = 2) throws {
        var w = try GGUFWriter()
        let a = architecture
        try w.add("general.architecture", .string(a))
        for (k, v) in [
            ("embedding_length", 64), ("block_count", Int(blockCount)), ("feed_forward_length", 96),
            ("attention.head_count", 4), ("attention.head_count_kv", 2), ("context_length", 32), ("vocab_size", 50),
        ] {
            try w.add("\(a).\(k)", .uint32(UInt32(v)))
        }
        try w.add("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
        var rng = SplitMix64(seed: 9)
        func add(_ name: String, _ shape: [Int], norm: Bool = false) throws {
            let n = shape.reduce(1, *)
            let values = (0..<n).map { _ in
                (norm ? 1 : 0) + 0.2 * (Float(rng.next() >> 40) / Float(1 << 24) - 0.5)
            }
            try w.addTensor(name: name, shape: shape, type: .f32, bytes: values.withUnsafeBytes { Data($0) })
        }
        try add("token_embd.weight", [64, 50])
        try add("output_norm.weight", [64], norm: true)
        for il in 0..<2 {
            let b = { (r: String) in "blk.\(il).\(r)" }
            try add(b("attn_norm.weight"), [64], norm: true)
            try add(b("attn_q.weight"), [64, 64])
            try add(b("attn_k.weight"), [64, 32])
            try add(b("attn_v.weight"), [64, 32])
            try add(b("attn_output.weight"), [64, 64])
            try add(b("ffn_norm.weight"), [64], norm: true)
            try add(b("ffn_gate.weight"), [64, 96])
            try add(b("ffn_up.weight"), [64, 96])
            try add(b("ffn_down.weight"), [96, 64])
        }
        try w.write(to: url)
    }

    func testLLM_tinyModel_printsTheIssuesJSONFields() throws {
        let url = try TestPaths.scratch().appendingPathComponent("tiny.gguf")
        try Self.writeTinyLlama(to: url)
        let r = try QBenchBinary.run([
            "llm", "--model", url.path, "--formats", "f32,q8_0", "--threads", "1", "-p", "8", "-n", "4",
            "--repetitions", "2", "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(obj["llm"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["format"] as? String }, ["f32", "q8_0"])
        for row in rows {
            XCTAssertEqual(row["model"] as? String, "tiny.gguf")
            XCTAssertEqual(row["threads"] as? Int, 1)
            XCTAssertGreaterThan(row["pp_tokens_per_s"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(row["tg_tokens_per_s"] as? Double ?? 0, 0)
            let speeds = try XCTUnwrap(row["speeds"] as? [[String: Any]])
            XCTAssertEqual(speeds.map { $0["test"] as? String }, ["pp", "tg"])
            XCTAssertEqual(speeds.map { $0["tokens"] as? Int }, [8, 4])
            XCTAssertEqual(speeds.map { ($0["samples_s"] as? [Double])?.count }, [2, 2])
        }
        XCTAssertEqual(rows[0]["bits_per_weight"] as? Double, 32)
        XCTAssertEqual(rows[1]["bits_per_weight"] as? Double, 8.5)
    }

    func testLLM_badModels_areOneLineExit1() throws {
        let dir = try TestPaths.scratch()
        let mamba = dir.appendingPathComponent("mamba.gguf")
        try Self.writeTinyLlama(to: mamba, architecture: "mamba")
        let tiny = dir.appendingPathComponent("tiny.gguf")
        try Self.writeTinyLlama(to: tiny)
        let lying = dir.appendingPathComponent("lying.gguf")
        try Self.writeTinyLlama(to: lying, blockCount: 3)  // says 3 layers, holds 2
        let alice = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/llm/text/alice-in-wonderland.txt").path
        for (args, fragment) in [
            (["--model", mamba.path], "architecture 'mamba' is not supported"),
            (["--model", lying.path], "'blk.2.attn_norm.weight' is missing"),
            (["--model", tiny.path, "-p", "64"], "exceed the model's context of 32"),
            (["--model", tiny.path, "--text", alice], "tokenizer"),  // no tokenizer in the file
            (["--model", tiny.path, "--formats", "q4_k", "-p", "8", "-n", "4"], "nothing could run: q4_k"),  // exit 64
        ] {
            let r = try QBenchBinary.run(["llm"] + args)
            XCTAssertEqual(r.status, args.contains("--formats") ? 64 : 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(fragment), "\(args): '\(r.stderr)' lacks '\(fragment)'")
            XCTAssertEqual(r.stdout, "")
        }
    }
}
