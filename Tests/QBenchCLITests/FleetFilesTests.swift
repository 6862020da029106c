// The fleet files under deploy/ (GitHub Actions, Kubernetes, Slurm): they parse, they say what docs/fleet.md
// says they do, every qbench command and flag they use exists, and the shell passes shellcheck.
import Foundation
import QBenchTestSupport
import XCTest
import Yams

final class FleetFilesTests: XCTestCase {
    let deploy = TestPaths.packageRoot.appendingPathComponent("deploy")

    func yamlDocuments(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
        return try Yams.load_all(yaml: text).map { try XCTUnwrap($0 as? [String: Any], path) }
    }

    func testGitHubWorkflow_measuresX86AndArmThenBuildsTheMatrixAndGates() throws {
        let docs = try yamlDocuments("github-actions/qbench-fleet.yml")
        XCTAssertEqual(docs.count, 1)
        let jobs = try XCTUnwrap(docs[0]["jobs"] as? [String: Any])
        let measure = try XCTUnwrap(jobs["measure"] as? [String: Any])
        let matrix = try XCTUnwrap((measure["strategy"] as? [String: Any])?["matrix"] as? [String: Any])
        let runners = try XCTUnwrap(matrix["runner"] as? [String])
        XCTAssertTrue(runners.contains { !$0.contains("arm") }, "an x86 runner")
        XCTAssertTrue(runners.contains { $0.contains("arm") }, "an arm64 runner")
        let steps = try XCTUnwrap(measure["steps"] as? [[String: Any]])
        XCTAssertTrue(steps.contains { ($0["run"] as? String)?.contains("qbench run") == true })
        XCTAssertTrue(steps.contains { ($0["uses"] as? String)?.hasPrefix("actions/upload-artifact") == true })
        let final = try XCTUnwrap(jobs["matrix-and-gate"] as? [String: Any])
        XCTAssertEqual(final["needs"] as? String, "measure")
        let script = (try XCTUnwrap(final["steps"] as? [[String: Any]])).compactMap { $0["run"] as? String }
            .joined(separator: "\n")
        XCTAssertTrue(script.contains("qbench matrix"))
        XCTAssertTrue(script.contains("qbench gate --baseline-dir reports/baselines"))
    }

    func testKubernetesIndexedJob_onePodPerNode() throws {
        let docs = try yamlDocuments("kubernetes/qbench-indexed-job.yaml")
        let job = try XCTUnwrap(docs.first { $0["kind"] as? String == "Job" })
        let spec = try XCTUnwrap(job["spec"] as? [String: Any])
        XCTAssertEqual(spec["completionMode"] as? String, "Indexed")
        XCTAssertEqual(spec["completions"] as? Int, spec["parallelism"] as? Int)
        let pod = try XCTUnwrap((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let anti = try XCTUnwrap(
            ((pod["affinity"] as? [String: Any])?["podAntiAffinity"] as? [String: Any])?[
                "requiredDuringSchedulingIgnoredDuringExecution"] as? [[String: Any]])
        XCTAssertEqual(anti.first?["topologyKey"] as? String, "kubernetes.io/hostname")
        let claim = try XCTUnwrap(docs.first { $0["kind"] as? String == "PersistentVolumeClaim" })
        XCTAssertEqual((claim["metadata"] as? [String: Any])?["name"] as? String, "qbench-reports")
    }

    func testSlurmArray_exclusiveNodeOneTask() throws {
        let text = try String(contentsOf: deploy.appendingPathComponent("slurm/qbench-array.sbatch"), encoding: .utf8)
        for directive in ["#SBATCH --exclusive", "#SBATCH --nodes=1", "#SBATCH --ntasks=1"] {
            XCTAssertTrue(text.contains(directive), directive)
        }
        XCTAssertTrue(text.contains("SLURM_ARRAY_TASK_ID"))
    }

    /// Every `qbench <command> ... --flag` in the fleet files names a real command and a flag its help lists.
    func testEveryQBenchFlagUsedExists() throws {
        var checked = 0
        let files = [
            "github-actions/qbench-fleet.yml", "kubernetes/qbench-indexed-job.yaml", "slurm/qbench-array.sbatch",
        ]
        // `qbench COMMAND args` up to the end of the line or a shell operator.
        let pattern = try NSRegularExpression(
            pattern: #"qbench"?\s+(probe|run|report|matrix|compare|gate)\b([^\n|>&;]*)"#)
        for path in files {
            let text = try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
            // Comments that show a command count too.
            let ns = text as NSString
            for m in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let command = ns.substring(with: m.range(at: 1))
                let rest = ns.substring(with: m.range(at: 2))
                let help = try QBenchBinary.run(["help", command])
                XCTAssertEqual(help.status, 0, "\(path): qbench \(command): \(help.stderr)")
                for flag in rest.split(separator: " ").filter({ $0.hasPrefix("--") }) {
                    XCTAssertTrue(help.stdout.contains(String(flag)), "\(path): qbench \(command) has no \(flag)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 5)
    }

    func testShellScriptsPassShellcheck() throws {
        let shellcheck = which("shellcheck")
        try Oracle.require("shellcheck", shellcheck != nil, "shellcheck is not installed (apt-get install shellcheck)")
        let root = TestPaths.packageRoot
        var files = ["deploy/slurm/qbench-array.sbatch", ".ci/run"]
        for dir in ["scripts", "scripts/test.d"] {
            files += try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path)
                .filter { $0.hasSuffix(".sh") }.map { "\(dir)/\($0)" }
        }
        let r = try runProcess(shellcheck!, files.map { root.appendingPathComponent($0).path })
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    }
}
