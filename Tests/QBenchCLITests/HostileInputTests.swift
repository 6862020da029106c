// Every file option refuses special files, folders and empty paths in one line, and a profile cannot expand into
// gigabytes (issue: hardening). Each case runs the real binary.
import Foundation
import QBenchTestSupport
import XCTest

final class HostileInputTests: XCTestCase {
    private func assertOneLine(
        _ args: [String], status: Int32, _ expected: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let r = try QBenchBinary.run(args)
        XCTAssertEqual(r.status, status, "\(args): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr, "qbench: \(expected)\n", "\(args)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(args)", file: file, line: line)
    }

    func testFileOptions_refuseFIFOsDevicesFoldersAndEmptyPathsAlike() throws {
        let dir = try TestPaths.scratch()
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for (flag, command) in [
            ("--topology-xml", "probe"), ("--cpuid-dump", "probe"), ("--profile", "run"),
            ("--model", "accuracy"),
        ] {
            try assertOneLine([command, flag, fifo], status: 1, "\(fifo): is a FIFO, not a regular file")
            try assertOneLine([command, flag, "/dev/zero"], status: 1, "/dev/zero: is a device, not a regular file")
            try assertOneLine([command, flag, ""], status: 64, "\(flag): empty path; expected a file or folder name")
            if flag != "--cpuid-dump" {  // a dump may be a folder of pu* files
                try assertOneLine([command, flag, dir.path], status: 1, "\(dir.path): is a folder, not a file")
            }
        }
    }

    func testProfile_ofNestedAliasesIsRefusedBeforeItExpands() throws {
        // 12 levels of 10 aliases: 10^12 nodes once expanded, from about 600 bytes.
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for c in "bcdefghijkl" {
            text += "\(c): &\(c) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = String(c)
        }
        let url = try TestPaths.scratch().appendingPathComponent("laughs.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        try assertOneLine(
            ["run", "--quick", "--profile", url.path], status: 1,
            "\(url.path): more than 20000 YAML nodes once aliases are expanded; "
                + "a profile is a few hundred (anchors and aliases are not needed)"
        )
    }

    func testProfileName_cannotChooseWhereTheReportGoes_andFormatsAreNotRepeated() throws {
        let smoke = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("profiles/smoke.yaml"),
            encoding: .utf8)
        let dir = try TestPaths.scratch()
        let out = dir.appendingPathComponent("out")
        for (edit, expected) in [
            (
                smoke.replacingOccurrences(of: "name: smoke", with: "name: x/../../escaped"),
                "line 3: name: `x/../../escaped` may hold only letters, digits, '.', '_' and '-', "
                    + "and not start with '.'"
            ),
            (
                smoke.replacingOccurrences(of: "formats: [f32, q8_0, q4_0]", with: "formats: [q8_0, q8_0]"),
                "line 5: formats[1]: `q8_0` is listed twice"
            ),
        ] {
            let url = dir.appendingPathComponent("p.yaml")
            try edit.write(to: url, atomically: true, encoding: .utf8)
            try assertOneLine(
                ["run", "--quick", "--profile", url.path, "--out", out.path], status: 1, "\(url.path): \(expected)")
        }
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [], [], "nothing written")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "out" }, ["p.yaml"])
        try assertOneLine(
            [
                "run", "--quick", "--profile", "smoke", "--formats", "q8_0,q8_0,,", "--threads", ",",
                "--out", out.path,
            ], status: 64,
            "--threads: empty list; expected a number in 1...4096, `cores` or `pus`")
    }

    func testOutputToAFullDisk_isOneLineAndExit1_notATrap() throws {
        let bin = try QBenchBinary.require()
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else { throw XCTSkip("no /dev/full on this system") }
        for args in [["probe", "--json"], ["probe"]] {
            let p = Process()
            p.executableURL = bin
            p.arguments = args
            p.standardOutput = full
            let err = Pipe()
            p.standardError = err
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit, "\(args): killed by a signal: \(text)")
            XCTAssertEqual(p.terminationStatus, 1, "\(args): \(text)")
            XCTAssertEqual(text, "qbench: stdout: No space left on device\n", "\(args)")
        }
    }

    func testEnvironmentSettings_areParsedStrictlyAndBounded() throws {
        let bin = try QBenchBinary.require()
        for value in ["9223372036854775807", "abc", "1e3", "", "-5", " 10"] {
            let p = Process()
            p.executableURL = bin
            p.arguments = ["run", "--quick", "--profile", "smoke", "--out", try TestPaths.scratch("env").path]
            p.environment = ProcessInfo.processInfo.environment.merging(["QBENCH_POOL_SPIN_US": value]) { $1 }
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit, "\(value): \(text)")
            XCTAssertEqual(p.terminationStatus, 64, "\(value): \(text)")
            let last = text.split(separator: "\n").last.map(String.init) ?? ""
            XCTAssertTrue(last.hasPrefix("qbench: QBENCH_POOL_SPIN_US: "), "\(value): \(text)")
            XCTAssertTrue(last.hasSuffix("expected a whole number in 0...1000000"), "\(value): \(text)")
        }
    }

    func testNegativeNumbers_reachTheirOptionsCheck() throws {
        try assertOneLine(
            ["probe", "--xcr0", "-1"], status: 64,
            "--xcr0: negative value `-1`; expected a hex XCR0 value such as 0xe7 or 2e7")
        try assertOneLine(["run", "--tdp", "-3"], status: 64, "--tdp: expected watts between 0 and 10000, got -3.0")
    }

    /// The permission error only an unprivileged user meets: CI runs as root, which reads mode-000 files, so the
    /// real binary runs as `nobody` through setpriv (util-linux), the same open() path a user takes.
    func testUnreadableTopologyExport_asAnUnprivilegedUser_isOneLine() throws {
        let dir = try TestPaths.scratch()
        let url = dir.appendingPathComponent("secret.xml")
        try Data("<topology/>".utf8).write(to: url)
        chmod(url.path, 0)
        chmod(dir.path, 0o755)
        var wrapper: [String] = []
        if geteuid() == 0 {
            let setpriv = try XCTUnwrap(which("setpriv"), "setpriv (util-linux) is part of every Debian system")
            wrapper = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        let r = try QBenchBinary.run(["probe", "--topology-xml", url.path], wrapper: wrapper)
        if r.status == 126 || r.stderr.contains("Permission denied") && !r.stderr.hasPrefix("qbench:") {
            throw XCTSkip("the qbench binary is not executable by nobody here: \(r.stderr)")
        }
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr, "qbench: \(url.path): cannot be read (check permissions)\n")
        XCTAssertEqual(r.stdout, "")
    }
}
