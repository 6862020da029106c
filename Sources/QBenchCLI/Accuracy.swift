// `qbench accuracy`: the quantization error of each weight format on a real model's weights.
import ArgumentParser
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchHarness
import QBenchAccuracy

extension QBench {
    struct Accuracy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how much each weight format perturbs a model's weight matrices.",
            discussion: """
                Every 2-D weight matrix of a GGUF or safetensors file is quantized with each format's reference \
                quantizer and compared with its source values (F32 as stored, F16/BF16 converted, quantized GGUF \
                tensors dequantized). Per format: SQNR from summed signal and noise energies, size-weighted NMSE and \
                cosine, bits per weight and the resulting model size. Also int8 per-tensor calibration (min_max, \
                percentile, entropy, mse) on the largest tensors and, with --budget-bits, a mixed-precision plan.
                Fields and method: docs/accuracy.md.

                Examples:
                  qbench accuracy --model model.safetensors
                  qbench accuracy --model gemma-3-270m-q4_k_m.gguf --tensors 'blk\\.0\\.' --verbose
                  qbench accuracy --model model.safetensors --formats q8_0,q4_0,q4_k --json > accuracy.json
                  qbench accuracy --model model.safetensors --budget-bits 4.5
                  qbench accuracy --model model.gguf --formats q8_0 --write model-q8_0.gguf --write-format q8_0
                """
        )

        @Option(help: ArgumentHelp("The model: a GGUF or safetensors file.", valueName: "file"))
        var model: String

        @Option(
            help: ArgumentHelp(
                "Formats to evaluate, comma-separated, or 'all' "
                    + "(default: \(AccuracyOptions.defaultFormats.map(\.rawValue).joined(separator: ","))).",
                valueName: "list"))
        var formats: FormatListArgument?

        @Option(
            help: ArgumentHelp(
                "Only tensors whose name matches this regular expression (searched, not anchored).",
                valueName: "regex"))
        var tensors: String?

        @Flag(help: "Print the report as JSON (schema qbench.accuracy/1, documented in docs/accuracy.md).")
        var json = false

        @Flag(help: "Also print every tensor's figures, skipped tensors and the mixed-precision assignments.")
        var verbose = false

        @Option(
            parsing: .unconditional, help: ArgumentHelp("Threads for quantizing (default: all CPUs).", valueName: "n"))
        var threads: Int?

        @Option(
            name: .customLong("calibration-tensors"), parsing: .unconditional,
            help: ArgumentHelp("Run the int8 calibration methods on the N largest tensors (0: none).", valueName: "n"))
        var calibrationTensors: Int = 8

        @Option(
            name: .customLong("budget-bits"), parsing: .unconditional,
            help: ArgumentHelp(
                "Plan mixed precision within this average bits per weight (e.g. 4.5).", valueName: "bits"))
        var budgetBits: Double?

        @Option(help: ArgumentHelp("Save the model re-quantized to --write-format as GGUF.", valueName: "out.gguf"))
        var write: String?

        @Option(
            name: .customLong("write-format"),
            help: ArgumentHelp(
                "The ggml format for --write: f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q4_k q6_k mxfp4.", valueName: "format"))
        var writeFormat: String?

        @Flag(help: "Let --write replace an existing file.")
        var force = false

        @Option(help: .progress)
        var progress: ProgressMode = .auto

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([("--model", model), ("--write", write)])
                _ = try makeOptions()
                _ = try writeTarget()
            }
        }

        func run() throws {
            try reportingUserErrors {
                let options = try makeOptions()
                let target = try writeTarget()
                // SIGINT and SIGTERM stop the work between tensors; nothing partial is left (no temp file).
                let interrupt = InterruptFlag()
                interrupt.installHandler()
                defer { interrupt.uninstallHandler() }
                let m = try AccuracyModel.open(path: model)
                let reporter = ProgressReporter(mode: progress)
                var report = try AccuracyAnalyzer.analyze(
                    m, options: options, progress: reporter,
                    interrupt: interrupt)
                if let (url, format) = target {
                    report.written = try RequantizedModel.write(
                        m, format: format, to: url, tensorPattern: tensors,
                        overwrite: force, threads: options.threads,
                        progress: reporter, interrupt: interrupt)
                }
                if json {
                    try Stdout.write(try QBJSON.encode(report) + Data("\n".utf8))
                } else {
                    try Stdout.write(AccuracyTable.render(report, verbose: verbose))
                }
            }
        }

        func makeOptions() throws -> AccuracyOptions {
            var o = AccuracyOptions()
            if let f = formats { o.formats = try f.formats() }
            o.tensorPattern = tensors
            if let t = threads {
                guard t >= 1 else {
                    throw QBError.badOption(flag: "--threads", message: "must be at least 1, got \(t)")
                }
                o.threads = t
            }
            guard calibrationTensors >= 0 else {
                throw QBError.badOption(
                    flag: "--calibration-tensors", message: "must be 0 or more, got \(calibrationTensors)")
            }
            o.calibrationTensors = calibrationTensors
            if let b = budgetBits {
                guard b.isFinite, b > 0 else {
                    throw QBError.badOption(
                        flag: "--budget-bits", message: "must be a positive number of bits per weight, got \(b)")
                }
                o.budgetBits = b
            }
            return o
        }

        /// The --write destination and format, checked before the (possibly long) analysis starts.
        func writeTarget() throws -> (URL, WeightFormat)? {
            switch (write, writeFormat) {
            case (nil, nil): return nil
            case (nil, _): throw QBError.badOption(flag: "--write-format", message: "needs --write OUT.gguf")
            case (_, nil): throw QBError.badOption(flag: "--write", message: "needs --write-format (e.g. q8_0)")
            case let (path?, name?):
                let f = try WeightFormat.parseList(name, flag: "--write-format")
                guard f.count == 1, let format = f.first else {
                    throw QBError.badOption(flag: "--write-format", message: "takes one format, got '\(name)'")
                }
                guard format.ggmlType != nil else {
                    throw QBError.badOption(
                        flag: "--write-format",
                        message: "\(format.rawValue) has no GGUF type; use one of "
                            + WeightFormat.allCases.filter { $0.ggmlType != nil }.map(\.rawValue).joined(separator: " ")
                    )
                }
                let url = URL(fileURLWithPath: path)
                if OutputTarget.sameFile(url.path, model) {
                    throw QBError.badOption(
                        flag: "--write", message: "\(path) is the input model; write to another file")
                }
                if !force && FileManager.default.fileExists(atPath: url.path) {
                    throw QBError.io(path: path, message: "already exists; pass --force to replace it")
                }
                try AtomicFile.checkWritableDirectory(url.deletingLastPathComponent())
                return (url, format)
            }
        }
    }
}
