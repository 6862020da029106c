// `qbench llm`: a real GGUF model end to end on the suite's verified kernels, per weight format and thread count:
// prompt processing and generation tokens/s (as llama-bench measures them) and, over a text, perplexity, KL
// divergence and top-1 agreement against the f32 reference model (as llama-perplexity --kl-divergence scores them).
import ArgumentParser
import Foundation
import QBenchCore

extension QBench {
    struct LLM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "llm",
            abstract: "Run a GGUF model on the suite's kernels: tokens/s (pp, tg) and accuracy per weight format.",
            discussion: """
                The model's weights are dequantized to f32 (the reference model); each format re-quantizes every \
                matrix with the suite's quantizers and runs it on the best verified gemv (decode) and gemm (prefill) \
                variant of this device. The token embedding stays f32 for lookups; the output projection (tied to \
                the embedding in Gemma) is quantized like the other matrices unless --output-f32 is given.

                Speed, as llama-bench: ppN = one batch of N prompt tokens (logits of the last), tgN = N \
                single-token steps from an empty context, each repeated --repetitions times after a warm-up; \
                tokens/s is the median over repetitions.

                Accuracy, as llama-perplexity --kl-divergence: the text is cut into chunks of --chunk-size tokens, \
                BOS first, and each chunk's second half is scored: perplexity, KL divergence from the reference \
                (mean, p99, max) and top-1 agreement.

                Supported architectures: llama, qwen2, gemma3.

                Examples:
                  qbench llm --model gemma-3-270m-q4_k_m.gguf
                  qbench llm --model m.gguf --formats q8_0,q4_0 --threads 1,2 \\
                      -p 128,512 -n 32,128
                  qbench llm --model m.gguf --text alice-in-wonderland.txt
                  qbench llm --model m.gguf --formats q4_0 --json > llm.json
                """
        )

        @Option(help: ArgumentHelp("The model (GGUF: llama, qwen2 or gemma3).", valueName: "file.gguf"))
        var model: String

        static let defaultFormats = "f32,f16,bf16,q8_0,q4_0,q4_1,i8_pc,i4_g32,u4_g32"

        @Option(
            help: ArgumentHelp(
                "Weight formats (comma separated; default: every format with kernels, \(defaultFormats)).",
                valueName: "list"))
        var formats: FormatListArgument?

        @Option(
            help: ArgumentHelp(
                "Thread counts (comma separated; cores = every physical core, the default).", valueName: "list"))
        var threads: ThreadListArgument?

        @Option(
            name: [.customShort("p"), .customLong("prompt-length")],
            help: ArgumentHelp("Prompt lengths of the pp tests (comma separated).", valueName: "list"))
        var promptLengths: String = "128"

        @Option(
            name: [.customShort("n"), .customLong("gen")],
            help: ArgumentHelp("Generated tokens of the tg tests (comma separated).", valueName: "list"))
        var genLengths: String = "32"

        @Option(help: ArgumentHelp("Timed repetitions of each speed test.", valueName: "n"))
        var repetitions = 3

        @Option(
            help: ArgumentHelp(
                "Score accuracy over this UTF-8 text (the repository ships Tests/Fixtures/llm/text/"
                    + "alice-in-wonderland.txt); without it only speed is measured.", valueName: "file"))
        var text: String?

        @Option(help: ArgumentHelp("Tokens per accuracy chunk (as llama-perplexity -c).", valueName: "n"))
        var chunkSize = 512

        @Option(help: ArgumentHelp("Score at most this many chunks of the text.", valueName: "n"))
        var chunks = 16

        @Flag(help: "Keep the output projection in f32 (it is quantized like the other matrices by default).")
        var outputF32 = false

        @Flag(help: "Print the results as JSON (an object with an llm array) instead of a table.")
        var json = false

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([("--model", model)])
                _ = try formatList.formats()
                _ = try threadList.counts()
                _ = try Self.lengths(promptLengths, flag: "--prompt-length")
                _ = try Self.lengths(genLengths, flag: "--gen")
                if let text { try requireNonEmptyPaths([("--text", text)]) }
                guard (4...65536).contains(chunkSize) else {
                    throw QBError.badOption(
                        flag: "--chunk-size", message: "expected 4 to 65536 tokens, got \(chunkSize)")
                }
                guard (1...100_000).contains(chunks) else {
                    throw QBError.badOption(flag: "--chunks", message: "expected 1 to 100000, got \(chunks)")
                }
                guard (1...1000).contains(repetitions) else {
                    throw QBError.badOption(flag: "--repetitions", message: "expected 1 to 1000, got \(repetitions)")
                }
            }
        }

        var formatList: FormatListArgument { formats ?? FormatListArgument(argument: Self.defaultFormats)! }
        var threadList: ThreadListArgument { threads ?? ThreadListArgument(argument: "cores")! }

        static func lengths(_ text: String, flag: String) throws -> [Int] {
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !items.isEmpty, items.allSatisfy({ !$0.isEmpty }) else {
                throw QBError.badOption(flag: flag, message: "expected positive token counts, comma separated")
            }
            var out: [Int] = []
            for i in items {
                guard let n = Int(i), n > 0, n <= 1 << 16 else {
                    throw QBError.badOption(flag: flag, message: "`\(i)` is not a token count from 1 to 65536")
                }
                if !out.contains(n) { out.append(n) }
            }
            return out
        }

        func run() throws {
            try reportingUserErrors {
                let file = try GGUFFile(path: model)
                let config = try LLMConfig(gguf: file)
                let source = GGUFWeightSource(gguf: file)
                try LLMShapes.check(config, source)
                let pp = try Self.lengths(promptLengths, flag: "--prompt-length")
                let tg = try Self.lengths(genLengths, flag: "--gen")
                // The text is read and tokenized before anything is measured, so a bad file fails at once.
                var textTokens: [Int32]?
                if let text {
                    let data = try InputFile.bytes(text, upTo: 64 << 20)
                    guard let s = String(data: data, encoding: .utf8) else {
                        throw QBError.badInput(path: text, message: "not UTF-8 text")
                    }
                    let tokenizer = try LLMTokenizer(gguf: file)
                    let ids = tokenizer.encode(s, parseSpecial: false)
                    guard ids.count >= chunkSize else {
                        throw QBError.badInput(
                            path: text,
                            message: "\(ids.count) tokens, fewer than one chunk of \(chunkSize) (--chunk-size)")
                    }
                    guard chunkSize <= config.contextLength else {
                        throw QBError.badInput(
                            path: model,
                            message: "\(chunkSize) tokens (--chunk-size) exceed the model's context of "
                                + "\(config.contextLength)")
                    }
                    textTokens = ids
                }
                let longest = max(pp.max() ?? 0, tg.max() ?? 0)
                guard longest <= config.contextLength else {
                    throw QBError.badInput(
                        path: model,
                        message: "\(longest) tokens (\(longest == pp.max() ? "--prompt-length" : "--gen")) exceed the "
                            + "model's context of \(config.contextLength)")
                }
                let device = try DeviceProbe.probe()
                let features = Set(device.cpu.features)
                let wanted = try formatList.formats()
                let cores = device.topology.cores, pus = device.topology.pus
                let counts = try threadList.counts().map { $0.resolve(cores: cores, pus: pus) }
                    .reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
                // Verify the variants the formats could use (and the f32 ones of the reference).
                let registry = KernelRegistry.builtIn
                let needed = Set(wanted + [.f32])
                let acts = Set(needed.map(\.activationFormat))
                var verified = Set<KernelVariant>()
                for v in registry.variants
                where (v.weightFormat.map(needed.contains) ?? false)
                    || (v.op == .quantizeRow && acts.contains(v.activationFormat))
                {
                    if KernelVerifier.verify(v, features: features, registry: registry).status == .verified {
                        verified.insert(v)
                    }
                }
                func choice(_ f: WeightFormat) throws -> LLMKernelChoice {
                    try LLMKernelChoice.choose(
                        format: f, verified: verified, arch: device.cpu.arch, sveVectorBits: device.cpu.sveVectorBits)
                }
                let f32 = try choice(.f32)
                let bos = Int32(file.metadata.int("tokenizer.ggml.bos_token_id") ?? 1)
                var entries: [LLMEntry] = []
                // Which formats can run is known before any work: a format without verified kernels here is
                // skipped with a line, and a run where none can is an error.
                var choices: [WeightFormat: LLMKernelChoice] = [:]
                var skipped: [String] = []
                for f in wanted {
                    do { choices[f] = try choice(f) } catch { skipped.append("\(f.rawValue) (\(error))") }
                }
                guard !choices.isEmpty else {
                    throw QBError.badOption(
                        flag: "--formats", message: "nothing could run: " + skipped.joined(separator: "; "))
                }
                let log = { (s: String) in if !json { FileHandle.standardError.write(Data((s + "\n").utf8)) } }
                for line in skipped { log("qbench llm: skipped \(line)") }
                log(
                    "qbench llm: \(config.architecture.rawValue), \(config.blockCount) layers, embedding "
                        + "\(config.embeddingLength), vocabulary \(config.vocabSize); building the f32 reference")
                let reference = try LLMModel(
                    config: config, source: source, plan: LLMFormatPlan(layers: f32, output: f32),
                    threads: counts.max() ?? 1)
                let bigPool = KernelThreadPool(threads: counts.max() ?? 1)
                var pass: LLMBench.ReferencePass?
                if let textTokens {
                    let addsBOS = file.metadata.bool("tokenizer.ggml.add_bos_token") ?? true
                    let cs = LLMBench.chunks(
                        textTokens, chunk: chunkSize, maxChunks: chunks, bos: addsBOS ? bos : nil)
                    log("qbench llm: reference over \(cs.count) chunks of \(chunkSize) tokens")
                    pass = try LLMBench.reference(reference, chunks: cs, pool: bigPool)
                }
                for f in wanted {
                    let ch: LLMKernelChoice
                    guard let c = choices[f] else { continue }
                    ch = c
                    let m =
                        f == .f32
                        ? reference
                        : try LLMModel(
                            config: config, source: source,
                            plan: LLMFormatPlan(layers: ch, output: outputF32 ? f32 : ch), sharing: reference,
                            threads: counts.max() ?? 1)
                    var accuracy: LLMAccuracy?
                    if let pass {
                        log("qbench llm: \(f.rawValue) accuracy")
                        accuracy =
                            f == .f32
                            ? pass.accuracy : try LLMBench.accuracy(m, reference: reference, pass: pass, pool: bigPool)
                    }
                    for t in counts {
                        let pool = KernelThreadPool(threads: t)
                        var speeds: [LLMSpeed] = []
                        for n in pp {
                            log("qbench llm: \(f.rawValue) t\(t) pp\(n)")
                            speeds.append(
                                try LLMBench.promptProcessing(
                                    m, length: n, repetitions: repetitions, bos: bos, pool: pool))
                        }
                        for n in tg {
                            log("qbench llm: \(f.rawValue) t\(t) tg\(n)")
                            speeds.append(
                                try LLMBench.generation(m, length: n, repetitions: repetitions, bos: bos, pool: pool))
                        }
                        entries.append(
                            LLMEntry(
                                model: URL(fileURLWithPath: model).lastPathComponent, format: f.rawValue, threads: t,
                                gemv: ch.gemv.variant.rawValue, gemm: ch.gemm.variant.rawValue,
                                bitsPerWeight: m.bitsPerWeight, matrixBytes: m.matrixBytes, speeds: speeds,
                                accuracy: accuracy, referencePerplexity: pass?.accuracy.perplexity))
                    }
                }
                if json {
                    struct Out: Encodable { var llm: [LLMEntry] }
                    try Stdout.write(String(decoding: try QBJSON.encode(Out(llm: entries)), as: UTF8.self) + "\n")
                } else {
                    try Stdout.write(LLMTable.markdown(entries))
                }
            }
        }
    }
}

