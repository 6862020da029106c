// One test per kind of hostile GGUF input. Each must be refused with one `badInput` line naming the input:
// never a crash, a trap, a huge allocation or a read past the end.
import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchModelFiles

final class GGUFHostileInputTests: XCTestCase {
    typealias T = ModelFileTests

    /// A valid file with one F32 tensor [8] and one kv, built by hand so each test can bend one field.
    func oneTensorFile(
        name: String = "w", dims: [UInt64] = [8], type: UInt32 = 0, offset: UInt64 = 0,
        dataBytes: Int = 32
    ) -> [UInt8] {
        var r = RawBytes.ggufHeader(tensors: 1, kvs: 1)
        r.str("general.name"); r.u32(8); r.str("x")
        r.tensorInfo(name, dims: dims, type: type, offset: offset)
        r.pad(to: 32)
        r.zeros(dataBytes)
        return r.bytes
    }

    func testHandMadeBaseline_parses() throws {
        let g = try GGUFFile(file: MappedFile(copying: oneTensorFile(), name: "ok"))
        XCTAssertEqual(g.tensors.first?.shape, [8])
        XCTAssertEqual(g.metadata.string("general.name"), "x")
    }

    func testTruncatedAnywhere_isRefusedAtEveryCut() throws {
        let full = Array(try GGUFRoundTripTests.makeFile().0.encoded())
        let g = try GGUFFile(file: MappedFile(copying: full, name: "full"))
        let lastByte = g.tensors.map(\.byteRange.upperBound).max() ?? 0
        for cut in 0..<lastByte {
            let prefix = Array(full[..<cut])
            XCTAssertThrowsError(try GGUFFile(file: MappedFile(copying: prefix, name: T.name)), "cut at \(cut)") { e in
                guard case let QBError.badInput(_, message) = e else { return XCTFail("cut \(cut): \(e)") }
                XCTAssertTrue(
                    message.contains("truncated") || message.contains("past the end")
                        || message.contains("bytes left") || message.contains("remain"),
                    "cut \(cut): \(message)")
            }
        }
    }

    func testBadMagic() {
        var b = oneTensorFile()
        b[0] = UInt8(ascii: "Z")
        T.assertGGUFRejects(b, "bad magic 'ZGUF'", "expected 'GGUF'")
        T.assertGGUFRejects(Array("PK\u{3}\u{4}rest of a zip file".utf8), "bad magic 'PK??'")
    }

    func testVersion1_isRefusedWithAnExplanation() {
        var b = oneTensorFile()
        b[4] = 1
        T.assertGGUFRejects(b, "GGUF version 1 is not supported", "re-convert")
    }

    func testUnsupportedVersion() {
        var b = oneTensorFile()
        b[4] = 4
        T.assertGGUFRejects(b, "unsupported GGUF version 4", "supports 2 and 3")
        var be = oneTensorFile()
        be.replaceSubrange(4..<8, with: [0, 0, 0, 3])
        T.assertGGUFRejects(be, "big-endian")
    }

    func testAbsurdTensorCount_isBoundedByRemainingBytes() {
        var r = RawBytes.ggufHeader(tensors: 1 << 40, kvs: 0)
        r.zeros(100)
        T.assertGGUFRejects(r.bytes, "claims 1099511627776 tensors", "room for at most 4")
        T.assertGGUFRejects(
            RawBytes.ggufHeader(tensors: .max, kvs: 0).bytes, "tensor count", "far larger than the file")
    }

    func testAbsurdKVCount_isBoundedByRemainingBytes() {
        var r = RawBytes.ggufHeader(tensors: 0, kvs: 1 << 50)
        r.zeros(26)
        T.assertGGUFRejects(r.bytes, "claims 1125899906842624 metadata entries", "room for at most 2")
    }

