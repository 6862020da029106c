// `qbench run`: verify, benchmark, roofline, energy, estimates and accuracy; writes the report.
import ArgumentParser
import Foundation
import QBenchReport
import QBenchSupport
import QBenchHarness
import QBenchProfiles
import QBenchRun
import QBenchDevice
import QBenchKernels

extension QBench {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify and benchmark every kernel variant this device can run, and write a report.",
            discussion: """
                Phases: probe, plan, verify every variant (crash-isolated canary, then against scalar), measure the \
                roofline (read bandwidth per cache level and DRAM, peak ops per instruction family), benchmark the \
                profile's decode (gemv, cold weights) and prefill (gemm) shapes, estimate tokens/s per model, measure \
                accuracy, and write the JSON report (schema qbench.report/1, docs/report.md). Progress goes to stderr \
                (--progress); Ctrl-C stops cleanly and writes what was measured.

                Examples:
                  qbench run                                  # the embedded default profile
                  qbench run --quick --profile smoke          # seconds; for CI
                  qbench run --profile profiles/llama3-8b.yaml --formats q4_0,q8_0 --threads 1,cores
                  qbench run --model model.gguf --out reports/  # its shapes, and the model run
                  qbench run --max-isa avx2                   # what an AVX2-only build of the plan would do
                  qbench tune qbench-reports/qbench-default-*.json && qbench run --dispatch measured
                """
        )

        @Option(
            help: ArgumentHelp("Profile name (default, smoke, llama3-8b, ...) or a YAML file.", valueName: "name|file"))
        var profile = "default"

        @Option(
            help: ArgumentHelp(
                "Derive the model shapes from a GGUF file's header; a llama, qwen2 or gemma3 model also runs end "
                    + "to end (pp128, tg32, KLD over 1,024 tokens) into the report's llm section.",
                valueName: "file.gguf"))
        var model: String?

        @Option(help: ArgumentHelp("Folder for the report.", valueName: "dir"))
        var out = "qbench-reports"

        @Option(
            name: .customLong("max-isa"),
            help: ArgumentHelp(
                "Highest variant level to use (this machine's levels, lowest first: "
                    + "\(KernelDispatch.levels(arch: ISAArch.host.rawValue).map(\.rawValue).joined(separator: " "))).",
                valueName: "variant"))
        var maxISA: VariantArgument?

        @Option(
            help: ArgumentHelp(
                "Only these variants (comma separated; scalar always runs as the reference).", valueName: "list"))
        var variants: VariantListArgument?

        @Option(
            help: ArgumentHelp("Weight formats (comma separated, or all), overriding the profile.", valueName: "list"))
        var formats: FormatListArgument?

        @Option(
            help: ArgumentHelp(
                "Thread counts (comma separated numbers, `cores` or `pus`), overriding the profile.", valueName: "list")
        )
        var threads: ThreadListArgument?

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Watts for the modeled energy proxy when no counter is readable.", valueName: "watts"))
        var tdp: Double?

        @Option(
            help: ArgumentHelp(
                "Kernel plan: static (a function of CPU features, the default), measured (this device's file from "
                    + "`qbench tune`) or a dispatch file. It picks the variant timed on every shape and the one "
                    + "--model runs on; the report records it.", valueName: "static|measured|file"))
        var dispatch = "static"

        @Flag(name: .customLong("per-pu"), help: "One thread per hardware thread (PU) instead of one per core.")
        var perPU = false

        @Flag(help: "Short timing limits (seconds, for tests); figures are indicative only.")
        var quick = false

        @Flag(help: "Print the report JSON to stdout instead of the summary.")
        var json = false

        @Option(help: .progress)
        var progress: ProgressMode = .auto

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([
                    ("--profile", profile), ("--model", model), ("--out", out), ("--dispatch", dispatch),
                ])
                if let tdp, !(tdp > 0 && tdp < 10_000) {
                    throw QBError.badOption(flag: "--tdp", message: "expected watts between 0 and 10000, got \(tdp)")
                }
                _ = try formats?.formats()
                _ = try threads?.counts()
                try KernelDispatch.validate(
                    DispatchLimits(maxISA: maxISA?.name, allowedVariants: variants?.names),
                    arch: ISAArch.host.rawValue)
            }
        }

        func run() throws {
            try reportingUserErrors {
                let options = RunOptions(
                    profile: profile, modelFile: model.map { URL(fileURLWithPath: $0) },
                    outDir: URL(fileURLWithPath: out), maxISA: maxISA?.name,
                    variants: variants?.names, formats: try formats?.formats().map(\.rawValue),
                    threads: try threads?.counts(), quick: quick, tdpWatts: tdp, perPU: perPU, dispatch: dispatch)
                let interrupt = InterruptFlag()
                interrupt.installHandler()
                defer { interrupt.uninstallHandler() }
                let pipeline = RunPipeline(
                    options: options, progress: ProgressReporter(mode: progress),
                    interrupt: interrupt, log: { ProgressReporter.writeStderr($0 + "\n") })
                let outcome = try pipeline.run()
                // Written unbuffered, so a log of both streams keeps the summary before the stderr lines. A failed
                // write (a full disk) is reported after the line that says where the report went.
                let printed = Result {
                    try Stdout.write(
                        json
                            ? try outcome.report.encoded() + Data("\n".utf8)
                            : Data(RunSummary.render(outcome.report).utf8))
                }
                if let url = outcome.reportURL {
                    ProgressReporter.writeStderr("qbench run: report written to \(url.path)\n")
                    // The Markdown and HTML pages next to it (same name), for people; the JSON stays the truth, so
                    // a page that cannot be written is a warning, not a failed run.
                    let name = url.lastPathComponent
                    for (ext, text) in [
                        ("md", ReportMarkdown.render(outcome.report, path: name)),
                        ("html", ReportHTML.render(outcome.report, path: name)),
                    ] {
                        do {
                            try AtomicFile.write(
                                Data(text.utf8), to: url.deletingPathExtension().appendingPathExtension(ext),
                                replace: false)
                        } catch let e as QBError {
                            ProgressReporter.writeStderr("qbench run: warning: no .\(ext) page written: \(e)\n")
                        }
                    }
                } else if let e = outcome.writeError {
                    try? printed.get()
                    throw QBError.io(path: options.outDir.path, message: "no report written: \(e.description)")
                } else {
                    ProgressReporter.writeStderr(
                        "qbench run: interrupted before any benchmark finished; no report written\n")
                }
                try printed.get()
                if outcome.report.run.interrupted {
                    let r = outcome.report
                    if outcome.reportURL != nil {
                        ProgressReporter.writeStderr(
                            "qbench run: interrupted after \(r.results.count) benchmarks and "
                                + "\(r.kernels.filter { $0.status == .verified }.count) verified variants; "
                                + "the report holds what was measured and is marked invalid\n"
                        )
                    }
                    throw ExitCode(interrupt.exitStatus ?? 130)
                }
                if outcome.report.results.isEmpty {
                    throw QBError.other(
                        "nothing was measured: no verified variant ran a benchmark (see the report's kernels)")
                }
                if outcome.report.kernels.contains(where: { $0.status == .mismatch }) {
                    throw ExitCode(ExitCodes.correctnessRegression)
                }
            }
        }
    }
}
