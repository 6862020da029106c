// `qbench run`: verify, benchmark, roofline, energy, estimates and accuracy; writes the report.
import ArgumentParser
import Foundation
import QBenchSupport
import QBenchHarness
import QBenchProfiles
import QBenchRun

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
              qbench run --model model.gguf --out reports/  # shapes from a real GGUF header
              qbench run --max-isa avx2                   # what an AVX2-only build of the plan would do
            """
        )

        @Option(help: ArgumentHelp("Profile name (default, smoke, llama3-8b, ...) or a YAML file.", valueName: "name|file"))
        var profile = "default"

        @Option(help: ArgumentHelp("Derive the model shapes from a GGUF file's header (weights are not read).", valueName: "file.gguf"))
        var model: String?

        @Option(help: ArgumentHelp("Folder for the report.", valueName: "dir"))
        var out = "qbench-reports"

        @Option(name: .customLong("max-isa"), help: ArgumentHelp("Highest variant level to use (e.g. avx2, avx512, neon_dotprod).", valueName: "variant"))
        var maxISA: String?

        @Option(help: ArgumentHelp("Only these variants (comma separated; scalar always runs as the reference).", valueName: "list"))
        var variants: String?

        @Option(help: ArgumentHelp("Weight formats (comma separated), overriding the profile.", valueName: "list"))
        var formats: String?

        @Option(help: ArgumentHelp("Thread counts (comma separated numbers, `cores` or `pus`), overriding the profile.", valueName: "list"))
        var threads: String?

        @Option(help: ArgumentHelp("Watts for the modeled energy proxy when no counter is readable.", valueName: "watts"))
        var tdp: Double?

        @Flag(name: .customLong("per-pu"), help: "One thread per hardware thread (PU) instead of one per core.")
        var perPU = false

        @Flag(help: "Short timing limits (seconds, for tests); figures are indicative only.")
        var quick = false

        @Flag(help: "Print the report JSON to stdout instead of the summary.")
        var json = false

        @Option(help: .progress)
        var progress: ProgressMode = .auto

        func validate() throws {
            if let tdp, !(tdp > 0 && tdp < 10_000) { throw ValidationError("--tdp: expected watts between 0 and 10000, got \(tdp)") }
        }

        func run() throws {
            try reportingUserErrors {
                let list: (String?) -> [String]? = { $0.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } }
                // Items are parsed here; their range is checked with the profile's rule once merged (RunPipeline).
                let threadCounts = try list(threads).map { items in
                    try items.map { item -> ThreadCount in
                        guard let t = ThreadCount(text: item) else {
                            throw QBError.badOption(flag: "--threads",
                                                    message: "`\(item)` is not a thread count; \(ThreadCount.expectation)")
                        }
                        return t
                    }
                }
                let options = RunOptions(profile: profile, modelFile: model.map { URL(fileURLWithPath: $0) },
                                         outDir: URL(fileURLWithPath: out), maxISA: maxISA, variants: list(variants),
                                         formats: list(formats), threads: threadCounts, quick: quick, tdpWatts: tdp,
                                         perPU: perPU)
                let interrupt = InterruptFlag()
                interrupt.installHandler()
                defer { interrupt.uninstallHandler() }
                let pipeline = RunPipeline(options: options, progress: ProgressReporter(mode: progress),
                                           interrupt: interrupt, log: { ProgressReporter.writeStderr($0 + "\n") })
                let outcome = try pipeline.run()
                if json {
                    FileHandle.standardOutput.write(try outcome.report.encoded())
                    print("")
                } else {
                    print(RunSummary.render(outcome.report), terminator: "")
                }
                // stdout is block-buffered when redirected (make bench > log): flush the summary before the
                // stderr line so a log file keeps them in order.
                fflush(stdout)
                if let url = outcome.reportURL {
                    ProgressReporter.writeStderr("qbench run: report written to \(url.path)\n")
                } else {
                    ProgressReporter.writeStderr("qbench run: interrupted before any benchmark finished; no report written\n")
                }
                if outcome.report.run.interrupted {
                    let r = outcome.report
                    ProgressReporter.writeStderr("qbench run: interrupted after \(r.results.count) benchmarks and \(r.kernels.filter { $0.status == .verified }.count) verified variants; the report holds what was measured and is marked invalid\n")
                    throw ExitCode(130)
                }
                if outcome.report.kernels.contains(where: { $0.status == .mismatch }) { throw ExitCode(ExitCodes.correctnessRegression) }
            }
        }
    }
}
