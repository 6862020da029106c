// AtomicFile: nothing partial and nothing left behind, on a full disk, on a name taken meanwhile, or where a
// folder cannot be.
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchSupport

final class AtomicFileTests: XCTestCase {
    private func entries(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    func testWrite_replacesAndLeavesNoTempFile() throws {
        let dir = try TestPaths.scratch()
        let url = dir.appendingPathComponent("r.json")
        try AtomicFile.write(Data("one".utf8), to: url)
        try AtomicFile.write(Data("two".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "two")
        XCTAssertEqual(try entries(dir), ["r.json"])
    }

    func testNoReplace_keepsTheFileThatAppearedAndSaysSo() throws {
        let dir = try TestPaths.scratch()
        let url = dir.appendingPathComponent("m.gguf")
        try Data("theirs".utf8).write(to: url)
        XCTAssertThrowsError(try AtomicFile.write(Data("mine".utf8), to: url, replace: false)) {
            XCTAssertEqual("\($0)", "\(url.path): already exists; pass --force to replace it")
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "theirs")
        XCTAssertEqual(try entries(dir), ["m.gguf"])
        let fresh = dir.appendingPathComponent("new.gguf")
        try AtomicFile.write(Data("mine".utf8), to: fresh, replace: false)
        XCTAssertEqual(try String(contentsOf: fresh, encoding: .utf8), "mine")
        XCTAssertEqual(try entries(dir), ["m.gguf", "new.gguf"])
    }

    func testFullDisk_failsWithOneLineKeepsTheOldFileAndLeavesNoTemp() throws {
        let dir = try TestPaths.scratch()
        let mount = try TmpfsMount(over: dir, size: "64k")
        defer { mount.unmount() }
        let url = dir.appendingPathComponent("report.json")
        try AtomicFile.write(Data("small and whole".utf8), to: url)
        for _ in 0..<3 {  // each retry on a full disk used to leave another temp file
            XCTAssertThrowsError(try AtomicFile.write(Data(count: 1 << 20), to: url)) {
                XCTAssertTrue("\($0)".hasPrefix("\(url.path): No space left on device"), "\($0)")
            }
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "small and whole")
        XCTAssertEqual(try entries(dir), ["report.json"])
    }

    func testCheckWritableDirectory_refusesAFileInTheWayAndCreatesMissingFolders() throws {
        let dir = try TestPaths.scratch()
        let file = dir.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        XCTAssertThrowsError(try AtomicFile.checkWritableDirectory(file)) {
            XCTAssertEqual("\($0)", "\(file.path): is a file, not a folder")
        }
        XCTAssertThrowsError(try AtomicFile.checkWritableDirectory(file.appendingPathComponent("sub"))) {
            XCTAssertTrue("\($0)".contains("cannot create the folder"), "\($0)")
            XCTAssertFalse("\($0)".contains("NSCocoaErrorDomain"), "\($0)")
        }
        let deep = dir.appendingPathComponent("a/b")
        try AtomicFile.checkWritableDirectory(deep)
        XCTAssertEqual(try entries(deep), [], "the probe file is removed")
    }
}
