import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchFormats
@testable import QBenchModelFiles
@testable import QBenchAccuracy

/// The analysis on small synthetic tensors and models.
final class AccuracyAnalyzerTests: XCTestCase {
    func testMeasure_matchesRoundTripAndErrorMetricsAndRecordsSkipReasons() throws {
        let x = AccuracyFixtures.gaussian(8 * 96, seed: 7)
        let (results, skipped) = try AccuracyAnalyzer.measure(
            x, rows: 8, cols: 96, formats: [.q8_0, .q4_k, .i8_pc, .q6_k],
            threads: 2)
        XCTAssertEqual(results.map(\.format), [.q8_0, .i8_pc], "order of the request, minus the skipped")
        XCTAssertEqual(
            skipped,
            [
                FormatSkip(format: .q4_k, reason: "q4_k needs K % 256 == 0 (K = 96)"),
                FormatSkip(format: .q6_k, reason: "q6_k needs K % 256 == 0 (K = 96)"),
            ])
        for r in results {
            let y = try r.format.roundTrip(x, rows: 8, k: 96)
            XCTAssertEqual(r.metrics, try ErrorMetrics.compute(original: x, reconstructed: y), "\(r.format)")
            var noise = 0.0
            for i in x.indices { noise += (Double(x[i]) - Double(y[i])) * (Double(x[i]) - Double(y[i])) }
            XCTAssertEqual(r.noiseEnergy, noise, "\(r.format)")
            XCTAssertEqual(r.bytes, try r.format.bytes(rows: 8, k: 96), "\(r.format)")
            XCTAssertEqual(r.bitsPerWeight, Double(r.bytes) * 8 / Double(8 * 96), "\(r.format)")
        }
        // i8_pc carries one f32 scale per row: 96 + 4 bytes a row.
        XCTAssertEqual(results[1].bytes, 8 * 100)
    }

    func testMeasure_doesNotDependOnTheThreadCount() throws {
        let x = AccuracyFixtures.gaussian(16 * 256, seed: 8)
        let formats: [WeightFormat] = [.q4_k, .q4_0, .u4_g32, .fp8_e4m3]
        let one = try AccuracyAnalyzer.measure(x, rows: 16, cols: 256, formats: formats, threads: 1)
        let three = try AccuracyAnalyzer.measure(x, rows: 16, cols: 256, formats: formats, threads: 3)
        XCTAssertEqual(one.results, three.results)
    }

    func testSkipReason_namesTheBlockTheRowLengthMustDivide() {
        XCTAssertNil(AccuracyAnalyzer.skipReason(.q4_k, cols: 512))
        XCTAssertEqual(AccuracyAnalyzer.skipReason(.q4_k, cols: 384), "q4_k needs K % 256 == 0 (K = 384)")
        XCTAssertEqual(AccuracyAnalyzer.skipReason(.i4_g128, cols: 96), "i4_g128 needs K % 128 == 0 (K = 96)")
        XCTAssertNil(AccuracyAnalyzer.skipReason(.i8_pc, cols: 7), "per-row formats take any K")
    }

