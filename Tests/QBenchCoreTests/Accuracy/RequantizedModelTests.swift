import XCTest
@testable import QBenchSupport
@testable import QBenchFormats
@testable import QBenchModelFiles
@testable import QBenchAccuracy

/// `--write`: the re-quantized model as GGUF.
final class RequantizedModelTests: XCTestCase {
    func testWrite_safetensorsToQ8_0RoundTripsThroughTheGGUFReader() throws {
        let src = try AccuracyFixtures.scratchFile("m.safetensors")
        try AccuracyFixtures.writeSafetensors(to: src)
        let model = try AccuracyModel.open(path: src.path)
        let out = src.deletingLastPathComponent().appendingPathComponent("m-q8_0.gguf")
        let w = try RequantizedModel.write(model, format: .q8_0, to: out, threads: 2)
        XCTAssertEqual(w.quantizedTensors, 3)
        XCTAssertEqual(Set(w.copiedTensors.map(\.name)), ["norm", "row", "ids"])
        XCTAssertTrue(w.omittedTensors.isEmpty)

        let g = try GGUFFile(path: out.path)
        XCTAssertEqual(w.bytes, g.file.count)
        XCTAssertEqual(
            g.metadata.string("general.quantized_by"), "qbench \(QBenchVersion.string) accuracy --write-format q8_0")
        XCTAssertEqual(g.metadata.int("general.quantization_version"), 2)
        let q = try XCTUnwrap(g.tensor(named: "w.f32"))
        XCTAssertEqual(q.type, .q8_0)
        XCTAssertEqual(q.shape, [256, 64], "ggml order: row length first")
        let source = try model.tensors[0].values()
        XCTAssertEqual([UInt8](q.bytes), try WeightFormat.q8_0.quantize(source, rows: 64, k: 256).data)
        // F16 source: quantized from its converted values.
        let h = try XCTUnwrap(g.tensor(named: "w.f16"))
        XCTAssertEqual(h.type, .q8_0)
        XCTAssertEqual(h.shape, [96, 32])
        // Copied tensors keep type and bytes; safetensors shapes are reversed into ggml order.
        let norm = try XCTUnwrap(g.tensor(named: "norm"))
        XCTAssertEqual(norm.type, .f32)
        let normSource = try XCTUnwrap(model.tensors.first { $0.name == "norm" }).values()
        XCTAssertEqual([UInt8](norm.bytes), normSource.withUnsafeBytes { [UInt8]($0) })
        let ids = try XCTUnwrap(g.tensor(named: "ids"))
        XCTAssertEqual(ids.type, .i64)
        XCTAssertEqual(ids.shape, [8, 1])
        XCTAssertEqual(w.copiedTensors.first { $0.name == "ids" }?.reason, "not a 2-D weight matrix")
    }

    func testWrite_keepsTensorsTheFormatCannotTakeAndCarriesGGUFMetadataOver() throws {
        let src = try AccuracyFixtures.scratchFile("q.gguf")
        try AccuracyFixtures.writeQuantizedGGUF(to: src)
        let model = try AccuracyModel.open(path: src.path)
        let out = src.deletingLastPathComponent().appendingPathComponent("q-q4_k.gguf")
        let w = try RequantizedModel.write(model, format: .q4_k, to: out)
        // Only blk.0.attn_q.weight has K = 256; attn_v (K = 64) and output (K = 128) stay as they were.
        XCTAssertEqual(w.quantizedTensors, 1)
        XCTAssertEqual(
            w.copiedTensors.first { $0.name == "blk.0.attn_v.weight" },
            CopiedTensor(name: "blk.0.attn_v.weight", type: "Q8_0", reason: "q4_k needs K % 256 == 0 (K = 64)"))
        let g = try GGUFFile(path: out.path)
        XCTAssertEqual(g.architecture, "llama")
        XCTAssertNil(g.metadata["general.file_type"], "it would describe the old types")
        XCTAssertEqual(g.tensor(named: "blk.0.attn_q.weight")?.type, .q4_k)
        XCTAssertEqual(
            g.tensor(named: "blk.0.attn_v.weight").map { [UInt8]($0.bytes) },
            model.gguf?.tensor(named: "blk.0.attn_v.weight").map { [UInt8]($0.bytes) })
        XCTAssertEqual(g.tensors.map(\.name), model.tensors.map(\.name))
    }

    func testWrite_refusesToOverwriteUnlessAsked() throws {
        let src = try AccuracyFixtures.scratchFile("m.safetensors")
        try AccuracyFixtures.writeSafetensors(to: src)
        let model = try AccuracyModel.open(path: src.path)
        let out = src.deletingLastPathComponent().appendingPathComponent("exists.gguf")
        try Data("precious".utf8).write(to: out)
        XCTAssertThrowsError(try RequantizedModel.write(model, format: .q4_0, to: out)) { e in
            XCTAssertEqual(e as? QBError, .io(path: out.path, message: "already exists; pass --force to replace it"))
        }
        XCTAssertEqual(try Data(contentsOf: out), Data("precious".utf8))
        _ = try RequantizedModel.write(model, format: .q4_0, to: out, overwrite: true)
        XCTAssertEqual(try GGUFFile(path: out.path).tensor(named: "w.f32")?.type, .q4_0)
    }

    func testWrite_refusesFormatsGGUFCannotHold() throws {
        let src = try AccuracyFixtures.scratchFile("m.safetensors")
        try AccuracyFixtures.writeSafetensors(to: src)
        let model = try AccuracyModel.open(path: src.path)
        let out = src.deletingLastPathComponent().appendingPathComponent("x.gguf")
        XCTAssertThrowsError(try RequantizedModel.write(model, format: .i4_g32, to: out)) { e in
            XCTAssertTrue(
                "\(e)".hasPrefix("--write-format: i4_g32 has no GGUF type; use one of f32 f16 bf16 q8_0"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
