// `qbench compare`: a baseline report against one or more candidates, per result key or across devices.
import ArgumentParser
import Foundation
import QBenchSupport
import QBenchReport

/// `--format` of `qbench compare`.
enum CompareFormat: String, CaseIterable, ExpressibleByArgument {
    case md, json, csv
}

extension QBench {
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare benchmark results of a baseline report with one or more candidate reports.",
            discussion: """
                Results are joined on their key (op/format/shape/threads/variant). Per key: both medians, the \
                ratio candidate throughput / baseline throughput (baseline median / candidate median: above 1 the \
                candidate is faster, below 1 slower), and the two-sided Mann-Whitney U p-value of the raw \
                samples_ns; `~` marks p >= the baseline's significance level (run.provenance.gate.significance, \
                else 0.05): within noise. Then the geometric mean of the ratios per weight format and overall, and \
                the keys measured on one side only.

                --cross-device joins on the work (op/format/shape, plus /cold) instead, taking each report's best \
                verified variant (fastest median among variants whose kernel row is verified) at its highest \
                thread count: absolute GB/s and GOP/s, roofline fraction, the GOP/s ratio, and the ratio of the \
                token estimates per model and format.

                Exit status: 0, or 1 when a report cannot be read. Method: docs/gate.md.

                Examples:
                  qbench compare base.json cand.json
                  qbench compare base.json cand1.json cand2.json --format csv > ratios.csv
                  qbench compare base.json reports/ --format json   # a folder: every report
                  qbench compare laptop.json server.json --cross-device
                """
        )

        @Argument(help: ArgumentHelp("The baseline report.", valueName: "base"))
        var base: String

        @Argument(help: ArgumentHelp("Candidate reports (files or folders of *.json).", valueName: "cand"))
        var candidates: [String]

        @Option(help: ArgumentHelp("Output: md (default), json or csv.", valueName: "md|json|csv"))
        var format: CompareFormat = .md

        @Flag(
            name: .customLong("cross-device"),
            help: "Join on op/format/shape with each report's best verified variant, for different devices.")
        var crossDevice = false

        func validate() throws {
            try validating {
                guard !candidates.isEmpty else {
                    throw QBError.badOption(flag: "<cand>", message: "missing; give at least one candidate report")
                }
                try requireNonEmptyPaths([("<base>", base)] + candidates.map { ("<cand>", $0) })
            }
        }

        func run() throws {
            try reportingUserErrors {
                // Base and candidates decoded at once (ReportLoader.load(files:)), the base's error first.
                let all = try ReportLoader.load(files: [base] + ReportLoader.expand(candidates))
                let b = all[0], cs = Array(all.dropFirst())
                /// The comparisons rendered in the chosen format (markdown and CSV per comparison, JSON whole).
                func render<C: Encodable>(
                    _ cmp: [C], csvHeader: String, markdown: (C) -> String, csv: (C) -> String,
                    json: ([C]) -> some Encodable
                ) throws -> String {
                    switch format {
                    case .md: return cmp.map(markdown).joined(separator: "\n")
                    case .csv: return csvHeader + cmp.map(csv).joined()
                    case .json: return String(decoding: try QBJSON.encode(json(cmp)), as: UTF8.self) + "\n"
                    }
                }
                let text =
                    crossDevice
                    ? try render(
                        cs.map {
                            QBenchReport.Compare.crossDevice(
                                base: b.report, candidate: $0.report, basePath: b.path, candidatePath: $0.path)
                        }, csvHeader: CompareRender.crossCSVHeader, markdown: CompareRender.markdown,
                        csv: CompareRender.csv, json: { CrossOutput(comparisons: $0) })
                    : try render(
                        cs.map {
                            QBenchReport.Compare.compare(
                                base: b.report, candidate: $0.report, basePath: b.path, candidatePath: $0.path)
                        }, csvHeader: CompareRender.csvHeader, markdown: CompareRender.markdown,
                        csv: CompareRender.csv, json: { Output(comparisons: $0) })
                try Stdout.write(text)
            }
        }

        /// `--format json`: `qbench.compare/1`.
        struct Output: Codable {
            var schema = "qbench.compare/1"
            var direction = "ratio = candidate throughput / baseline throughput; above 1 the candidate is faster"
            var comparisons: [Comparison]
        }

        /// `--format json --cross-device`: `qbench.compare-devices/1`.
        struct CrossOutput: Codable {
            var schema = "qbench.compare-devices/1"
            var direction = "ratio = candidate GOP/s / baseline GOP/s; above 1 the candidate device is faster"
            var comparisons: [CrossDeviceComparison]
        }
    }
}
