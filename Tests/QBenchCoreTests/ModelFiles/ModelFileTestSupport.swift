// Helpers for the model-file tests: raw little-endian builders for hand-made (often hostile) files, a
// python3 runner for cross-checks against gguf-py, and an assertion for one-line `badInput` errors.
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchModelFiles

/// Little-endian byte building for hand-crafted files.
struct RawBytes {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
    mutating func zeros(_ n: Int) { bytes += [UInt8](repeating: 0, count: n) }

    /// A GGUF header: magic, version, counts.
    static func ggufHeader(version: UInt32 = 3, tensors: UInt64, kvs: UInt64) -> RawBytes {
        var r = RawBytes()
        r.bytes = Array("GGUF".utf8)
        r.u32(version)
        r.u64(tensors)
        r.u64(kvs)
        return r
    }

    /// One tensor info.
    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        str(name)
        u32(UInt32(dims.count))
        for d in dims { u64(d) }
        u32(type)
        u64(offset)
    }
}

enum ModelFileTests {
    static let name = "hostile-input"

    /// Parses `bytes` as GGUF and asserts the refusal is one `badInput` line naming the input and containing
    /// every fragment of `expecting`.
    static func assertGGUFRejects(
        _ bytes: [UInt8], _ expecting: String..., file: StaticString = #filePath,
        line: UInt = #line
    ) {
        assertRejects(
            { _ = try GGUFFile(file: MappedFile(copying: bytes, name: name)) }, expecting,
            file: file, line: line)
    }

    static func assertSafetensorsRejects(
        _ bytes: [UInt8], _ expecting: String..., file: StaticString = #filePath,
        line: UInt = #line
    ) {
        assertRejects(
            { _ = try SafetensorsFile(file: MappedFile(copying: bytes, name: name)) }, expecting,
            file: file, line: line)
    }

    static func assertRejects(_ body: () throws -> Void, _ expecting: [String], file: StaticString, line: UInt) {
        do {
            try body()
            XCTFail("expected the input to be refused (\(expecting))", file: file, line: line)
        } catch let QBError.badInput(path, message) {
            XCTAssertEqual(path, name, file: file, line: line)
            XCTAssertFalse(message.contains(where: \.isNewline), "not one line: \(message)", file: file, line: line)
            for fragment in expecting {
                XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected QBError.badInput, got \(error)", file: file, line: line)
        }
    }

    /// Runs `python3 -c script args...`; returns (exit status, stdout, stderr).
    static func python(_ script: String, _ args: [String] = []) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Skips (fails under QBENCH_REQUIRE_ORACLES=1) unless python3 can import every module in `modules`.
    static func requirePython(_ modules: String...) throws {
        let imports = modules.map { "import \($0)" }.joined(separator: "; ")
        let status = (try? python(imports).0) ?? -1
        try Oracle.require(
            modules.joined(separator: "+"), status == 0,
            "python3 with \(modules.joined(separator: ", ")) is not available "
                + "(scripts/ensure-test-deps.sh installs it)")
    }
}
