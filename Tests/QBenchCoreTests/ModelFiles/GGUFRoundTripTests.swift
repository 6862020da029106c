import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchModelFiles

final class GGUFRoundTripTests: XCTestCase {
    static func everyValueType() -> [(String, GGUFValue)] {
        [
            ("general.architecture", .string("llama")),
            ("llama.embedding_length", .uint32(64)),
            ("llama.block_count", .uint64(3)),
            ("llama.feed_forward_length", .int32(172)),
            ("llama.attention.head_count", .uint16(8)),
            ("llama.attention.head_count_kv", .uint8(2)),
            ("llama.context_length", .int64(4096)),
            ("t.i8", .int8(-128)),
            ("t.i16", .int16(-32768)),
            ("t.u64.max", .uint64(.max)),
            ("t.f32", .float32(-1.5e-3)),
            ("t.f32.nan", .float32(Float(bitPattern: 0x7FC0_1234))),
            ("t.f64", .float64(.pi)),
            ("t.bool.false", .bool(false)),
            ("t.bool.true", .bool(true)),
            ("t.string.utf8", .string("héllo ✓ 日本")),
            ("t.string.empty", .string("")),
            (
                "tokenizer.ggml.tokens",
                .array(GGUFArray(elementType: .string, values: ["<s>", "</s>", "a", "▁b"].map { .string($0) }))
            ),
            (
                "tokenizer.ggml.scores",
                .array(GGUFArray(elementType: .float32, values: [.float32(0), .float32(-1.25)]))
            ),
            ("t.arr.u8", .array(GGUFArray(elementType: .uint8, values: [.uint8(0), .uint8(255)]))),
            ("t.arr.i16", .array(GGUFArray(elementType: .int16, values: [.int16(-1), .int16(2)]))),
            ("t.arr.u32", .array(GGUFArray(elementType: .uint32, values: [.uint32(7)]))),
            ("t.arr.i64", .array(GGUFArray(elementType: .int64, values: [.int64(-9), .int64(1 << 50)]))),
            ("t.arr.f64", .array(GGUFArray(elementType: .float64, values: [.float64(2.5)]))),
            ("t.arr.bool", .array(GGUFArray(elementType: .bool, values: [.bool(true), .bool(false), .bool(true)]))),
            ("t.arr.empty", .array(GGUFArray(elementType: .int32, values: []))),
            (
                "t.arr.nested",
                .array(
                    GGUFArray(
                        elementType: .array,
                        values: [
                            .array(GGUFArray(elementType: .int32, values: [.int32(1), .int32(2)])),
                            .array(GGUFArray(elementType: .string, values: [.string("deep")])),
                            .array(
                                GGUFArray(
                                    elementType: .array,
                                    values: [
                                        .array(GGUFArray(elementType: .float32, values: [.float32(3)]))
                                    ])),
                        ]))
            ),
        ]
    }

    static func tensors() -> [(String, [Int], GGMLType, Data)] {
        func bytes(_ n: Int, _ salt: UInt8) -> Data {
            Data((0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ salt })
        }
        return [
            ("token_embd.weight", [64, 10], .f32, bytes(64 * 10 * 4, 1)),
            ("blk.0.attn_q.weight", [64, 64], .q8_0, bytes(2 * 34 * 64, 2)),
            ("blk.0.ffn_up.weight", [256, 3], .q4_k, bytes(144 * 3, 3)),
            ("blk.0.ffn_down.weight", [256, 2], .q6_k, bytes(210 * 2, 4)),
            ("blk.0.attn_norm.weight", [64], .bf16, bytes(128, 5)),
            ("odd.size", [3], .f16, bytes(6, 6)),
            ("ids", [5], .i32, bytes(20, 7)),
            ("q4_0.t", [32, 1, 1, 2], .q4_0, bytes(36, 8)),
            ("scalar", [], .f64, bytes(8, 9)),
            ("empty", [0, 4], .f32, Data()),
        ]
    }

    static func makeFile(alignment: Int = 32) throws -> (GGUFWriter, URL) {
        var w = try GGUFWriter(alignment: alignment)
        for (k, v) in Self.everyValueType() { try w.add(k, v) }
        for (n, s, t, b) in Self.tensors() { try w.addTensor(name: n, shape: s, type: t, bytes: b) }
        let url = try TestPaths.scratch("roundtrip-\(alignment)").appendingPathComponent("model.gguf")
        try w.write(to: url)
        return (w, url)
    }

