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
                "Weight formats (comma separated; default: every format with kernels, \(defaultFormats)); "
                    + "as-stored runs the file's own matrix type when all its matrices share one with kernels here.",
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

        @Option(
            help: ArgumentHelp(
                "Kernel plan: static (a function of CPU features, the default), measured (this device's file from "
                    + "`qbench tune`) or a dispatch file.", valueName: "static|measured|file"))
        var dispatch = "static"

        @Flag(help: "Print the results as JSON (an object with an llm array) instead of a table.")
        var json = false

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([("--model", model), ("--dispatch", dispatch)])
                _ = try Self.formats(formatList)
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

        /// The weight formats of `--formats`, and whether `as-stored` was among them.
        static func formats(_ list: FormatListArgument) throws -> (formats: [WeightFormat], asStored: Bool) {
            let items = list.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let rest = items.filter { $0 != "as-stored" }
            if rest.count == items.count { return (try list.formats(), false) }
            return (
                rest.isEmpty ? [] : try WeightFormat.parseList(rest.joined(separator: ","), flag: "--formats"), true
            )
        }

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
                // The text is read before anything is measured, so a bad file fails at once.
                var textInput: (content: String, name: String)?
                if let text {
                    let data = try InputFile.bytes(text, upTo: 64 << 20)
                    guard let s = String(data: data, encoding: .utf8) else {
                        throw QBError.badInput(path: text, message: "not UTF-8 text")
                    }
                    textInput = (s, text)
                }
                let device = try DeviceProbe.probe()
                let cores = device.topology.cores, pus = device.topology.pus
                let counts = try threadList.counts().map { $0.resolve(cores: cores, pus: pus) }
                    .reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
                let (formats, asStored) = try Self.formats(formatList)
                let measured = try MeasuredDispatch.forOption(dispatch, deviceID: device.id)
                let runner = try LLMRunner(
                    options: LLMRunOptions(
                        model: model, formats: formats, threads: counts,
                        promptLengths: try Self.lengths(promptLengths, flag: "--prompt-length"),
                        genLengths: try Self.lengths(genLengths, flag: "--gen"), repetitions: repetitions,
                        text: textInput, chunkSize: chunkSize, chunks: chunks, outputF32: outputF32,
                        asStored: asStored, dispatch: measured),
                    device: device)
                let log = { (s: String) in
                    if !json { FileHandle.standardError.write(Data(("qbench llm: " + s + "\n").utf8)) }
                }
                for line in runner.skipped { log("skipped \(line)") }
                log(runner.summary)
                let meter = EnergyMeters.select(.live(cpuModel: device.cpu.model, cores: max(1, cores)))
                log("energy: \(meter.meter.source.rawValue) (\(meter.meter.detail))")
                let results = try runner.run(meter: meter.meter, log: log)
                if json {
                    struct Out: Encodable { var llm: [LLMResult] }
                    try Stdout.write(String(decoding: try QBJSON.encode(Out(llm: results)), as: UTF8.self) + "\n")
                } else {
                    try Stdout.write(LLMTable.markdown(results))
                }
            }
        }
    }
}
