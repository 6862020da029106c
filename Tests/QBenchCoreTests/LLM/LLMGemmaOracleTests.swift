// The reference model (every weight of Gemma 3 270M dequantized to f32, every matrix on the suite's f32 kernels)
// against llama.cpp on the same weights in f32: Tests/Fixtures/llm/gemma3-270m-f32-logits.json holds llama.cpp's
// top-40 logits and the log-sum-exp of every position of six prompts (made by Tests/Scripts/llm/dump_logits.cpp;
// commands in Tests/Fixtures/llm/README.md). Skipped with the reason when the model package is absent.
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class LLMGemmaOracleTests: XCTestCase {
    struct Fixture: Decodable {
        struct Prompt: Decodable {
            var text: String
            var tokens: [Int32]
            var positions: [Position]
        }
        struct Position: Decodable {
            var lse: Double
            var top: [[Double]]
        }
        var prompts: [Prompt]
    }

    func testReferenceModel_matchesLlamaCppF32_top1EveryPosition_andKLDBelow1e4() throws {
        let path = try GGUFRealFileTests.gemmaPath()
        let url = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/llm/gemma3-270m-f32-logits.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertGreaterThanOrEqual(fixture.prompts.count, 5)
        let file = try GGUFFile(path: path)
        let config = try LLMConfig(gguf: file)
        let f32 = try LLMForwardTests.bestChoice(.f32)
        let model = try LLMModel(
            config: config, source: GGUFWeightSource(gguf: file), plan: LLMFormatPlan(layers: f32, output: f32),
            threads: 2)
        let tokenizer = try LLMTokenizer(gguf: file)
        let pool = KernelThreadPool(threads: 2)
        var worstKLD = 0.0, worstLogit = 0.0, positions = 0
        for p in fixture.prompts {
            // The same ids from the suite's tokenizer (the tokenizer fixture checks it on 42 more texts).
            XCTAssertEqual(tokenizer.encode(p.text), p.tokens, p.text)
            let logits = try LLMForwardTests.allLogits(model, p.tokens, pool: pool)
            XCTAssertEqual(logits.count, p.positions.count)
            for (i, (mine, theirs)) in zip(logits, p.positions).enumerated() {
                positions += 1
                let lse = mine.withUnsafeBufferPointer { b in
                    let mx = b.max()!
                    return Double(mx) + log(b.reduce(0.0) { $0 + exp(Double($1 - mx)) })
                }
                let ids = theirs.top.map { Int($0[0]) }
                let top1 = mine.indices.max { mine[$0] < mine[$1] }!
                XCTAssertEqual(top1, ids[0], "\(p.text.prefix(30)) position \(i): top-1")
                // KL(llama.cpp || suite) over llama.cpp's top 40 and the rest of the vocabulary as one outcome: a
                // coarsening of the two distributions, so a lower bound of the full KLD; the logits of those 40
                // ids and the log-sum-exp of the whole row are also compared directly.
                var kld = 0.0, restP = 1.0, restQ = 1.0
                for pair in theirs.top {
                    let lp = pair[1] - theirs.lse, lq = Double(mine[Int(pair[0])]) - lse
                    kld += exp(lp) * (lp - lq)
                    restP -= exp(lp); restQ -= exp(lq)
                    worstLogit = max(worstLogit, abs(pair[1] - Double(mine[Int(pair[0])])))
                }
                if restP > 1e-12, restQ > 1e-12 { kld += restP * log(restP / restQ) }
                worstLogit = max(worstLogit, abs(theirs.lse - lse))
                worstKLD = max(worstKLD, kld)
            }
        }
        XCTAssertLessThan(worstKLD, 1e-4, "worst KLD over \(positions) positions")
        XCTAssertLessThan(worstLogit, 0.05, "worst |logit difference| (top-40 ids and log-sum-exp)")
        print("gemma3 oracle: \(positions) positions, worst KLD \(worstKLD), worst |logit diff| \(worstLogit)")
    }
}
