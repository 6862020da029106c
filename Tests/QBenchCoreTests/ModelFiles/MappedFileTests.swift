import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchModelFiles

final class MappedFileTests: XCTestCase {
    func testMappedFile_mapsTheFileBytes() throws {
        let dir = try TestPaths.scratch()
        let url = dir.appendingPathComponent("x.bin")
        try Data([1, 2, 3, 250]).write(to: url)
        let m = try MappedFile(path: url.path)
        XCTAssertEqual(m.count, 4)
        XCTAssertEqual(Array(m.bytes), [1, 2, 3, 250])
    }

    func testMappedFile_emptyFileIsZeroBytes() throws {
        let url = try TestPaths.scratch().appendingPathComponent("empty")
        try Data().write(to: url)
        XCTAssertEqual(try MappedFile(path: url.path).count, 0)
        ModelFileTests.assertGGUFRejects([], "truncated")
    }

    func testMappedFile_refusesMissingFilesAndFolders() throws {
        let dir = try TestPaths.scratch()
        XCTAssertThrowsError(try MappedFile(path: dir.appendingPathComponent("nope").path)) { e in
            guard case let QBError.io(path, message) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(path.hasSuffix("nope"))
            XCTAssertTrue(message.contains("cannot open"), message)
        }
        XCTAssertThrowsError(try MappedFile(path: dir.path)) { e in
            XCTAssertTrue("\(e)".hasSuffix(": is a folder, not a file"), "\(e)")
        }
    }

    func testMappedFile_refusesAFIFOWithoutBlocking() throws {
        let path = try TestPaths.scratch().appendingPathComponent("fifo").path
        try XCTSkipUnless(mkfifo(path, 0o600) == 0, "mkfifo failed: \(String(cString: strerror(errno)))")
        XCTAssertThrowsError(try MappedFile(path: path)) { e in
            XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)")
        }
    }
}
