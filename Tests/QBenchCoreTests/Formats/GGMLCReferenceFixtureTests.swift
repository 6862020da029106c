// Byte-exact agreement of our ggml block quantizers with ggml's own C reference (quantize_row_<type>_ref in
// ggml-quants.c), through a fixture committed in Tests/Fixtures/ggml-kquants: input rows and the bytes ggml wrote
// for them (make_fixture.c and README.md there say how it was built). Always on: needs neither python nor ggml.
import Foundation
import QBenchTestSupport
import QBenchSupport
import XCTest
@testable import QBenchFormats

/// The fixture: rows.bin and one <ggml type name>.bin per format (layout in Tests/Fixtures/ggml-kquants/README.md).
struct GGMLCFixture {
    struct Row {
        let name: String
        let x: [Float]
    }

    /// ggml's bytes for every row in one format, with ggml's block geometry.
    struct Quantized {
        let blockElements: Int, blockBytes: Int
        let rows: [[UInt8]]
    }

    static let directory = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/ggml-kquants")

    /// ggml type name -> our format: every file of the fixture is compared.
    /// not compared (its bytes are there for when one is added).
    static let checked: [(ggml: String, format: WeightFormat)] = [
        ("q4_0", .q4_0), ("q4_1", .q4_1), ("q5_0", .q5_0), ("q8_0", .q8_0), ("q4_K", .q4_k), ("q5_K", .q5_k),
        ("q6_K", .q6_k),
    ]
    static let unchecked: [String] = []

    let rows: [Row]

    init() throws {
        var r = try LittleEndianReader(Self.directory.appendingPathComponent("rows.bin"), magic: "QBKQROWS")
        let n = try r.u32()
        rows = try (0..<n).map { _ in
            let k = try r.u32()
            let name = try r.bytes(24).prefix { $0 != 0 }
            let x = try (0..<k).map { _ in try Float(bitPattern: UInt32(r.u32())) }
            return Row(name: String(decoding: name, as: UTF8.self), x: x)
        }
        try r.expectEnd()
    }

    func quantized(_ ggmlName: String) throws -> Quantized {
        var r = try LittleEndianReader(Self.directory.appendingPathComponent("\(ggmlName).bin"), magic: "QBKQBYTE")
        let n = try r.u32(), blockElements = try r.u32(), blockBytes = try r.u32()
        guard n == rows.count else {
            throw QBError.other("\(ggmlName).bin has \(n) rows, rows.bin has \(rows.count)")
        }
        let bytes = try (0..<n).map { _ in try r.bytes(try r.u32()) }
        try r.expectEnd()
        return Quantized(blockElements: blockElements, blockBytes: blockBytes, rows: bytes)
    }
}

/// Where two sets of quantized rows first differ.
struct QuantizedMismatch: Equatable, CustomStringConvertible {
    let row: Int, rowName: String
    /// Offset of the byte within the row, and the same as (block, offset within the block); nil when the row
    /// lengths differ.
    let byteOffset: Int?, block: Int?, byteInBlock: Int?
    let ours: [UInt8], expected: [UInt8]
    let rowsDiffering: Int

    var description: String {
        guard let off = byteOffset, let block, let byteInBlock else {
            return "row \(row) (\(rowName)): \(ours.count) bytes, ggml wrote \(expected.count)"
        }
        let lo = max(0, off - 4), hi = min(ours.count, off + 8)
        return "\(rowsDiffering) row(s) differ; first: row \(row) (\(rowName)) block \(block) byte \(byteInBlock) "
            + "(row byte \(off)): ours 0x\(String(ours[off], radix: 16)) ggml 0x\(String(expected[off], radix: 16)); "
            + "ours[\(lo)..<\(hi)] \(Array(ours[lo..<hi])) ggml \(Array(expected[lo..<hi]))"
    }

