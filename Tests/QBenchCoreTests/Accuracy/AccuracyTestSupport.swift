// Small synthetic models for the accuracy tests, written with the suite's own writers into scratch folders.
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchFormats
@testable import QBenchModelFiles

enum AccuracyFixtures {
    static func gaussian(_ n: Int, seed: UInt64, sigma: Double = 0.02) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.normal() * sigma) }
    }

    static func bytes(_ x: [Float]) -> Data { x.withUnsafeBytes { Data($0) } }
    static func f16Bytes(_ x: [Float]) -> Data {
        var d = Data()
        for v in x { withUnsafeBytes(of: FloatBits.f16(v).littleEndian) { d.append(contentsOf: $0) } }
        return d
    }
    static func bf16Bytes(_ x: [Float]) -> Data {
        var d = Data()
        for v in x { withUnsafeBytes(of: FloatBits.bf16(v).littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    /// A safetensors file with every kind of tensor the analysis distinguishes:
    /// `w.f32` F32 [64, 256] (every format fits), `w.f16` F16 [32, 96] (q4_k/q6_k do not: 96 % 256 != 0),
    /// `w.bf16` BF16 [16, 512], `norm` F32 [256] (1-D), `row` F32 [1, 64] (a vector stored as 2-D),
    /// `ids` I64 [1, 8] (integer).
    static func writeSafetensors(to url: URL) throws {
        var w = SafetensorsWriter(metadata: ["format": "pt"])
        try w.addTensor(name: "w.f32", dtype: .f32, shape: [64, 256], bytes: bytes(gaussian(64 * 256, seed: 1)))
        try w.addTensor(name: "w.f16", dtype: .f16, shape: [32, 96], bytes: f16Bytes(gaussian(32 * 96, seed: 2)))
        try w.addTensor(name: "w.bf16", dtype: .bf16, shape: [16, 512], bytes: bf16Bytes(gaussian(16 * 512, seed: 3)))
        try w.addTensor(name: "norm", dtype: .f32, shape: [256], bytes: bytes([Float](repeating: 1, count: 256)))
        try w.addTensor(name: "row", dtype: .f32, shape: [1, 64], bytes: bytes(gaussian(64, seed: 4)))
        var ids = Data()
        for i in 0..<8 { withUnsafeBytes(of: Int64(i).littleEndian) { ids.append(contentsOf: $0) } }
        try w.addTensor(name: "ids", dtype: .i64, shape: [1, 8], bytes: ids)
        try w.write(to: url)
    }

    /// A GGUF whose matrices are already quantized (Q4_0 [256 x 32 rows], Q8_0 [64 x 8 rows]) plus an F32 norm
    /// and an F32 matrix, like a published quantized model.
    static func writeQuantizedGGUF(to url: URL) throws {
        var w = try GGUFWriter()
        try w.add("general.architecture", .string("llama"))
        try w.add("general.file_type", .uint32(2))
        let a = gaussian(32 * 256, seed: 10)
        try w.addTensor(
            name: "blk.0.attn_q.weight", shape: [256, 32], type: .q4_0,
            bytes: Data(try WeightFormat.q4_0.quantize(a, rows: 32, k: 256).data))
        let b = gaussian(8 * 64, seed: 11)
        try w.addTensor(
            name: "blk.0.attn_v.weight", shape: [64, 8], type: .q8_0,
            bytes: Data(try WeightFormat.q8_0.quantize(b, rows: 8, k: 64).data))
        try w.addTensor(
            name: "blk.0.attn_norm.weight", shape: [256], type: .f32,
            bytes: bytes([Float](repeating: 1, count: 256)))
        try w.addTensor(name: "output.weight", shape: [128, 4], type: .f32, bytes: bytes(gaussian(4 * 128, seed: 12)))
        try w.write(to: url)
    }

    static func scratchFile(_ name: String, test: String = #function) throws -> URL {
        try TestPaths.scratch("accuracy" + test).appendingPathComponent(name)
    }
}
