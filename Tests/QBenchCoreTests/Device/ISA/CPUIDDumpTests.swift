// The hwloc-gather-cpuid dump parser: accepted shapes and one-line errors naming the file (and line).
import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchDevice

final class CPUIDDumpTests: XCTestCase {
    private let leaf0 = "1 0 0 0 0 => d 756e6547 6c65746e 49656e69"

    private func write(_ text: String, name: String = "pu0", function: String = #function) throws -> URL {
        let dir = try TestPaths.scratch(function)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func assertBadInput(
        _ url: URL, contains expected: String, pathSuffix: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try CPUIDDump.load(url), file: file, line: line) { error in
            guard case let QBError.badInput(path, message)? = error as? QBError else {
                return XCTFail("expected QBError.badInput, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(
                message.contains(expected), "message `\(message)` lacks `\(expected)`", file: file, line: line)
            XCTAssertTrue(path.hasSuffix(pathSuffix ?? url.lastPathComponent), "path \(path)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "must be one line", file: file, line: line)
        }
    }

    func testLoad_missingPathIsBadInput() throws {
        let dir = try TestPaths.scratch()
        assertBadInput(dir.appendingPathComponent("nope"), contains: "no such file")
    }

    func testLoad_emptyFileIsBadInput() throws {
        assertBadInput(try write(""), contains: "empty CPUID dump")
    }

    func testLoad_commentsOnlyIsEmpty() throws {
        assertBadInput(try write("# mask e[abcd]x => e[abcd]x\n\n   \n"), contains: "empty CPUID dump")
    }

    func testLoad_malformedLineNamesItsLineNumber() throws {
        let text = "# header\n\(leaf0)\n1 1 0 0 0 => 806f8 800800\n"
        assertBadInput(try write(text), contains: "line 3:")
    }

    func testLoad_nonHexTokenIsMalformed() throws {
        assertBadInput(try write("\(leaf0)\n1 1 0 0 0 => 806f8 zz 0 0\n"), contains: "line 2:")
    }

    func testLoad_missingArrowIsMalformed() throws {
        assertBadInput(try write("1 0 0 0 0 -> d 756e6547 6c65746e 49656e69\n"), contains: "line 1:")
    }

    func testLoad_valueWiderThan32BitsIsMalformed() throws {
        assertBadInput(try write("1 0 0 0 0 => 1ffffffff 756e6547 6c65746e 49656e69\n"), contains: "line 1:")
    }

    func testLoad_maskBeyondFourRegistersIsMalformed() throws {
        assertBadInput(try write("11 0 0 0 0 => d 756e6547 6c65746e 49656e69\n"), contains: "line 1:")
    }

    func testLoad_missingLeafZeroIsBadInput() throws {
        assertBadInput(try write("1 1 0 0 0 => 806f8 800800 7ffefbff bfebfbff\n"), contains: "no CPUID leaf 0")
    }

    func testLoad_folderWithoutPu0IsBadInput() throws {
        let dir = try TestPaths.scratch()
        try leaf0.write(to: dir.appendingPathComponent("pu1"), atomically: true, encoding: .utf8)
        assertBadInput(dir, contains: "no pu0", pathSuffix: dir.lastPathComponent)
    }

    func testLoad_folderTakesPu0() throws {
        let url = try write("\(leaf0)\n")
        let dump = try CPUIDDump.load(url.deletingLastPathComponent())
        XCTAssertTrue(dump.path.hasSuffix("/pu0"))
        XCTAssertEqual(dump.entries.count, 1)
    }

    func testLoad_acceptsAnyPuFileAndTrailingComments() throws {
        let url = try write("\(leaf0)   # vendor\r\n5 7 0 1 0 => 1c30 0 0 40000\n", name: "pu19")
        let dump = try CPUIDDump.load(url)
        let hw = dump.reader(xcr0Override: nil)
        XCTAssertEqual(hw.cpuid(leaf: 0, subleaf: 0)?.ebx, 0x756E6547)
        XCTAssertEqual(hw.cpuid(leaf: 7, subleaf: 1)?.eax, 0x1C30)
        XCTAssertNil(hw.cpuid(leaf: 7, subleaf: 0), "mask 5 selects on ECX: sub-leaf 0 was not captured")
    }

    func testReader_maskOneIgnoresSubleaf() throws {
        let dump = try CPUIDDump.parse("\(leaf0)\n", path: "t")
        XCTAssertEqual(dump.reader(xcr0Override: nil).cpuid(leaf: 0, subleaf: 9)?.eax, 0xD)
    }

    func testReader_grantsAMXOnlyWhenXCR0EnablesTileState() throws {
        let dump = try CPUIDDump.parse("\(leaf0)\n", path: "t")
        XCTAssertEqual(dump.reader(xcr0Override: 0x602E7).amxPermission(), .granted)
        XCTAssertEqual(dump.reader(xcr0Override: 0x2E7).amxPermission(), .unavailable)
    }
}
