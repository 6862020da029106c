// A real model end to end on the suite's kernels, shared by `qbench llm` and `qbench run --model`: per weight
// format and thread count, pp and tg tokens/s with joules per token (as llama-bench measures speed), and over a
// text, perplexity, KL divergence and top-1 agreement against the f32 reference (as llama-perplexity scores them).
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchModelFiles
import QBenchDevice
import QBenchKernels
import QBenchHarness
import QBenchLLM
import QBenchReport

/// What to measure.
public struct LLMRunOptions: Sendable {
    public var model: String
    public var formats: [WeightFormat]
    /// Thread counts, resolved.
    public var threads: [Int]
    public var promptLengths: [Int]
    public var genLengths: [Int]
    public var repetitions: Int
    /// The text to score accuracy over, and how it is named in the results; nil measures speed only.
    public var text: (content: String, name: String)?
    public var chunkSize: Int
    public var chunks: Int
    public var outputF32: Bool
    /// Also run the model as stored: every matrix in its file's type, on that type's kernels.
    public var asStored: Bool
    /// A measured plan (`qbench tune`) and its file: its verified choices replace the static plan's.
    public var dispatch: (plan: MeasuredDispatch, path: String)?

    public init(
        model: String, formats: [WeightFormat], threads: [Int], promptLengths: [Int], genLengths: [Int],
        repetitions: Int, text: (content: String, name: String)?, chunkSize: Int, chunks: Int, outputF32: Bool,
        asStored: Bool = false, dispatch: (plan: MeasuredDispatch, path: String)? = nil
    ) {
        self.model = model; self.formats = formats; self.threads = threads; self.promptLengths = promptLengths
        self.genLengths = genLengths; self.repetitions = repetitions; self.text = text; self.chunkSize = chunkSize
        self.chunks = chunks; self.outputF32 = outputF32; self.asStored = asStored; self.dispatch = dispatch
    }
}

/// A checked model and the kernels each format will run on: everything that can be refused is refused when this
/// is made, before any measuring.
public struct LLMRunner {
    public let options: LLMRunOptions
    let file: GGUFFile
    let config: LLMConfig
    let source: GGUFWeightSource
    let textTokens: [Int32]?
    let f32: LLMKernelChoice
    /// What to run, in order: the options' formats (each matrix re-quantized from the reference), then `as-stored`
    /// (every matrix's own bytes on its stored format's kernels) when every stored format has kernels here.
    let runs: [(name: String, plan: LLMFormatPlan)]
    /// Formats that cannot run here, each with why ("q4_k (no verified gemv ...)").
    public let skipped: [String]

