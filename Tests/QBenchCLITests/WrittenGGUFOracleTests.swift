// `qbench accuracy --write` makes a complete GGUF: the source's metadata (architecture, hyperparameters, tokenizer)
// and its non-matrix tensors are carried over unchanged, checked with the suite's reader and with gguf-py (the
// reader llama.cpp's own Python tools use).
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest

final class WrittenGGUFOracleTests: XCTestCase {
    /// Keys the writer sets itself: the file type would describe the old tensor types, and qbench signs its work.
    static let rewritten: Set<String> = [
        "general.file_type", "general.quantized_by", "general.quantization_version", "general.alignment",
    ]

    func testWrite_keepsEveryMetadataKeyAndUnchangedTensor_perOurReaderAndGGUFPy() throws {
        let dir = try TestPaths.scratch()
        let src = dir.appendingPathComponent("tiny-spm.gguf")
        try LLMCommandTests.writeTinyLlama(
            to: src,
            tokenizerFrom: TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/llm/ggml-vocab-llama-spm.gguf"))
        let out = dir.appendingPathComponent("tiny-q4_0.gguf")
        let r = try QBenchBinary.run([
            "accuracy", "--model", src.path, "--formats", "q4_0", "--write", out.path, "--write-format", "q4_0",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)

        // The suite's reader: every source key with the same value, every 1-D tensor byte for byte, every matrix
        // now q4_0 with the source's shape.
        let a = try GGUFFile(path: src.path), b = try GGUFFile(path: out.path)
        let kept = a.metadata.entries.filter { !Self.rewritten.contains($0.key) }
        XCTAssertGreaterThan(kept.filter { $0.key.hasPrefix("tokenizer.") }.count, 3)
        for e in kept { XCTAssertEqual(b.metadata[e.key], e.value, e.key) }
        XCTAssertEqual(b.tensors.map(\.name), a.tensors.map(\.name))
        for t in a.tensors {
            let w = try XCTUnwrap(b.tensor(named: t.name))
            XCTAssertEqual(w.shape, t.shape, t.name)
            if t.shape.count == 1 {
                XCTAssertEqual(w.type, t.type, t.name)
                XCTAssertEqual([UInt8](w.bytes), [UInt8](t.bytes), t.name)
            } else {
                XCTAssertEqual(w.type, .q4_0, t.name)
            }
        }

        // gguf-py: the same comparison on its parse of both files.
        let probe = try? runProcess("python3", ["-c", "import gguf"])
        try Oracle.require(
            "gguf", probe?.status == 0, "python3 cannot import gguf (make test installs it in the test venv)")
        let script = """
            import sys, json, numpy as np
            from gguf import GGUFReader
            a, b = GGUFReader(sys.argv[1]), GGUFReader(sys.argv[2])
            skip = set(sys.argv[3].split(","))
            def value(f):
                return (tuple(int(t) for t in f.types), tuple(bytes(np.asarray(f.parts[i]).tobytes()) for i in f.data))
            bad, keys = [], 0
            for name, f in a.fields.items():
                if name.startswith("GGUF.") or name in skip:
                    continue
                keys += 1
                g = b.fields.get(name)
                if g is None or value(f) != value(g):
                    bad.append("metadata " + name)
            bt = {t.name: t for t in b.tensors}
            same = 0
            for t in a.tensors:
                u = bt.get(t.name)
                if u is None or list(u.shape) != list(t.shape):
                    bad.append("tensor " + t.name)
                elif u.tensor_type == t.tensor_type:
                    if bytes(u.data.tobytes()) != bytes(t.data.tobytes()):
                        bad.append("bytes " + t.name)
                    same += 1
            print(json.dumps({"bad": bad, "keys": keys, "unchanged": same, "tensors": len(a.tensors),
                              "arch": str(b.fields["general.architecture"].contents())}))
            """
        let py = try runProcess(
            "python3", ["-c", script, src.path, out.path, Self.rewritten.sorted().joined(separator: ",")])
        XCTAssertEqual(py.status, 0, py.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: Any], py.stderr)
        XCTAssertEqual(obj["bad"] as? [String], [])
        XCTAssertEqual(obj["keys"] as? Int, kept.count, "gguf-py sees every key our reader does")
        // 1 output norm + 2 norms per layer x 2 layers are carried over; the 15 matrices are q4_0.
        XCTAssertEqual(obj["unchanged"] as? Int, 5)
        XCTAssertEqual(obj["tensors"] as? Int, a.tensors.count)
        XCTAssertEqual(obj["arch"] as? String, "llama")
    }
}
