// Validates report JSON against docs/report.schema.json with python3's jsonschema (Draft 2020-12).
import Foundation
import XCTest

public enum SchemaValidation {
    /// - Returns: nil when `json` is valid, else the first errors (path: message).
    /// - Throws: `XCTSkip` (a failure under QBENCH_REQUIRE_ORACLES=1) when python3 or its jsonschema module is
    ///   missing.
    public static func reportErrors(_ json: Data) throws -> String? {
        let file = try TestPaths.scratch("schema").appendingPathComponent("report.json")
        try json.write(to: file)
        let schema = TestPaths.packageRoot.appendingPathComponent("docs/report.schema.json").path
        let script = """
            import json, sys
            try:
                import jsonschema
            except ImportError:
                sys.exit(77)
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))), \
            key=lambda e: list(e.path))
            for e in errors[:10]:
                print("/".join(str(p) for p in e.path) + ": " + e.message[:300])
            sys.exit(1 if errors else 0)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, schema, file.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch { try Oracle.require("jsonschema", false, "python3 not runnable: \(error)") }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try Oracle.require(
            "jsonschema", p.terminationStatus != 77 && p.terminationStatus != 127,
            p.terminationStatus == 77 ? "python3 has no jsonschema module" : "python3 not found")
        return p.terminationStatus == 0 ? nil : text
    }
}