    func testStringLength2Pow63() {
        var r = RawBytes.ggufHeader(tensors: 0, kvs: 1)
        r.u64(1 << 63)
        r.bytes += Array("general.name".utf8)
        T.assertGGUFRejects(r.bytes, "metadata key 0 length", "9223372036854775808", "far larger than the file")
        var v = RawBytes.ggufHeader(tensors: 0, kvs: 1)
        v.str("general.name"); v.u32(8); v.u64(1 << 62)
        T.assertGGUFRejects(v.bytes, "metadata 'general.name'", "claims 4611686018427387904 bytes")
    }

    func testOverlongNames() {
        var r = RawBytes.ggufHeader(tensors: 0, kvs: 1)
        r.str(String(repeating: "k", count: 70_000)); r.u32(0); r.u8(1)
        T.assertGGUFRejects(r.bytes, "metadata key 0 at offset 24 is 70000 bytes long", "refused")
    }

    func testOffsetPastTheEnd() {
        T.assertGGUFRejects(oneTensorFile(offset: 1 << 20), "tensor 'w'", "past the end of the file")
        T.assertGGUFRejects(oneTensorFile(offset: UInt64.max - 31), "tensor 'w' offset", "past the end of the file")
        T.assertGGUFRejects(oneTensorFile(offset: UInt64(Int64.max) - 31), "tensor 'w' start", "overflows")
    }

    func testSizePastTheEnd() {
        T.assertGGUFRejects(
            oneTensorFile(dims: [8, 2]), "tensor 'w' (F32 [8, 2], 64 bytes", "past the end of the file")
    }

    func testAbsurdDimension() {
        T.assertGGUFRejects(oneTensorFile(dims: [UInt64.max]), "tensor 'w' dimension 0 is 18446744073709551615")
        T.assertGGUFRejects(oneTensorFile(dims: [1 << 62]), "tensor 'w' row size", "overflows")
        T.assertGGUFRejects(oneTensorFile(dims: [1 << 40]), "past the end of the file")
    }

    func testMoreThanFourDimensions() {
        T.assertGGUFRejects(oneTensorFile(dims: [1, 1, 1, 1, 8]), "tensor 'w' has 5 dimensions", "at most 4")
        var r = RawBytes.ggufHeader(tensors: 1, kvs: 0)
        r.str("w"); r.u32(.max)
        r.zeros(64)
        T.assertGGUFRejects(r.bytes, "has 4294967295 dimensions")
    }

    func testDimensionProductOverflow() {
        T.assertGGUFRejects(oneTensorFile(dims: [1 << 32, 1 << 32, 1 << 32]), "element count", "overflows")
        // A zero dimension does not hide an overflowing shape.
        T.assertGGUFRejects(oneTensorFile(dims: [0, 1 << 32, 1 << 32, 1 << 32]), "element count", "overflows")
    }

    func testUnknownTypeID() {
        T.assertGGUFRejects(oneTensorFile(type: 4), "tensor 'w' has unknown ggml type id 4")
        T.assertGGUFRejects(oneTensorFile(type: 1000), "unknown ggml type id 1000")
    }

    func testRowNotAWholeNumberOfBlocks() {
        T.assertGGUFRejects(
            oneTensorFile(dims: [8], type: GGMLType.q4_0.rawValue),
            "rows of 8 elements, not a multiple of its block size 32")
    }

    func testMisalignedTensorOffset() {
        T.assertGGUFRejects(
            oneTensorFile(offset: 4, dataBytes: 64), "tensor 'w' offset 4 is not a multiple of the alignment 32")
    }

    func testOverlappingTensors() {
        var r = RawBytes.ggufHeader(tensors: 2, kvs: 0)
        r.tensorInfo("a", dims: [16], type: 0, offset: 0)
        r.tensorInfo("b", dims: [8], type: 0, offset: 32)
        r.pad(to: 32)
        r.zeros(64)
        T.assertGGUFRejects(r.bytes, "tensors 'a'", "and 'b'", "overlap")
    }

    func testDuplicateTensorNames() {
        var r = RawBytes.ggufHeader(tensors: 2, kvs: 0)
        r.tensorInfo("a", dims: [8], type: 0, offset: 0)
        r.tensorInfo("a", dims: [8], type: 0, offset: 32)
        r.pad(to: 32)
        r.zeros(64)
        T.assertGGUFRejects(r.bytes, "duplicate tensor name 'a'")
    }

