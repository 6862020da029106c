import XCTest
@testable import QBenchModelFiles

final class GGMLTypeTests: XCTestCase {
    func testGGMLType_tableMatchesGGMLForCoreTypes() {
        let expected: [(GGMLType, UInt32, String, Int, Int)] = [
            (.f32, 0, "F32", 1, 4), (.f16, 1, "F16", 1, 2), (.q4_0, 2, "Q4_0", 32, 18), (.q4_1, 3, "Q4_1", 32, 20),
            (.q5_0, 6, "Q5_0", 32, 22), (.q5_1, 7, "Q5_1", 32, 24), (.q8_0, 8, "Q8_0", 32, 34),
            (.q8_1, 9, "Q8_1", 32, 36), (.q2_k, 10, "Q2_K", 256, 84), (.q3_k, 11, "Q3_K", 256, 110),
            (.q4_k, 12, "Q4_K", 256, 144), (.q5_k, 13, "Q5_K", 256, 176), (.q6_k, 14, "Q6_K", 256, 210),
            (.q8_k, 15, "Q8_K", 256, 292), (.i8, 24, "I8", 1, 1), (.i16, 25, "I16", 1, 2), (.i32, 26, "I32", 1, 4),
            (.i64, 27, "I64", 1, 8), (.f64, 28, "F64", 1, 8), (.bf16, 30, "BF16", 1, 2),
        ]
        for (t, id, name, block, size) in expected {
            XCTAssertEqual(t.rawValue, id, name)
            XCTAssertEqual(t.name, name)
            XCTAssertEqual(t.blockSize, block, name)
            XCTAssertEqual(t.typeSize, size, name)
            XCTAssertEqual(GGMLType(name: name.lowercased()), t)
        }
        XCTAssertNil(GGMLType(rawValue: 4), "Q4_2 was removed from ggml")
        XCTAssertNil(GGMLType(rawValue: 31), "Q4_0_4_4 was removed from GGUF files")
    }

    func testGGMLType_byteCountNeedsWholeBlocksAndRefusesOverflow() {
        XCTAssertEqual(GGMLType.q4_0.byteCount(shape: [64, 3]), 2 * 18 * 3)
        XCTAssertEqual(GGMLType.q4_k.byteCount(shape: [512]), 288)
        XCTAssertEqual(GGMLType.f32.byteCount(shape: []), 4, "a zero-dimensional tensor holds one element")
        XCTAssertEqual(GGMLType.f32.byteCount(shape: [0, 7]), 0)
        XCTAssertNil(GGMLType.q8_0.byteCount(shape: [33]), "33 is not a whole number of 32-element blocks")
        XCTAssertNil(GGMLType.f32.byteCount(shape: [1 << 62, 4]))
        XCTAssertNil(GGMLType.f32.byteCount(shape: [-1]))
    }

    /// Every id, name and block geometry agrees with the gguf python package's GGML_QUANT_SIZES.
    func testGGMLType_agreesWithGGUFPy() throws {
        try ModelFileTests.requirePython("gguf")
        let script = """
            import gguf
            for t, (b, s) in gguf.GGML_QUANT_SIZES.items():
                print(int(t), t.name, b, s)
            """
        let (status, out, err) = try ModelFileTests.python(script)
        XCTAssertEqual(status, 0, err)
        var seen = 0
        for line in out.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 4, let id = UInt32(f[0]), let block = Int(f[2]), let size = Int(f[3]) else { continue }
            guard let t = GGMLType(rawValue: id) else {
                // A type newer than this table: the reader refuses it as unknown, which is safe.
                continue
            }
            seen += 1
            XCTAssertEqual(t.name, String(f[1]))
            // gguf-py keeps Q8_1's pre-2024 float layout (40 bytes); ggml-common.h asserts 36 today.
            if t == .q8_1 { continue }
            XCTAssertEqual(t.blockSize, block, t.name)
            XCTAssertEqual(t.typeSize, size, t.name)
        }
        XCTAssertGreaterThanOrEqual(seen, 20, "gguf-py listed too few types: \(out)")
    }
}
