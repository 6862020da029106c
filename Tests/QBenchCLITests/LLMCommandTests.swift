// `qbench llm` through the real binary on a tiny llama model written by the suite's GGUF writer: the JSON the
// issue names, and one line with exit 1 for a model the command cannot run.
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class LLMCommandTests: XCTestCase {
    /// A tiny random llama model (64 wide, 2 layers, 50 tokens, context 32) as F32 GGUF, no tokenizer; with
    /// `tokenizerFrom`, every `tokenizer.*` key of that GGUF and its vocabulary size.
    static func writeTinyLlama(
        to url: URL, architecture: String = "llama", blockCount: UInt32 = 2, tokenizerFrom: URL? = nil,
        mxfp4: String? = nil
    ) throws {
        var w = try GGUFWriter()
        let a = architecture
        try w.add("general.architecture", .string(a))
        var vocab = 50
        if let tokenizerFrom {
            let g = try GGUFFile(path: tokenizerFrom.path)
            for e in g.metadata.entries where e.key.hasPrefix("tokenizer.") { try w.add(e.key, e.value) }
            vocab = try XCTUnwrap(g.metadata.array("tokenizer.ggml.tokens")).count
        }
        for (k, v) in [
            ("embedding_length", 64), ("block_count", Int(blockCount)), ("feed_forward_length", 96),
            ("attention.head_count", 4), ("attention.head_count_kv", 2), ("context_length", 32),
            ("vocab_size", vocab),
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
            if name == mxfp4 {  // a stored type the suite has no kernels for
                let q = try WeightFormat.mxfp4.quantize(values, rows: shape[1], k: shape[0])
                return try w.addTensor(name: name, shape: shape, type: .mxfp4, bytes: Data(q.data))
            }
            try w.addTensor(name: name, shape: shape, type: .f32, bytes: values.withUnsafeBytes { Data($0) })
        }
        try add("token_embd.weight", [64, vocab])
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

    /// `qbench run --model` with a model the forward pass runs: the report gains an `llm` section (measured pp and tg,
    /// joules per token, KLD of each format against the f32 reference over the built-in text), valid against the
    /// schema, shown in the Markdown page and in `qbench matrix`.
    func testRunWithModel_addsTheMeasuredLLMSectionToTheReportAndTheMatrix() throws {
        let dir = try TestPaths.scratch()
        let model = dir.appendingPathComponent("tiny-spm.gguf")
        // Llama 2's SentencePiece vocabulary (llama.cpp's test fixture), so the text can be tokenized and scored.
        try Self.writeTinyLlama(
            to: model,
            tokenizerFrom: TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/llm/ggml-vocab-llama-spm.gguf"))
        let out = dir.appendingPathComponent("reports")
        let r = try QBenchBinary.run([
            "run", "--quick", "--profile", "smoke", "--model", model.path, "--formats", "f32,q8_0", "--threads", "1",
            "--out", out.path, "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        if let error = try SchemaValidation.reportErrors(Data(r.stdout.utf8)) { XCTFail(error) }
        let report = try Report.decode(Data(r.stdout.utf8), path: "stdout")
        let llm = try XCTUnwrap(report.llm, "no llm section: \(r.stderr)")
        XCTAssertEqual(llm.map(\.format), ["f32", "q8_0"])
        for e in llm {
            XCTAssertEqual(e.model, "tiny-spm")
            XCTAssertEqual(e.threads, 1)
            // Capped at the model's context of 32: pp32 and tg32, 2 repetitions under --quick.
            XCTAssertEqual(e.speeds.map(\.label), ["pp32", "tg32"])
            for s in e.speeds {
                XCTAssertEqual(s.samplesS.count, 2)
                XCTAssertGreaterThan(s.tokensPerS, 0)
                XCTAssertEqual(s.energySource, report.energy.source, "joules from the run's meter")
                XCTAssertGreaterThan(s.joulesPerToken ?? 0, 0)
                XCTAssertNotNil(s.validity)
            }
            let a = try XCTUnwrap(e.accuracy)
            // 1,024 tokens in chunks of the context (32): 32 chunks, 15 positions scored in each.
            XCTAssertEqual(a.chunks, 32)
            XCTAssertEqual(a.tokensScored, 32 * 15)
            XCTAssertEqual(e.referencePerplexity.map { $0.isFinite && $0 > 1 }, true)
            XCTAssertEqual(e.text, LLMBuiltInText.name)
        }
        // The reference scored against itself has no divergence; q8_0 drifts a little.
        XCTAssertEqual(llm[0].accuracy?.kldMean, 0)
        XCTAssertEqual(llm[0].accuracy?.perplexity, llm[0].referencePerplexity)
        let q8 = try XCTUnwrap(llm[1].accuracy)
        XCTAssertGreaterThan(q8.kldMean, 0)
        XCTAssertLessThan(q8.kldMean, 0.05)
        XCTAssertGreaterThan(q8.top1Agreement, 0.8)

        let report0 = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".json") })
        let md = try String(
            contentsOf: out.appendingPathComponent(String(report0.dropLast(5)) + ".md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Model runs (measured)"), md)
        XCTAssertTrue(md.contains("| q8_0 | 1 |"), md)

        let m = try QBenchBinary.run(["matrix", out.appendingPathComponent(report0).path, "--format", "json"])
        XCTAssertEqual(m.status, 0, m.stderr)
        let matrix = try QBJSON.decoder().decode(CompatibilityMatrix.self, from: Data(m.stdout.utf8))
        let measured = try XCTUnwrap(matrix.measured)
        XCTAssertEqual(measured.map(\.format), ["f32", "q8_0"])
        XCTAssertEqual(measured[1].cells.first??.tg?.tokensPerS, llm[1].tg?.tokensPerS)
        let text = try QBenchBinary.run(["matrix", out.appendingPathComponent(report0).path])
        XCTAssertTrue(text.stdout.contains("## Model runs (measured)"), text.stdout)
    }

    /// The built-in text of `qbench run --model` is the start of the shipped accuracy text, not another text.
    func testBuiltInText_isTheStartOfTheShippedText() throws {
        let shipped = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/llm/text/alice-in-wonderland.txt"),
            encoding: .utf8)
        XCTAssertGreaterThan(LLMBuiltInText.text.count, 8000)
        XCTAssertTrue(shipped.hasPrefix(LLMBuiltInText.text))
    }

    /// The `llm` array of `qbench llm --json`'s output.
    static func llmRows(_ r: CommandResult) throws -> [[String: Any]] {
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stderr)
        return try XCTUnwrap(obj["llm"] as? [[String: Any]])
    }

    func testLLM_tinyModel_printsTheIssuesJSONFields() throws {
        let url = try TestPaths.scratch().appendingPathComponent("tiny.gguf")
        try Self.writeTinyLlama(to: url)
        let r = try QBenchBinary.run([
            "llm", "--model", url.path, "--formats", "f32,q8_0", "--threads", "1", "-p", "8", "-n", "4",
            "--repetitions", "2", "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try Self.llmRows(r)
        XCTAssertEqual(rows.map { $0["format"] as? String }, ["f32", "q8_0"])
        for row in rows {
            XCTAssertEqual(row["model"] as? String, "tiny")
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

    /// `--formats as-stored`: a file whose matrices all share a type with kernels runs in that type; the Q4_K_M
    /// Gemma file (q4_k, q6_k, q5_0 and q8_0 matrices) is not runnable, and the line names the missing kernels.
    func testLLM_asStored_runsAUniformFile_andNamesTheMissingKernelsOfAMixedOne() throws {
        let tiny = try TestPaths.scratch().appendingPathComponent("tiny.gguf")
        try Self.writeTinyLlama(to: tiny)
        let r = try QBenchBinary.run([
            "llm", "--model", tiny.path, "--formats", "q8_0,as-stored", "--threads", "1", "-p", "8", "-n", "4",
            "--repetitions", "2", "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try Self.llmRows(r)
        XCTAssertEqual(rows.map { $0["format"] as? String }, ["q8_0", "as-stored"])
        XCTAssertEqual(rows.last?["bits_per_weight"] as? Double, 32, "the tiny model's matrices are F32, run as such")

        // A file with one matrix in a type the suite has no kernels for: as-stored is refused, naming that type.
        let mixed = tiny.deletingLastPathComponent().appendingPathComponent("tiny-mxfp4.gguf")
        try Self.writeTinyLlama(to: mixed, mxfp4: "blk.1.attn_output.weight")
        let m = try QBenchBinary.run([
            "llm", "--model", mixed.path, "--formats", "as-stored", "--threads", "1", "-p", "8", "-n", "4",
        ])
        XCTAssertEqual(m.status, 64, m.stderr)
        XCTAssertEqual(m.stderr.filter { $0 == "\n" }.count, 1, m.stderr)
        XCTAssertTrue(
            m.stderr.contains("nothing could run: as-stored")
                && m.stderr.contains("no verified kernels here for mxfp4"), m.stderr)
        // 64-wide rows cannot hold a 256-element k-quant super-block: said before anything is measured.
        let k = try QBenchBinary.run([
            "llm", "--model", tiny.path, "--formats", "q4_k", "--threads", "1", "-p", "8", "-n", "4",
        ])
        XCTAssertEqual(k.status, 64, k.stderr)
        XCTAssertTrue(k.stderr.contains("q4_k (row length 64 is not a multiple of its block of 256)"), k.stderr)
    }
}