    func testGGUFWriter_roundTripsEveryValueTypeAndTensorBytes() throws {
        for alignment in [32, 64, 1] {
            let (w, url) = try Self.makeFile(alignment: alignment)
            let g = try GGUFFile(path: url.path)
            XCTAssertEqual(g.version, 3)
            XCTAssertEqual(g.alignment, alignment)
            XCTAssertEqual(g.dataOffset % alignment, 0)
            XCTAssertEqual(g.metadata.entries, w.entries, "alignment \(alignment)")
            XCTAssertEqual(g.tensors.map(\.name), Self.tensors().map(\.0))
            for (n, s, t, b) in Self.tensors() {
                let tensor = try XCTUnwrap(g.tensor(named: n))
                XCTAssertEqual(tensor.shape, s, n)
                XCTAssertEqual(tensor.type, t, n)
                XCTAssertEqual(tensor.byteCount, b.count, n)
                XCTAssertEqual(tensor.relativeOffset % alignment, 0, n)
                XCTAssertEqual(Data(tensor.bytes), b, n)
                tensor.withUnsafeBytes { XCTAssertEqual(Data($0), b, n) }
            }
        }
    }

    func testGGUFTensor_exposesGGMLOrderShapeAsRowsAndCols() throws {
        let (_, url) = try Self.makeFile()
        let g = try GGUFFile(path: url.path)
        let emb = try XCTUnwrap(g.tensor(named: "token_embd.weight"))
        XCTAssertEqual(emb.cols, 64, "ne0 is the row length")
        XCTAssertEqual(emb.rows, 10)
        XCTAssertEqual(emb.elementCount, 640)
        let q = try XCTUnwrap(g.tensor(named: "q4_0.t"))
        XCTAssertEqual(q.rows, 2)
        let scalar = try XCTUnwrap(g.tensor(named: "scalar"))
        XCTAssertEqual(scalar.elementCount, 1)
        XCTAssertEqual(scalar.cols, 1)
        XCTAssertEqual(scalar.rows, 1)
    }

    func testGGUFTensor_bytesAreAViewIntoTheMapNotACopy() throws {
        let (_, url) = try Self.makeFile()
        let g = try GGUFFile(path: url.path)
        let t = try XCTUnwrap(g.tensor(named: "blk.0.attn_q.weight"))
        let base = try XCTUnwrap(g.file.bytes.baseAddress)
        XCTAssertEqual(t.bytes.baseAddress, base + t.byteRange.lowerBound)
    }

    func testGGUFMetadata_typedLookupsConvertAnyIntegerWidth() throws {
        let (_, url) = try Self.makeFile()
        let g = try GGUFFile(path: url.path)
        let m = g.metadata
        XCTAssertEqual(m.string("general.architecture"), "llama")
        XCTAssertEqual(m.int("llama.block_count"), 3)
        XCTAssertEqual(m.int("llama.attention.head_count_kv"), 2)
        XCTAssertNil(m.int("t.u64.max"), "UInt64.max does not fit an Int")
        XCTAssertNil(m.int("general.architecture"))
        XCTAssertEqual(m.double("t.f64"), .pi)
        XCTAssertEqual(m.bool("t.bool.true"), true)
        XCTAssertEqual(m.strings("tokenizer.ggml.tokens"), ["<s>", "</s>", "a", "▁b"])
        XCTAssertEqual(m.integers("t.arr.i64"), [-9, 1 << 50])
        XCTAssertEqual(m.array("tokenizer.ggml.scores")?.doubles, [0, -1.25])
        XCTAssertEqual(m.array("t.arr.empty")?.count, 0)
        let nested = try XCTUnwrap(m.array("t.arr.nested")?.values)
        XCTAssertEqual(nested.count, 3)
        XCTAssertEqual(nested[1].arrayValue?.strings, ["deep"])
        XCTAssertEqual(nested[2].arrayValue?.values.first?.arrayValue?.doubles, [3])
    }

    func testGGUFModelShape_readsArchitectureDimensions() throws {
        let (_, url) = try Self.makeFile()
        let shape = try GGUFFile(path: url.path).modelShape()
        XCTAssertEqual(
            shape,
            GGUFModelShape(
                architecture: "llama", embeddingLength: 64, blockCount: 3,
                feedForwardLength: 172, headCount: 8, headCountKv: 2,
                contextLength: 4096, vocabSize: 4))
    }

    func testGGUFModelShape_missingDimensionIsAClearError() throws {
        var w = try GGUFWriter()
        try w.add("general.architecture", .string("llama"))
        try w.add("llama.embedding_length", .string("wide"))
        let g = try GGUFFile(file: MappedFile(copying: try w.encoded(), name: "m.gguf"))
        XCTAssertThrowsError(try g.modelShape()) { e in
            XCTAssertEqual(
                "\(e)",
                "m.gguf: GGUF metadata 'llama.embedding_length' should be a positive integer, "
                    + "found string \"wide\"")
        }
    }