    /// The first differing byte of the first differing row (rows in order), or nil when every row is identical.
    static func first(
        ours: [[UInt8]], expected: [[UInt8]], blockBytes: Int, rowNames: [String]
    ) -> QuantizedMismatch? {
        precondition(ours.count == expected.count && ours.count == rowNames.count && blockBytes > 0)
        let differing = zip(ours, expected).filter { $0 != $1 }.count
        guard let r = ours.indices.first(where: { ours[$0] != expected[$0] }) else { return nil }
        let a = ours[r], b = expected[r]
        guard a.count == b.count else {
            return QuantizedMismatch(
                row: r, rowName: rowNames[r], byteOffset: nil, block: nil, byteInBlock: nil, ours: a, expected: b,
                rowsDiffering: differing)
        }
        let off = a.indices.first { a[$0] != b[$0] }!
        return QuantizedMismatch(
            row: r, rowName: rowNames[r], byteOffset: off, block: off / blockBytes, byteInBlock: off % blockBytes,
            ours: a, expected: b, rowsDiffering: differing)
    }
}

final class GGMLCReferenceFixtureTests: XCTestCase {
    private static let fixture = Result { try GGMLCFixture() }

    /// Quantizes every fixture row with our quantizer, one row at a time through the public API.
    private func ours(_ format: WeightFormat, _ fx: GGMLCFixture) throws -> [[UInt8]] {
        try fx.rows.map { try format.quantize($0.x, rows: 1, k: $0.x.count).data }
    }

    private func assertMatchesGGMLC(
        _ format: WeightFormat, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let fx = try Self.fixture.get()
        let name = try XCTUnwrap(GGMLCFixture.checked.first { $0.format == format }?.ggml)
        let ref = try fx.quantized(name)
        XCTAssertEqual(ref.blockElements, format.blockSize, "\(name) block elements", file: file, line: line)
        XCTAssertEqual(ref.blockBytes, format.blockBytes, "\(name) block bytes", file: file, line: line)
        let mismatch = QuantizedMismatch.first(
            ours: try ours(format, fx), expected: ref.rows, blockBytes: ref.blockBytes, rowNames: fx.rows.map(\.name))
        if let mismatch { XCTFail("\(name) vs ggml's quantize_row_\(name)_ref: \(mismatch)", file: file, line: line) }
    }

    func testQ4_K_isByteIdenticalToGGMLCReference() throws { try assertMatchesGGMLC(.q4_k) }
    func testQ5_K_isByteIdenticalToGGMLCReference() throws { try assertMatchesGGMLC(.q5_k) }
    func testQ6_K_isByteIdenticalToGGMLCReference() throws { try assertMatchesGGMLC(.q6_k) }
    func testQ5_0_isByteIdenticalToGGMLCReference() throws { try assertMatchesGGMLC(.q5_0) }
    func testQ8_0_isByteIdenticalToGGMLCReference() throws { try assertMatchesGGMLC(.q8_0) }
    func testQ4_0_isByteIdenticalToGGMLCReference() throws { try assertMatchesGGMLC(.q4_0) }
    func testQ4_1_isByteIdenticalToGGMLCReference() throws { try assertMatchesGGMLC(.q4_1) }

    /// The fixture is what README.md says: at least 24 rows of 256..1024 elements (multiples of 256), the hard
    /// rows among them, and one bytes file per format, each either compared or listed as deliberately not.
    func testFixtureHasTheDocumentedRowsAndFormats() throws {
        let fx = try Self.fixture.get()
        XCTAssertGreaterThanOrEqual(fx.rows.count, 24)
        for row in fx.rows {
            XCTAssertTrue((256...1024).contains(row.x.count) && row.x.count % 256 == 0, "\(row.name): \(row.x.count)")
        }
        let names = Set(fx.rows.map(\.name))
        let hard = [
            "zeros", "spike_pos", "equal_pos", "tiny_1e-30", "large_pm1e4", "negative_only", "positive_only",
            // the rows that catch a q8_0 rounding change, a shortened q4_K scale search and a lost q6_K empty group
            "ties", "outlier_20_per_group", "tiny_next_to_normal",
        ]
        for name in hard { XCTAssertTrue(names.contains(name), "fixture lacks the \(name) row") }
        let files = try FileManager.default.contentsOfDirectory(atPath: GGMLCFixture.directory.path)
            .filter { $0.hasSuffix(".bin") && $0 != "rows.bin" }.map { String($0.dropLast(4)) }
        XCTAssertEqual(Set(files), Set(GGMLCFixture.checked.map(\.ggml) + GGMLCFixture.unchecked))
        for name in GGMLCFixture.unchecked { XCTAssertEqual(try fx.quantized(name).rows.count, fx.rows.count) }
    }