    /// Reads and checks the model, tokenizes the text, and picks each format's verified kernels.
    /// - Parameter verified: the variants verified on this device (all of the registry's that the formats could
    ///   use are verified here when nil).
    /// - Throws: `QBError` naming the model, text or flag: an unsupported architecture, a missing key or tensor, a
    ///   shape that disagrees with the hyperparameters, a text shorter than one chunk, lengths beyond the context,
    ///   no format that can run.
    public init(options: LLMRunOptions, device: DeviceProfile, verified: Set<KernelVariant>? = nil) throws {
        self.options = options
        file = try GGUFFile(path: options.model)
        config = try LLMConfig(gguf: file)
        source = GGUFWeightSource(gguf: file)
        try LLMShapes.check(config, source)
        if let text = options.text {
            let tokenizer = try LLMTokenizer(gguf: file)
            let ids = tokenizer.encode(text.content, parseSpecial: false)
            guard ids.count >= options.chunkSize else {
                throw QBError.badInput(
                    path: text.name,
                    message: "\(ids.count) tokens, fewer than one chunk of \(options.chunkSize) (--chunk-size)")
            }
            guard options.chunkSize <= config.contextLength else {
                throw QBError.badInput(
                    path: options.model,
                    message: "\(options.chunkSize) tokens (--chunk-size) exceed the model's context of "
                        + "\(config.contextLength)")
            }
            textTokens = ids
        } else {
            textTokens = nil
        }
        let pp = options.promptLengths.max() ?? 0, tg = options.genLengths.max() ?? 0
        if max(pp, tg) > config.contextLength {
            throw QBError.badInput(
                path: options.model,
                message: "\(max(pp, tg)) tokens (\(pp >= tg ? "--prompt-length" : "--gen")) exceed the model's "
                    + "context of \(config.contextLength)")
        }
        // The file's matrix types, each with how many matrices use it (for `asStored`).
        var storedCount: [String: Int] = [:]
        if options.asStored {
            let tied = file.tensors.first { $0.name == LLMTensorName.output } == nil
            for t in file.tensors where t.shape.count == 2 && (tied || t.name != LLMTensorName.tokenEmbedding) {
                storedCount[t.type.name.lowercased(), default: 0] += 1
            }
        }
        let storedFormats = storedCount.keys.compactMap(WeightFormat.init(rawValue:))
        let features = Set(device.cpu.features)
        let registry = KernelRegistry.builtIn
        let needed = Set(options.formats + storedFormats + [.f32])
        var ok = verified ?? []
        if verified == nil {
            let acts = Set(needed.map(\.activationFormat))
            for v in registry.variants
            where (v.weightFormat.map(needed.contains) ?? false)
                || (v.op == .quantizeRow && acts.contains(v.activationFormat))
            {
                if KernelVerifier.verify(v, features: features, registry: registry).status == .verified {
                    ok.insert(v)
                }
            }
        }
        let threadsMax = options.threads.max() ?? 1
        func choice(_ f: WeightFormat) throws -> LLMKernelChoice {
            var ch = try LLMKernelChoice.choose(
                format: f, verified: ok, arch: device.cpu.arch, sveVectorBits: device.cpu.sveVectorBits)
            // A measured plan replaces gemv and gemm by its choices, when they are verified here.
            if let d = options.dispatch?.plan {
                let act = f.activationFormat
                for op in [KernelOp.gemv, .gemm] {
                    guard
                        let name = d.variant(
                            op: op, weightFormat: f.rawValue, activationFormat: act.rawValue, threads: threadsMax),
                        let v = ok.first(where: {
                            $0.op == op && $0.weightFormat == f && $0.activationFormat == act
                                && $0.variant.rawValue == name
                        })
                    else { continue }
                    if op == .gemv { ch.gemv = v } else { ch.gemm = v }
                }
            }
            return ch
        }
        f32 = try choice(.f32)
        var runs: [(name: String, plan: LLMFormatPlan)] = []
        var skipped: [String] = []
        // Row lengths of the matrices (embedding, attention output, FFN down): a format whose block does not divide
        // one cannot hold the model (Gemma 3 270M's 640 is no multiple of the k-quants' 256).
        let rowLengths = [config.embeddingLength, config.headCount * config.valueDim, config.feedForwardLength]
        for f in options.formats {
            if let bad = rowLengths.first(where: { $0 % f.blockSize != 0 }) {
                skipped.append("\(f.rawValue) (row length \(bad) is not a multiple of its block of \(f.blockSize))")
                continue
            }
            do {
                let ch = try choice(f)
                runs.append((f.rawValue, LLMFormatPlan(layers: ch, output: options.outputF32 ? f32 : ch)))
            } catch { skipped.append("\(f.rawValue) (\(error))") }
        }
        if options.asStored {
            // Every matrix on its stored type's kernels (a Q4_K_M file mixes q4_k, q6_k, q5_0 and q8_0 matrices);
            // runnable when each stored type has verified kernels here.
            let count = storedCount
            let types = count.keys.sorted()
            var stored: [WeightFormat: LLMKernelChoice] = [:]
            let missing = types.filter { name in
                guard let f = WeightFormat(rawValue: name), let ch = try? choice(f) else { return true }
                stored[f] = ch
                return false
            }
            let listing = types.map { "\($0) (\(count[$0]!) matrices)" }.joined(separator: ", ")
            if !missing.isEmpty {
                skipped.append(
                    "as-stored (the file's matrices are \(listing); no verified kernels here for "
                        + missing.joined(separator: ", ") + ")")
            } else {
                runs.append(("as-stored", LLMFormatPlan.asStored(stored, fallback: f32)))
            }
        }
        guard !runs.isEmpty else {
            throw QBError.badOption(flag: "--formats", message: "nothing could run: " + skipped.joined(separator: "; "))
        }
        self.runs = runs
        self.skipped = skipped
    }