    func testAnalyze_safetensorsModelClassifiesEveryTensor() throws {
        let url = try AccuracyFixtures.scratchFile("m.safetensors")
        try AccuracyFixtures.writeSafetensors(to: url)
        let model = try AccuracyModel.open(path: url.path)
        XCTAssertEqual(model.container, .safetensors)
        let r = try AccuracyAnalyzer.analyze(
            model,
            options: AccuracyOptions(
                formats: [.q8_0, .q4_k, .i8_pc],
                threads: 2, calibrationTensors: 2))
        XCTAssertEqual(r.schema, "qbench.accuracy/1")
        XCTAssertEqual(r.tensors.map(\.name), ["w.f32", "w.f16", "w.bf16"])
        XCTAssertEqual(r.tensors.map(\.source), ["f32", "converted from F16", "converted from BF16"])
        XCTAssertEqual(r.tensors[1].rows, 32)
        XCTAssertEqual(r.tensors[1].cols, 96)
        XCTAssertEqual(r.tensors[1].skipped.map(\.format), [.q4_k])
        XCTAssertEqual(
            Dictionary(uniqueKeysWithValues: r.skippedTensors.map { ($0.name, $0.kind) }),
            ["norm": .notMatrix, "row": .notMatrix, "ids": .unsupportedType])
        XCTAssertEqual(r.model.tensorCount, 6)
        XCTAssertEqual(r.model.matrixTensors, 3)
        XCTAssertEqual(r.model.matrixElements, 64 * 256 + 32 * 96 + 16 * 512)
        XCTAssertTrue(
            r.notes.contains("2 tensors are not 2-D weight matrices (norms, biases, vectors) and were skipped"),
            "\(r.notes)")
        XCTAssertTrue(r.notes.contains("1 tensors have no float view (I64) and were skipped"), "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("q4_k skipped on 1 of 3 tensors") }, "\(r.notes)")
        XCTAssertFalse(r.notes.contains { $0.contains("dequantized") })

        // The summary agrees with the rows, and the model size swaps only the covered tensors.
        let q4k = try XCTUnwrap(r.summary.first { $0.format == .q4_k })
        XCTAssertEqual(q4k.tensors, 2)
        XCTAssertEqual(q4k.skippedTensors, 1)
        let covered = r.tensors.filter { $0.result(.q4_k) != nil }
        XCTAssertEqual(
            q4k.modelBytes,
            model.tensorBytes - covered.reduce(0) { $0 + $1.originalBytes }
                + covered.reduce(0) { $0 + $1.result(.q4_k)!.bytes })
        XCTAssertEqual(r.summary.map(\.format), [.q8_0, .i8_pc, .q4_k])

        // Calibration: the two largest matrices (w.f32 16384, w.bf16 8192), all four methods.
        let c = try XCTUnwrap(r.calibration)
        XCTAssertEqual(c.tensors.map(\.name), ["w.f32", "w.bf16"])
        XCTAssertEqual(c.tensors[0].results.map(\.method), CalibrationMethod.allCases)
        XCTAssertEqual(
            c.tensors[0].results[0], try Calibration.calibrate(try model.tensors[0].values(), method: .minMax))
        XCTAssertEqual(c.summary.count, 4)

        // The report round-trips through QBJSON.
        let decoded = try QBJSON.decoder().decode(AccuracyReport.self, from: try QBJSON.encode(r))
        XCTAssertEqual(decoded, r)
    }

    func testAnalyze_ggufWithQuantizedTensorsReportsDequantizedSources() throws {
        let url = try AccuracyFixtures.scratchFile("q.gguf")
        try AccuracyFixtures.writeQuantizedGGUF(to: url)
        let model = try AccuracyModel.open(path: url.path)
        XCTAssertEqual(model.container, .gguf)
        let r = try AccuracyAnalyzer.analyze(
            model,
            options: AccuracyOptions(
                formats: [.q4_0, .q8_0, .f16], threads: 1,
                calibrationTensors: 0))
        XCTAssertNil(r.calibration)
        let byName = Dictionary(uniqueKeysWithValues: r.tensors.map { ($0.name, $0) })
        XCTAssertEqual(byName["blk.0.attn_q.weight"]?.source, "dequantized from Q4_0")
        XCTAssertEqual(byName["blk.0.attn_v.weight"]?.source, "dequantized from Q8_0")
        XCTAssertEqual(byName["output.weight"]?.source, "f32")
        // ggml order [256, 32] is 32 rows of 256.
        XCTAssertEqual(byName["blk.0.attn_q.weight"]?.rows, 32)
        XCTAssertEqual(byName["blk.0.attn_q.weight"]?.cols, 256)
        XCTAssertTrue(
            r.notes.contains { $0.hasPrefix("2 of 3 analysed tensors are stored quantized (Q4_0, Q8_0)") }, "\(r.notes)"
        )
        XCTAssertEqual(r.skippedTensors.map(\.name), ["blk.0.attn_norm.weight"])
        // The source really is the dequantized tensor: what the reference dequantizer gives for those bytes.
        let q = try WeightFormat.q4_0.quantize(AccuracyFixtures.gaussian(32 * 256, seed: 10), rows: 32, k: 256)
        XCTAssertEqual(try model.tensors[0].values(), q.dequantize())
        // Re-quantizing dequantized q4_0 values with q4_0 gives them back: each block's largest value is
        // exactly -8 d, so the same d is found and every value lands on its own code.
        XCTAssertEqual(byName["blk.0.attn_q.weight"]?.result(.q4_0)?.noiseEnergy, 0)
    }

    func testAnalyze_tensorPatternSelectsAndRefusesWhatMatchesNothing() throws {
        let url = try AccuracyFixtures.scratchFile("m.safetensors")
        try AccuracyFixtures.writeSafetensors(to: url)
        let model = try AccuracyModel.open(path: url.path)
        let r = try AccuracyAnalyzer.analyze(
            model,
            options: AccuracyOptions(
                formats: [.q8_0], tensorPattern: "^w\\.f1",
                threads: 1, calibrationTensors: 0))
        XCTAssertEqual(r.tensors.map(\.name), ["w.f16"])
        XCTAssertEqual(r.model.selectedTensors, 1)
        XCTAssertThrowsError(try AccuracyAnalyzer.analyze(model, options: AccuracyOptions(tensorPattern: "nothing"))) {
            e in
            XCTAssertEqual(
                e as? QBError,
                .badOption(flag: "--tensors", message: "'nothing' matches none of the 6 tensors in \(url.path)"))
        }
        XCTAssertThrowsError(try AccuracyAnalyzer.analyze(model, options: AccuracyOptions(tensorPattern: "(unclosed")))
        { e in
            XCTAssertEqual(
                e as? QBError, .badOption(flag: "--tensors", message: "'(unclosed' is not a valid regular expression"))
        }
    }

    func testAnalyze_tensorWithNonFiniteValuesIsSkippedWithTheReason() throws {
        var x = AccuracyFixtures.gaussian(4 * 32, seed: 5)
        x[37] = .nan
        var w = SafetensorsWriter()
        try w.addTensor(name: "bad", dtype: .f32, shape: [4, 32], bytes: AccuracyFixtures.bytes(x))
        try w.addTensor(
            name: "good", dtype: .f32, shape: [4, 32],
            bytes: AccuracyFixtures.bytes(AccuracyFixtures.gaussian(4 * 32, seed: 6)))
        let model = try AccuracyModel(
            safetensors: SafetensorsFile(file: MappedFile(copying: try w.encoded(), name: "mem")))
        let r = try AccuracyAnalyzer.analyze(model, options: AccuracyOptions(formats: [.q8_0], threads: 1))
        XCTAssertEqual(r.tensors.map(\.name), ["good"])
        XCTAssertEqual(
            r.skippedTensors,
            [
                SkippedTensor(
                    name: "bad", shape: [4, 32], storedType: "F32", kind: .nonFinite,
                    reason: "value nan at index 37 is not finite")
            ])
    }

    func testAnalyze_withNothingToAnalyseIsAnErrorNotATableOfNaN() throws {
        var x = AccuracyFixtures.gaussian(4 * 32, seed: 5)
        x[3] = .infinity
        var onlyBad = SafetensorsWriter()
        try onlyBad.addTensor(name: "bad", dtype: .f32, shape: [4, 32], bytes: AccuracyFixtures.bytes(x))
        var onlyNorm = SafetensorsWriter()
        try onlyNorm.addTensor(
            name: "norm", dtype: .f32, shape: [32], bytes: AccuracyFixtures.bytes([Float](repeating: 1, count: 32)))
        let empty = SafetensorsWriter()
        for (writer, why) in [
            (onlyBad, "every weight matrix holds non-finite values"),
            (onlyNorm, "none of the 1 tensors is a weight matrix (2-D, both sides > 1)"),
            (empty, "the file holds no tensors"),
        ] {
            let model = try AccuracyModel(
                safetensors: SafetensorsFile(file: MappedFile(copying: try writer.encoded(), name: "mem")))
            XCTAssertThrowsError(
                try AccuracyAnalyzer.analyze(model, options: AccuracyOptions(formats: [.q8_0], threads: 1))
            ) {
                XCTAssertEqual("\($0)", "mem: nothing to analyse: \(why)")
            }
        }
    }

    func testOpen_refusesFilesThatAreNeitherFormat() throws {
        let dir = try TestPaths.scratch()
        let text = dir.appendingPathComponent("notes.txt")
        try Data("hello, this is not a model\n".utf8).write(to: text)
        XCTAssertThrowsError(try AccuracyModel.open(path: text.path)) { e in
            guard case let .badInput(path, message)? = e as? QBError else { return XCTFail("\(e)") }
            XCTAssertEqual(path, text.path)
            XCTAssertTrue(message.hasPrefix("not a model file: expected GGUF"), message)
        }
        // A .gguf name goes to the GGUF reader, whose message says what is wrong.
        let fake = dir.appendingPathComponent("fake.gguf")
        try Data("ZGUF0000000000000000000000".utf8).write(to: fake)
        XCTAssertThrowsError(try AccuracyModel.open(path: fake.path)) { e in
            XCTAssertTrue("\(e)".contains("not a valid GGUF file: bad magic"), "\(e)")
        }
        XCTAssertThrowsError(try AccuracyModel.open(path: dir.appendingPathComponent("missing.gguf").path)) { e in
            guard case .io? = e as? QBError else { return XCTFail("\(e)") }
        }
    }

    func testParseFormats_acceptsListsAndAllAndNamesTheFlagOnUnknownOnes() throws {
        XCTAssertEqual(try WeightFormat.parseList("q8_0,q4_0 Q4_K,q8_0"), [.q8_0, .q4_0, .q4_k])
        XCTAssertEqual(try WeightFormat.parseList("all"), WeightFormat.allCases)
        XCTAssertThrowsError(try WeightFormat.parseList("q8_0,q3_k")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("--formats: unknown format 'q3_k'; valid: f32 f16 bf16 q8_0"), text)
            XCTAssertTrue(text.contains("mxfp4"), text)
        }
        XCTAssertThrowsError(try WeightFormat.parseList(" , ")) { e in
            XCTAssertTrue("\(e)".hasPrefix("--formats: empty format list"), "\(e)")
        }
    }

    func testDefaultFormats_areTheThirteenOfTheBrief() {
        XCTAssertEqual(
            AccuracyOptions.defaultFormats.map(\.rawValue),
            [
                "f16", "bf16", "i8_pc", "q8_0", "fp8_e4m3", "q6_k", "q5_0", "q4_k", "q4_1", "i4_g32", "u4_g32", "q4_0",
                "mxfp4",
            ])
    }

    func testGGMLTypeMapping_roundTripsForTheGGMLFormatsOnly() {
        for f in WeightFormat.allCases {
            if f.isGGML {
                XCTAssertEqual(f.ggmlType.flatMap { WeightFormat(ggml: $0) }, f)
                XCTAssertEqual(f.ggmlType?.blockSize, f.blockSize)
                XCTAssertEqual(f.ggmlType?.typeSize, f.blockBytes)
            } else {
                XCTAssertNil(f.ggmlType, "\(f)")
            }
        }
        XCTAssertNil(WeightFormat(ggml: .q5_1))
    }
}
