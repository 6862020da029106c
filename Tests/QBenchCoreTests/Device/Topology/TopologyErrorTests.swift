// Bad topology files: one clear line naming the file, and nothing else on stderr.
import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchDevice

final class TopologyErrorTests: XCTestCase {
    /// Runs `body` with fd 2 redirected to a file and returns what was written there.
    private func capturingStderr(_ body: () -> Void) throws -> String {
        let dir = try TestPaths.scratch("stderr")
        let path = dir.appendingPathComponent("stderr.txt").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        fflush(stderr)
        let saved = dup(2)
        dup2(fd, 2)
        body()
        fflush(stderr)
        dup2(saved, 2)
        close(saved); close(fd)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// Loads `path`, expecting a `badInput` naming it; returns the message.
    private func expectBadInput(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var thrown: Error?
        let noise = try capturingStderr {
            do { _ = try TopologyProbe.fixture(xmlPath: path) } catch { thrown = error }
        }
        guard case let .badInput(p, message)? = thrown as? QBError else {
            XCTFail("expected QBError.badInput, got \(String(describing: thrown))", file: file, line: line)
            return ""
        }
        XCTAssertEqual(p, path, file: file, line: line)
        XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
        // A user who sets HWLOC_XML_VERBOSE asked for the parser's diagnostics; otherwise ours is the only line.
        if ProcessInfo.processInfo.environment["HWLOC_XML_VERBOSE"] == nil {
            XCTAssertEqual(noise, "", "hwloc or libxml2 wrote to stderr", file: file, line: line)
        }
        return message
    }

    func testMissingFile_isBadInputNamingIt() throws {
        let dir = try TestPaths.scratch()
        let message = try expectBadInput(dir.appendingPathComponent("nope.xml").path)
        XCTAssertTrue(message.contains("no such file"), message)
    }

    func testDirectory_isBadInput() throws {
        let dir = try TestPaths.scratch()
        let message = try expectBadInput(dir.path)
        XCTAssertEqual(message, "is a folder, not a file")
    }

    func testEmptyFile_isBadInput() throws {
        let url = try TestPaths.scratch().appendingPathComponent("empty.xml")
        try Data().write(to: url)
        let message = try expectBadInput(url.path)
        XCTAssertTrue(message.contains("empty"), message)
    }

    func testUnreadableFile_isBadInput() throws {
        // As root (CI) HostileInputTests runs the binary as nobody for this path.
        try XCTSkipIf(geteuid() == 0, "root reads files whatever their mode")
        let url = try TestPaths.scratch().appendingPathComponent("secret.xml")
        try Data("<topology/>".utf8).write(to: url)
        chmod(url.path, 0)
        let message = try expectBadInput(url.path)
        XCTAssertTrue(message.contains("cannot be read"), message)
    }

    func testTruncatedExport_isBadInputWithoutParserNoise() throws {
        let src = try TestPaths.requireFixtures("hwloc-xml/AMD-EPYC-Zen4-2core-VM.xml")
        let whole = try Data(contentsOf: src)
        let url = try TestPaths.scratch().appendingPathComponent("truncated.xml")
        try whole.prefix(whole.count / 2).write(to: url)
        let message = try expectBadInput(url.path)
        XCTAssertTrue(message.contains("not a valid hwloc XML topology"), message)
    }

    func testCorruptedExport_isBadInput() throws {
        let src = try TestPaths.requireFixtures("hwloc-xml/AMD-EPYC-Zen4-2core-VM.xml")
        var text = try String(contentsOf: src, encoding: .utf8)
        text = text.replacingOccurrences(of: "</object>", with: "</obj", options: [], range: nil)
        let url = try TestPaths.scratch().appendingPathComponent("corrupt.xml")
        try Data(text.utf8).write(to: url)
        _ = try expectBadInput(url.path)
    }

    func testNonXMLFile_isBadInput() throws {
        let url = try TestPaths.scratch().appendingPathComponent("notes.txt")
        try Data("these are not the droids\n".utf8).write(to: url)
        let message = try expectBadInput(url.path)
        XCTAssertTrue(message.contains("not a valid hwloc XML topology"), message)
    }

    func testWellFormedXMLThatIsNotATopology_isBadInput() throws {
        let url = try TestPaths.scratch().appendingPathComponent("other.xml")
        try Data(#"<?xml version="1.0"?><project><name>x</name></project>"#.utf8).write(to: url)
        _ = try expectBadInput(url.path)
    }

    func testTopologyWithoutProcessingUnits_isBadInput() throws {
        let url = try TestPaths.scratch().appendingPathComponent("nopu.xml")
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE topology SYSTEM "hwloc2.dtd">
            <topology version="2.0">
              <object type="Machine" os_index="0" cpuset="0x0" complete_cpuset="0x0" allowed_cpuset="0x0" \
            nodeset="0x1" complete_nodeset="0x1" allowed_nodeset="0x1" gp_index="1">
                <object type="NUMANode" os_index="0" cpuset="0x0" complete_cpuset="0x0" nodeset="0x1" \
            complete_nodeset="0x1" gp_index="2" local_memory="1024"/>
              </object>
            </topology>
            """
        try Data(xml.utf8).write(to: url)
        _ = try expectBadInput(url.path)
    }

    func testErrorDescription_isOneLineStartingWithThePath() throws {
        let path = try TestPaths.scratch().appendingPathComponent("missing.xml").path
        XCTAssertThrowsError(try HwlocTopology.load(xmlPath: path)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix(path + ": "), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}
