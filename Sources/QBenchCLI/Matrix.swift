// `qbench matrix`: the cross-device compatibility matrix of several reports.
import ArgumentParser
import Foundation
import QBenchSupport
import QBenchReport

extension QBench {
    struct Matrix: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare devices: which kernels run where, how fast, and tokens/s, J/token and tokens per USD.",
            discussion: """
                Columns are devices (CPU model, short device id, the best variant that verified); a run made under \
                --max-isa or --variants is its own column. Of several reports of one column the newest (run \
                started_at) is used and a note names the others. Rows are (op, weight format): the best verified \
                variant by dispatch preference, its throughput at the report's largest thread count (GB/s for \
                gemv, GOP/s for gemm, warm cache preferred) and roofline fraction; a format that does not run says \
                why (unsupported: <missing features>, crashed: SIGILL, mismatch), and `scalar only` says why \
                nothing faster runs. Then per model profile: decode and prefill tokens/s and J/token with the \
                energy source, and tokens per USD with --price. Fields: docs/cli.md (qbench matrix).

                Examples:
                  qbench matrix qbench-reports/               # every *.json in the folder
                  qbench matrix a.json b.json --format csv --out matrix.csv
                  qbench matrix reports/devices/ --format html --out matrix.html
                  qbench matrix reports/ --price prices.yaml  # `<device id>: <USD/h>` lines
                  qbench matrix reports/ --format json | jq '.rows[] | select(.op == "gemv")'
                """
        )

        @Argument(help: ArgumentHelp("Reports, or folders of reports (their *.json files).", valueName: "report|dir"))
        var reports: [String] = []

        @Option(help: ArgumentHelp("Output format: md, html, json or csv.", valueName: "md|html|json|csv"))
        var format: String = "md"

        @Option(
            help: ArgumentHelp(
                "YAML mapping of device id or CPU model to USD per hour; adds tokens per USD.",
                valueName: "file.yaml"))
        var price: String?

        @Option(help: ArgumentHelp("Write to this file (atomically) instead of stdout.", valueName: "file"))
        var out: String?

        func validate() throws {
            try validating {
                _ = try outputFormat()
                try requireNonEmptyPaths([("--price", price), ("--out", out)] + reports.map { ("REPORT", $0) })
                if reports.isEmpty {
                    throw QBError.badOption(flag: "REPORT", message: "expected at least one report or folder")
                }
            }
        }

        /// - Throws: `QBError.badOption(flag: "--format", ...)`.
        func outputFormat() throws -> MatrixFormat {
            guard let f = MatrixFormat(rawValue: format) else {
                throw QBError.badOption(
                    flag: "--format",
                    message: "expected md, html, json or csv, "
                        + "got \(quoted(format))")
            }
            return f
        }

        func run() throws {
            try reportingUserErrors {
                let files = try ReportLoader.expand(reports)
                // Matrices are regenerated output: --out replaces an earlier one (never an input).
                let target = OutputTarget(path: out, force: true)
                try target.check(inputs: files + (price.map { [$0] } ?? []))
                let prices = try price.map { try PriceTable.load(path: $0) }
                let loaded = try ReportLoader.load(files: files)
                let matrix = MatrixBuilder.build(loaded, prices: prices)
                try target.write(try MatrixRender.render(matrix, as: try outputFormat()))
            }
        }
    }
}
