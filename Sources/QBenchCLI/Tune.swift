// `qbench tune`: a dispatch plan chosen by measurement, from a run that timed every verified variant.
import ArgumentParser
import Foundation
import QBenchReport
import QBenchSupport

extension QBench {
    struct Tune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Choose kernel variants by measurement: a per-device dispatch file from a run's timings.",
            discussion: """
                `qbench run` times every verified variant of each (op, format) on the profile's shapes. For each \
                (op, weight format, activation format, thread count), tune picks the variant with the least total \
                median time over the shapes every candidate was timed on (keeping the static plan's variant unless \
                another beats it by more than 5 %), and writes the choices to a dispatch \
                file (qbench.dispatch/1): by default the device's file in the user's cache folder \
                ($XDG_CACHE_HOME/qbench/dispatch/<device id>-<version>.json), which `qbench llm --dispatch \
                measured` reads. Only variants the run verified are candidates; the static plan (a function of \
                CPU features) stays the default everywhere.

                Examples:
                  qbench run --out reports/ && qbench tune reports/qbench-default-*.json
                  qbench tune run.json --out dispatch.json --json
                  qbench llm --model m.gguf --dispatch measured
                """)

        @Argument(help: ArgumentHelp("A report of this or another device (qbench.report/1).", valueName: "report.json"))
        var file: String

        @Option(help: ArgumentHelp("Write the dispatch file here instead of the cache folder.", valueName: "file"))
        var out: String?

        @Flag(help: "Let --out replace an existing file.")
        var force = false

        @Flag(help: "Print the dispatch file's JSON instead of the table.")
        var json = false

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([("report", file)])
                try OutputTarget(path: out, force: force).check(inputs: [file])
            }
        }

        func run() throws {
            try reportingUserErrors {
                let loaded = try ReportLoader.load(file)
                let stamp = ISO8601DateFormatter().string(from: Date())
                let plan = MeasuredDispatch.derive(from: loaded.report, source: loaded.path, createdAt: stamp)
                guard !plan.entries.isEmpty else {
                    throw QBError.badInput(path: file, message: "no verified variant was timed in this report")
                }
                let data = try QBJSON.encode(plan) + Data("\n".utf8)
                let path = out ?? MeasuredDispatch.defaultPath(deviceID: plan.deviceId, version: plan.qbenchVersion)
                if out == nil {
                    // The cache file is ours to replace; its folder is made on first use.
                    let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
                    do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                        throw QBError.io(
                            path: dir.path, message: "cannot create the folder: \(error.localizedDescription)")
                    }
                    try AtomicFile.write(data, to: URL(fileURLWithPath: path), replace: true)
                } else {
                    try OutputTarget(path: out, force: force).write(data)
                }
                if json { return try Stdout.write(data) }
                var table = TextTable(
                    ["op", "format", "act", "threads", "static", "measured", "static/measured", "shapes"],
                    rightAligned: [3, 6, 7])
                for e in plan.entries {
                    table.append([
                        e.op.rawValue, e.weightFormat, e.activationFormat, String(e.threads), e.planned ?? "-",
                        e.variant, e.speedup.map { String(format: "%.2f", $0) } ?? "-", String(e.shapes.count),
                    ])
                }
                let differ = plan.entries.filter { $0.planned != nil && $0.planned != $0.variant }.count
                try Stdout.write(
                    table.render()
                        + "\n\(plan.entries.count) choices, \(differ) differ from the static plan; written to \(path)\n"
                )
            }
        }
    }
}
