// `qbench report`: renders one report for people (Markdown) or for other tools (CSV, OpenMetrics,
// github-action-benchmark JSON, the JSON itself re-checked).
import ArgumentParser
import Foundation
import QBenchReport
import QBenchSupport

extension QBench {
    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Render one report: Markdown, HTML, CSV, OpenMetrics or github-action-benchmark JSON.",
            discussion: """
                The report is checked first (schema, then every field); a file that is not a qbench.report/1 \
                report is refused with one line naming it (exit 1).

                Formats:
                  md           device card, compatibility table, roofline, results, estimates, energy, accuracy,
                               validity (the default)
                  html         one self-contained page (inline CSS and SVG, nothing from the network): device
                               card, compatibility heat map, log-log roofline chart with every result, throughput
                               per format and thread count, estimates, accuracy, validity
                  csv          one record per result (RFC 4180)
                  openmetrics  gauges such as qbench_throughput_gb_per_s{device=...,key=...} for Prometheus
                  gab          github-action-benchmark's customBiggerIsBetter JSON (one entry per result and
                               estimate)
                  json         the report itself, re-encoded after the checks

                Examples:
                  qbench report qbench-reports/qbench-default-*.json
                  qbench report run.json --format csv --out run.csv
                  qbench report run.json --format html --out run.html && xdg-open run.html
                  qbench report run.json --format gab > benchmark-data.json
                  qbench report run.json --format openmetrics --out /var/lib/node_exporter/textfile/qbench.prom
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case md, html, csv, openmetrics, gab, json
        }

        @Argument(help: ArgumentHelp("The report (a qbench.report/1 JSON file).", valueName: "report.json"))
        var file: String

        @Option(help: "Output format: md, html, csv, openmetrics, gab, json.")
        var format: Format = .md

        @Option(help: ArgumentHelp("Write to this file (atomically) instead of stdout.", valueName: "file"))
        var out: String?

        @Flag(help: "Let --out replace an existing file.")
        var force = false

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([("report", file)])
                try OutputTarget(path: out, force: force).check(inputs: [file])
            }
        }

        func run() throws {
            try reportingUserErrors {
                let loaded = try ReportLoader.load(file)
                let data: Data
                switch format {
                case .md: data = Data(ReportMarkdown.render(loaded.report, path: loaded.path).utf8)
                case .html: data = Data(ReportHTML.render(loaded.report, path: loaded.path).utf8)
                case .csv: data = Data(ReportCSV.render(loaded.report).utf8)
                case .openmetrics: data = Data(OpenMetrics.render(loaded.report).utf8)
                case .gab: data = try GitHubActionBenchmark.render(loaded.report) + Data("\n".utf8)
                case .json: data = try loaded.report.encoded() + Data("\n".utf8)
                }
                try OutputTarget(path: out, force: force).write(data)
            }
        }
    }
}