    /// How many lines `run` logs: one per step (the reference, its pass over the text, each format's accuracy,
    /// each speed test), for a progress bar.
    public var stepCount: Int {
        let runnable = runs.count
        let tests = options.promptLengths.count + options.genLengths.count
        return 1 + (textTokens == nil ? 0 : 1 + runnable) + runnable * options.threads.count * tests
    }

    /// One line about the model, for the log.
    public var summary: String {
        "\(config.architecture.rawValue), \(config.blockCount) layers, embedding \(config.embeddingLength), "
            + "vocabulary \(config.vocabSize)"
    }

    /// Measures every format that can run, in the order given, at every thread count.
    /// - Parameters:
    ///   - meter: joules per token of each speed test (nil: none).
    ///   - log: one line per step.
    /// - Throws: `QBError.interrupted` when `interrupt` is raised between steps.
    public func run(
        meter: (any EnergyMeter)?, interrupt: InterruptFlag? = nil, log: (String) -> Void
    ) throws -> [LLMResult] {
        let maxThreads = options.threads.max() ?? 1
        let bos = Int32(file.metadata.int("tokenizer.ggml.bos_token_id") ?? 1)
        log("building the f32 reference")
        let reference = try LLMModel(
            config: config, source: source, plan: LLMFormatPlan(layers: f32, output: f32), threads: maxThreads)
        let bigPool = KernelThreadPool(threads: maxThreads)
        var pass: LLMBench.ReferencePass?
        if let textTokens {
            let addsBOS = file.metadata.bool("tokenizer.ggml.add_bos_token") ?? true
            let cs = LLMBench.chunks(
                textTokens, chunk: options.chunkSize, maxChunks: options.chunks, bos: addsBOS ? bos : nil)
            log("reference over \(cs.count) chunks of \(options.chunkSize) tokens")
            pass = try LLMBench.reference(reference, chunks: cs, pool: bigPool)
        }
        let pools = options.threads.map { KernelThreadPool(threads: $0) }
        var out: [LLMResult] = []
        for (name, plan) in runs {
            try interrupt?.check(what: "the llm measurements")
            let isReference = name == WeightFormat.f32.rawValue
            let m =
                isReference
                ? reference
                : try LLMModel(config: config, source: source, plan: plan, sharing: reference, threads: maxThreads)
            var accuracy: LLMAccuracy?
            if let pass {
                log("\(name) accuracy")
                accuracy =
                    isReference
                    ? pass.accuracy : try LLMBench.accuracy(m, reference: reference, pass: pass, pool: bigPool)
            }
            for (t, pool) in zip(options.threads, pools) {
                var speeds: [LLMSpeed] = []
                let tests = options.promptLengths.map { ("pp", $0) } + options.genLengths.map { ("tg", $0) }
                for (test, n) in tests {
                    try interrupt?.check(what: "the llm measurements")
                    log("\(name) t\(t) \(test)\(n)")
                    let measure = test == "pp" ? LLMBench.promptProcessing : LLMBench.generation
                    speeds.append(
                        try measure(m, n, options.repetitions, bos, pool, meter))
                }
                out.append(
                    LLMResult(
                        model: URL(fileURLWithPath: options.model).deletingPathExtension().lastPathComponent,
                        format: name, threads: t,
                        gemv: plan.variantNames.gemv, gemm: plan.variantNames.gemm,
                        bitsPerWeight: m.bitsPerWeight, matrixBytes: m.matrixBytes, speeds: speeds,
                        accuracy: accuracy, referencePerplexity: pass?.accuracy.perplexity,
                        text: pass == nil ? nil : options.text?.name,
                        dispatch: options.dispatch.map { "measured \($0.path)" } ?? "static"))
            }
        }
        return out
    }

    /// True when `file`'s architecture is one the forward pass runs (llama, qwen2, gemma3).
    public static func supports(_ file: GGUFFile) -> Bool {
        file.architecture.flatMap(LLMArchitecture.init(rawValue:)) != nil
    }
}