    func testDuplicateMetadataKeys() {
        var r = RawBytes.ggufHeader(tensors: 0, kvs: 2)
        r.str("k"); r.u32(0); r.u8(1)
        r.str("k"); r.u32(0); r.u8(2)
        T.assertGGUFRejects(r.bytes, "duplicate metadata key 'k'")
    }

    func testNestedArrayDepthBomb() {
        // 100,000 levels of array-of-array, each claiming one element: refused at depth 17, no recursion blow-up.
        var r = RawBytes.ggufHeader(tensors: 0, kvs: 1)
        r.str("bomb"); r.u32(9)
        for _ in 0..<100_000 { r.u32(9); r.u64(1) }
        r.u32(0); r.u64(0)
        T.assertGGUFRejects(r.bytes, "metadata 'bomb'", "nested more than 16 deep")
    }

    func testAbsurdArrayCount_isBoundedByRemainingBytes() {
        for (elementType, claim) in [(UInt32(8), "string"), (6, "float32"), (9, "array")] {
            var r = RawBytes.ggufHeader(tensors: 0, kvs: 1)
            r.str("a"); r.u32(9); r.u32(elementType); r.u64(1 << 60)
            r.zeros(64)
            T.assertGGUFRejects(r.bytes, "metadata 'a'", "claims 1152921504606846976 elements of type \(claim)")
        }
    }

    func testUnknownMetadataValueType() {
        var r = RawBytes.ggufHeader(tensors: 0, kvs: 1)
        r.str("k"); r.u32(13); r.zeros(8)
        T.assertGGUFRejects(r.bytes, "type of metadata 'k'", "is 13, not a GGUF value type")
    }

    func testBoolThatIsNeitherZeroNorOne() {
        var r = RawBytes.ggufHeader(tensors: 0, kvs: 1)
        r.str("k"); r.u32(7); r.u8(2)
        T.assertGGUFRejects(r.bytes, "metadata 'k'", "bool of value 2")
    }

    func testAlignmentMustBeAPowerOfTwo() {
        for (type, payload, expect): (UInt32, [UInt8], String) in [
            (4, [48, 0, 0, 0], "general.alignment is 48; it must be a power of two"),
            (4, [0, 0, 0, 0], "general.alignment is 0"),
            (8, [1, 0, 0, 0, 0, 0, 0, 0, 0x78], "must be an unsigned integer, found string"),
            (5, [0xFF, 0xFF, 0xFF, 0xFF], "general.alignment is -1"),
        ] {
            var r = RawBytes.ggufHeader(tensors: 0, kvs: 1)
            r.str("general.alignment"); r.u32(type); r.bytes += payload
            T.assertGGUFRejects(r.bytes, expect)
        }
    }

    func testAlignmentIsHonoured() throws {
        var r = RawBytes.ggufHeader(tensors: 1, kvs: 1)
        r.str("general.alignment"); r.u32(4); r.u32(256)
        r.tensorInfo("w", dims: [4], type: 0, offset: 0)
        r.pad(to: 256)
        let dataStart = r.bytes.count
        r.bytes += [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]
        let g = try GGUFFile(file: MappedFile(copying: r.bytes, name: "a"))
        XCTAssertEqual(g.alignment, 256)
        XCTAssertEqual(g.dataOffset, dataStart)
        XCTAssertEqual(g.tensors.first?.byteRange, dataStart..<dataStart + 16)
    }

    func testErrorsNameTheFile() throws {
        let url = try TestPaths.scratch().appendingPathComponent("broken.gguf")
        try Data("GGUF\u{3}".utf8).write(to: url)
        XCTAssertThrowsError(try GGUFFile(path: url.path)) { e in
            XCTAssertEqual(
                "\(e)",
                "\(url.path): not a valid GGUF file: truncated: version needs 4 bytes at offset 4 "
                    + "but the file ends at 5")
        }
    }
}