/// One (format, threads) row of `qbench llm`.
struct LLMEntry: Encodable {
    var model: String
    var format: String
    var threads: Int
    var gemv: String
    var gemm: String
    var bitsPerWeight: Double
    var matrixBytes: Int
    var speeds: [LLMSpeed]
    var accuracy: LLMAccuracy?
    var referencePerplexity: Double?

    enum CodingKeys: String, CodingKey {
        case model, format, threads, gemv, gemm, bitsPerWeight, matrixBytes, speeds, accuracy
        case ppTokensPerS, tgTokensPerS, perplexity, kldMean, kldP99, top1Agreement, referencePerplexity
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model); try c.encode(format, forKey: .format)
        try c.encode(threads, forKey: .threads); try c.encode(gemv, forKey: .gemv); try c.encode(gemm, forKey: .gemm)
        try c.encode(bitsPerWeight, forKey: .bitsPerWeight); try c.encode(matrixBytes, forKey: .matrixBytes)
        try c.encode(speeds, forKey: .speeds)
        // The first pp and tg medians under the names llama-bench users look for.
        if let p = speeds.first(where: { $0.test == "pp" }) { try c.encode(p.tokensPerS, forKey: .ppTokensPerS) }
        if let g = speeds.first(where: { $0.test == "tg" }) { try c.encode(g.tokensPerS, forKey: .tgTokensPerS) }
        try c.encodeIfPresent(accuracy, forKey: .accuracy)
        if let a = accuracy {
            try c.encode(a.perplexity, forKey: .perplexity); try c.encode(a.kldMean, forKey: .kldMean)
            try c.encode(a.kldP99, forKey: .kldP99); try c.encode(a.top1Agreement, forKey: .top1Agreement)
        }
        try c.encodeIfPresent(referencePerplexity, forKey: .referencePerplexity)
    }
}