    func testGGUFWriter_refusesWhatTheReaderWouldRefuse() throws {
        var w = try GGUFWriter()
        try w.add("a", .uint8(1))
        XCTAssertThrowsError(try w.add("a", .uint8(2)))
        XCTAssertThrowsError(
            try w.add("mixed", .array(GGUFArray(elementType: .int32, values: [.int32(1), .uint8(2)]))))
        XCTAssertThrowsError(try w.add("general.alignment", .uint32(64)), "disagrees with the writer's 32")
        try w.addTensor(name: "t", shape: [32], type: .q8_0, bytes: Data(count: 34))
        XCTAssertThrowsError(try w.addTensor(name: "t", shape: [32], type: .q8_0, bytes: Data(count: 34)))
        XCTAssertThrowsError(try w.addTensor(name: "u", shape: [33], type: .q8_0, bytes: Data(count: 34)))
        XCTAssertThrowsError(try w.addTensor(name: "v", shape: [32], type: .q8_0, bytes: Data(count: 33)))
        XCTAssertThrowsError(try w.addTensor(name: "w", shape: [1, 1, 1, 1, 1], type: .f32, bytes: Data(count: 4)))
        XCTAssertThrowsError(
            try w.addTensor(
                name: String(repeating: "n", count: 64), shape: [1], type: .f32,
                bytes: Data(count: 4)))
        XCTAssertThrowsError(try GGUFWriter(alignment: 48))
        XCTAssertEqual(w.entries.map(\.key), ["a"], "refused keys are not kept")
        XCTAssertEqual(try GGUFFile(file: MappedFile(copying: try w.encoded(), name: "w")).tensors.count, 1)
    }

    func testGGUFWriter_failedWriteLeavesTheExistingFileWhole() throws {
        let dir = try TestPaths.scratch()
        let url = dir.appendingPathComponent("keep.gguf")
        try Data("user's file".utf8).write(to: url)
        // The target folder path is a file, so the write must fail before touching anything.
        let blocked = url.appendingPathComponent("inside.gguf")
        let w = try GGUFWriter()
        XCTAssertThrowsError(try w.write(to: blocked)) { e in
            guard case QBError.io = e else { return XCTFail("\(e)") }
        }
        XCTAssertEqual(try Data(contentsOf: url), Data("user's file".utf8))
        // A successful write replaces the file whole and leaves no temp file behind.
        try w.write(to: url)
        XCTAssertEqual(try GGUFFile(path: url.path).tensors.count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["keep.gguf"])
    }

    func testGGUFReader_acceptsVersion2() throws {
        var bytes = Array(try Self.makeFile().0.encoded())
        bytes[4] = 2
        let g = try GGUFFile(file: MappedFile(copying: bytes, name: "v2.gguf"))
        XCTAssertEqual(g.version, 2)
        XCTAssertEqual(g.tensors.count, Self.tensors().count)
    }

    /// The other direction of the cross-check: gguf-py's reader agrees with what our writer wrote.
    func testGGUFWriter_outputReadsBackInGGUFPy() throws {
        try ModelFileTests.requirePython("gguf", "numpy")
        let (_, url) = try Self.makeFile(alignment: 64)
        let script = """
            import sys, gguf
            r = gguf.GGUFReader(sys.argv[1])
            print(r.alignment)
            print(r.fields['general.architecture'].contents())
            print(r.fields['tokenizer.ggml.tokens'].contents())
            print(r.fields['llama.block_count'].contents())
            for t in r.tensors:
                print(t.name, t.tensor_type.name, list(int(x) for x in t.shape), int(t.n_bytes), \
            bytes(t.data.tobytes()[:4]).hex())
            """
        let (status, out, err) = try ModelFileTests.python(script, [url.path])
        XCTAssertEqual(status, 0, err)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "64")
        XCTAssertEqual(lines.dropFirst().first, "llama")
        XCTAssertEqual(lines.dropFirst(2).first, "['<s>', '</s>', 'a', '▁b']")
        XCTAssertEqual(lines.dropFirst(3).first, "3")
        let g = try GGUFFile(path: url.path)
        let tensorLines = Array(lines.dropFirst(4))
        XCTAssertEqual(tensorLines.count, g.tensors.count)
        for (line, t) in zip(tensorLines, g.tensors) {
            let shape = t.shape
            let head = Data(t.bytes.prefix(4)).map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(line, "\(t.name) \(t.type.name) \(shape) \(t.byteCount) \(head)")
        }
    }
}
