// `qbench gate`: a candidate report against a baseline; one verdict and exit code for CI (docs/gate.md).
import ArgumentParser
import Foundation
import QBenchSupport
import QBenchReport

/// `--format` of `qbench gate`.
enum GateFormat: String, CaseIterable, ExpressibleByArgument {
    case md, json
}

extension QBench {
    struct Gate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fail a CI job when a candidate report regresses against a baseline.",
            discussion: """
                Checks, per result key and row (docs/gate.md):
                  3  correctness: a kernel verified in the baseline is anything else in the candidate (unsupported \
                for missing CPU features excepted), or an accuracy row's SQNR dropped more than max_sqnr_drop_db.
                  4  the candidate's validity is false (unless --allow-invalid matches every reason).
                  2  performance: a result slower by more than max_throughput_regression and significantly so \
                (two-sided Mann-Whitney U on samples_ns, p < significance; when the sample counts cannot reach \
                that level, non-overlapping p10-p90 ranges instead, said in the row); measured (not modeled) \
                energy per call up by more than max_energy_regression; decode/prefill tokens/s estimates.
                  5  the baseline is missing, from another device, profile or schema, or shares no result key.
                  1  a report or the policy cannot be read; 64 bad flags.
                When several apply: 1 and 5 first, then 3, then 4, then 2.

                Thresholds: --policy YAML (max_throughput_regression, max_energy_regression, max_sqnr_drop_db, \
                significance), else the baseline's run.provenance.gate. Output: Markdown (first line the verdict \
                and exit code, failures first, passing checks folded in <details>; fit for $GITHUB_STEP_SUMMARY) \
                or JSON (schema qbench.gate/1).

                A shared host shifts between runs more than samples within one run show. --history gives earlier \
                runs of the baseline's code (same device and profile): each result's limit becomes the larger of \
                max_throughput_regression and the spread of its medians over those runs and the baseline.

                --baseline-dir DIR uses DIR/<device id>/<profile>.json for the candidate's device and profile. \
                --update-baseline writes the candidate there (atomically) when the gate passes or there is no \
                comparable baseline yet; an invalid candidate is refused (exit 4).

                Examples:
                  qbench gate --baseline b.json --candidate c.json
                  qbench gate --baseline-dir b --candidate c.json >> "$GITHUB_STEP_SUMMARY"
                  qbench gate --baseline b.json --candidate c.json --format json
                  qbench gate --baseline b.json --candidate c.json --policy gate.yaml
                  qbench gate --baseline b.json --candidate c.json --allow-invalid noise
                  qbench gate --baseline b.json --history runs/ --candidate c.json
                  qbench gate --baseline-dir b --candidate c.json --update-baseline
                """
        )

        @Option(help: ArgumentHelp("The baseline report.", valueName: "file"))
        var baseline: String?

        @Option(
            name: .customLong("baseline-dir"),
            help: ArgumentHelp("Baselines by device and profile: DIR/<device id>/<profile>.json.", valueName: "dir"))
        var baselineDir: String?

        @Option(help: ArgumentHelp("The candidate report.", valueName: "file"))
        var candidate: String

        @Option(help: ArgumentHelp("Thresholds (YAML), overriding the baseline's.", valueName: "file.yaml"))
        var policy: String?

        @Option(
            name: .customLong("allow-invalid"),
            help: ArgumentHelp(
                "Accept an invalid candidate when each of its validity reasons contains one of these "
                    + "comma-separated substrings.", valueName: "reasons"))
        var allowInvalid: String?

        @Option(
            help: ArgumentHelp(
                "Earlier runs of the baseline's code on this device and profile (reports or directories of them; "
                    + "repeatable): a result fails only when it is also slower than the spread of their medians.",
                valueName: "file|dir"))
        var history: [String] = []

        @Option(help: ArgumentHelp("Output: md (default) or json.", valueName: "md|json"))
        var format: GateFormat = .md

        @Flag(
            name: .customLong("update-baseline"),
            help: "Write the candidate as the baseline when the gate passes or no comparable baseline exists.")
        var updateBaseline = false

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([
                    ("--baseline", baseline), ("--baseline-dir", baselineDir), ("--candidate", candidate),
                    ("--policy", policy),
                ])
                switch (baseline, baselineDir) {
                case (nil, nil):
                    throw QBError.badOption(
                        flag: "--baseline", message: "missing; give --baseline F or --baseline-dir DIR")
                case (_?, _?):
                    throw QBError.badOption(
                        flag: "--baseline-dir", message: "give --baseline or --baseline-dir, not both")
                default: break
                }
                if let a = allowInvalid, allowList(a).isEmpty {
                    throw QBError.badOption(
                        flag: "--allow-invalid", message: "expected comma-separated reason substrings")
                }
            }
        }

        func allowList(_ text: String) -> [String] {
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        /// DIR/<device id>/<profile>.json; a `/` in the profile name becomes `_`.
        static func baselinePath(dir: String, report: Report) -> String {
            let profile = report.run.profile.replacingOccurrences(of: "/", with: "_")
            let device = report.device.id.replacingOccurrences(of: "/", with: "_")
            return URL(fileURLWithPath: dir).appendingPathComponent(device).appendingPathComponent("\(profile).json")
                .path
        }

        /// The `schema` of a JSON report file, when it is a JSON object with a string `schema`.
        static func peekSchema(_ path: String) -> String? {
            guard let data = FileManager.default.contents(atPath: path),
                let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            return obj["schema"] as? String
        }

        func run() throws {
            let code: Int32 = try reportingUserErrors {
                let cand = try ReportLoader.load(candidate)
                let policyFile = try policy.map(GatePolicy.loadFile)
                let basePath = baseline ?? Self.baselinePath(dir: baselineDir!, report: cand.report)
                let allow = allowInvalid.map(allowList) ?? []

                var verdict: GateVerdict
                var stderrLine: String?
                if !FileManager.default.fileExists(atPath: basePath) {
                    let why =
                        "no baseline at \(basePath)"
                        + (baselineDir != nil
                            ? " (expected for device \(cand.report.device.id), profile \(cand.report.run.profile))"
                            : "")
                    verdict = QBenchReport.Gate.notComparable(
                        baselinePath: basePath, candidatePath: cand.path, candidate: cand.report, reasons: [why])
                    stderrLine = why
                } else if let s = Self.peekSchema(basePath), s != Report.schemaID {
                    let why = "baseline schema \"\(s)\" is not \"\(Report.schemaID)\" (the candidate's): not comparable"
                    verdict = QBenchReport.Gate.notComparable(
                        baselinePath: basePath, candidatePath: cand.path, candidate: cand.report, reasons: [why])
                    stderrLine = "\(basePath): \(why)"
                } else {
                    let base = try ReportLoader.load(basePath)
                    let p = GatePolicy.resolve(file: policyFile, filePath: policy, baseline: base.report)
                    // The baseline and candidate files are not their own history (a directory may hold them).
                    let same = Set([base.path, cand.path].map { URL(fileURLWithPath: $0).standardizedFileURL.path })
                    let past =
                        history.isEmpty
                        ? []
                        : try ReportLoader.loadAll(history).filter {
                            !same.contains(URL(fileURLWithPath: $0.path).standardizedFileURL.path)
                        }
                    verdict = QBenchReport.Gate.evaluate(
                        base: base.report, candidate: cand.report, policy: p, allowInvalid: allow,
                        baselinePath: base.path, candidatePath: cand.path, history: past.map(\.report))
                    if verdict.exitCode == QBenchReport.Gate.notComparable {
                        stderrLine =
                            "baseline \(base.path) is not comparable: "
                            + verdict.notes.joined(separator: "; ")
                    }
                }

                if updateBaseline {
                    if !cand.report.validity.valid {
                        verdict.notes.append("--update-baseline: refused, the candidate is invalid")
                        verdict.exitCode = ExitCodes.invalidRun
                        verdict.verdict = QBenchReport.Gate.verdictText(ExitCodes.invalidRun)
                        stderrLine = "--update-baseline: \(cand.path) is invalid; not written to \(basePath)"
                    } else if verdict.exitCode == 0 || verdict.exitCode == ExitCodes.baselineNotComparable {
                        let data = try Data(contentsOf: URL(fileURLWithPath: cand.path))
                        try AtomicFile.write(data, to: URL(fileURLWithPath: basePath))
                        verdict.notes.append("--update-baseline: the candidate is now the baseline at \(basePath)")
                        verdict.exitCode = 0
                        verdict.verdict = QBenchReport.Gate.verdictText(0)
                        stderrLine = nil
                    } else {
                        verdict.notes.append("--update-baseline: not written, the gate failed")
                    }
                }

                switch format {
                case .md: try Stdout.write(GateRender.markdown(verdict))
                case .json: try Stdout.write(try QBJSON.encode(verdict) + Data("\n".utf8))
                }
                if let stderrLine {
                    FileHandle.standardError.write(Data("qbench: \(QBError.other(stderrLine).oneLine)\n".utf8))
                }
                return verdict.exitCode
            }
            if code != 0 { throw ExitCode(code) }
        }
    }
}