enum LLMTable {
    static func markdown(_ entries: [LLMEntry]) -> String {
        let tests = entries.first?.speeds.map { "\($0.test)\($0.tokens)" } ?? []
        let acc = entries.contains { $0.accuracy != nil }
        var out = "| format | threads | bits/weight | MB | " + tests.map { "\($0) t/s" }.joined(separator: " | ")
        if acc { out += " | PPL | mean KLD | p99 KLD | top-1 %" }
        out += " | gemv / gemm |\n|---|---:|---:|---:|" + tests.map { _ in "---:|" }.joined()
        out += (acc ? "---:|---:|---:|---:|" : "") + "---|\n"
        for e in entries {
            out += "| \(e.format) | \(e.threads) | \(String(format: "%.2f", e.bitsPerWeight)) | "
            out += String(format: "%.0f", Double(e.matrixBytes) / 1e6) + " | "
            out += e.speeds.map { String(format: "%.1f ± %.1f", $0.tokensPerS, $0.madTokensPerS) }.joined(
                separator: " | ")
            if acc {
                if let a = e.accuracy {
                    out += String(
                        format: " | %.3f | %.2e | %.2e | %.2f", a.perplexity, a.kldMean, a.kldP99, 100 * a.top1Agreement
                    )
                } else {
                    out += " | | | |"
                }
            }
            out += " | \(e.gemv) / \(e.gemm) |\n"
        }
        return out
    }
}