    /// A planted one-byte difference in ggml's bytes (a K-quant scale byte, a quant byte, the last byte of the
    /// last row) is caught and reported at exactly that row, block and byte; a short row is reported as such.
    /// "Ours" here is ggml's own unmodified bytes, so this checks the comparison alone, whatever the quantizers do
    /// (the tests above check the quantizers through the same comparison).
    func testAPlantedKQuantByteDifferenceIsCaught() throws {
        let fx = try Self.fixture.get()
        let rowNames = fx.rows.map(\.name)
        for name in ["q4_K", "q6_K"] {
            let ref = try fx.quantized(name)
            let ours = ref.rows
            let unplanted = QuantizedMismatch.first(
                ours: ours, expected: ref.rows, blockBytes: ref.blockBytes, rowNames: rowNames)
            XCTAssertNil(unplanted)
            let lastRow = ref.rows.count - 1
            let plants = [
                (row: 2, offset: ref.blockBytes + 5), (row: 7, offset: 1),
                (row: lastRow, offset: ref.rows[lastRow].count - 1),
            ]
            for plant in plants {
                var expected = ref.rows
                let before = expected[plant.row][plant.offset]
                expected[plant.row][plant.offset] ^= 0x10
                let mismatch = QuantizedMismatch.first(
                    ours: ours, expected: expected, blockBytes: ref.blockBytes, rowNames: rowNames)
                XCTAssertEqual(
                    mismatch,
                    QuantizedMismatch(
                        row: plant.row, rowName: rowNames[plant.row], byteOffset: plant.offset,
                        block: plant.offset / ref.blockBytes, byteInBlock: plant.offset % ref.blockBytes,
                        ours: ours[plant.row], expected: expected[plant.row], rowsDiffering: 1),
                    "\(name) planted at row \(plant.row) byte \(plant.offset)")
                XCTAssertEqual(mismatch?.ours[plant.offset], before)
                XCTAssertTrue(
                    mismatch?.description.contains(
                        "row \(plant.row) (\(rowNames[plant.row])) block \(plant.offset / ref.blockBytes) "
                            + "byte \(plant.offset % ref.blockBytes) (row byte \(plant.offset))") ?? false,
                    mismatch?.description ?? "no mismatch reported")
            }
            var short = ref.rows
            short[4].removeLast()
            let mismatch = QuantizedMismatch.first(
                ours: ours, expected: short, blockBytes: ref.blockBytes, rowNames: rowNames)
            XCTAssertEqual(mismatch?.row, 4)
            XCTAssertNil(mismatch?.byteOffset)
        }
    }
}

/// Reads the fixture's little-endian fields, failing with the file name on a bad magic or a short file.
private struct LittleEndianReader {
    let url: URL, data: [UInt8]
    var at = 0

    init(_ url: URL, magic: String) throws {
        self.url = url
        data = [UInt8](try Data(contentsOf: url))
        guard try bytes(8) == Array(magic.utf8) else { throw QBError.other("\(url.path): not a \(magic) file") }
    }

    mutating func bytes(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= data.count - at else { throw QBError.other("\(url.path): truncated at byte \(at)") }
        defer { at += n }
        return Array(data[at..<(at + n)])
    }

    mutating func u32() throws -> Int {
        let b = try bytes(4)
        return Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
    }

    func expectEnd() throws {
        guard at == data.count else { throw QBError.other("\(url.path): \(data.count - at) bytes after the end") }
    }
}
