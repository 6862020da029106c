// Every file option refuses special files, folders and empty paths in one line, and a profile cannot expand into
// gigabytes (issue: hardening). Each case runs the real binary.
import Foundation
import QBenchTestSupport
import XCTest

final class HostileInputTests: XCTestCase {
    private func assertOneLine(_ args: [String], status: Int32, _ expected: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try QBenchBinary.run(args)
        XCTAssertEqual(r.status, status, "\(args): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr, "qbench: \(expected)\n", "\(args)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(args)", file: file, line: line)
    }

    func testFileOptions_refuseFIFOsDevicesFoldersAndEmptyPathsAlike() throws {
        let dir = try TestPaths.scratch()
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for (flag, command) in [("--topology-xml", "probe"), ("--cpuid-dump", "probe"), ("--profile", "run"),
                                ("--model", "accuracy")] {
            try assertOneLine([command, flag, fifo], status: 1, "\(fifo): is a FIFO, not a regular file")
            try assertOneLine([command, flag, "/dev/zero"], status: 1, "/dev/zero: is a device, not a regular file")
            try assertOneLine([command, flag, ""], status: 64, "\(flag): empty path; expected a file or folder name")
            if flag != "--cpuid-dump" { // a dump may be a folder of pu* files
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
        try assertOneLine(["run", "--quick", "--profile", url.path], status: 1,
                          "\(url.path): more than 20000 YAML nodes once aliases are expanded; a profile is a few hundred (anchors and aliases are not needed)")
    }
}
