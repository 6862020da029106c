import XCTest
@testable import QBenchFormats
@testable import QBenchHarness
@testable import QBenchKernels
@testable import QBenchProfiles
@testable import QBenchReport
@testable import QBenchSupport

/// The matrix model (`MatrixBuilder`) and its renderers on constructed reports: which variant a cell shows, why a
/// format does not run, the newest report of a device, tokens per dollar, prices and CSV quoting.
final class MatrixModelTests: XCTestCase {
    // MARK: fixtures

    /// An x86 device with AVX2 only (the int8 ladder's best usable tier is avx2).
    static func loaded(
        id: String = "aaaaaaaa00000001", model: String = "Test CPU", started: String = "2026-01-01T00:00:00Z",
        path: String = "r.json", kernels: [KernelRow], results: [ResultRow] = [], estimates: [TokenEstimate] = []
    ) -> LoadedReport {
        var r = SampleReport.make()
        r.device.id = id
        r.device.cpu.model = model
        r.device.cpu.arch = "x86_64"
        r.device.cpu.features = [.avx, .avx2, .fma, .f16c]
        r.run.startedAt = started
        r.kernels = kernels
        r.results = results
        r.estimates = estimates
        return LoadedReport(path: path, report: r)
    }

    static func kernel(
        _ variant: String, _ status: KernelStatus, op: KernelOp = .gemv, format: String = "q4_0",
        missing: [String]? = nil, signal: String? = nil, detail: String? = nil
    ) -> KernelRow {
        KernelRow(
            op: op, weightFormat: format, activationFormat: "q8_0/dynamic", variant: variant, status: status,
            missingFeatures: missing, signal: signal, detail: detail)
    }

    static func result(
        _ variant: String, op: KernelOp = .gemv, format: String = "q4_0", threads: Int,
        cache: CacheState = .cold, medianNs: Double, bytes: Double = 1000, ops: Double = 4000,
        fraction: Double? = nil, valid: Bool = true
    ) -> ResultRow {
        let shape = MatmulShape(tokens: op == .gemv ? 1 : 16, outputs: Int(bytes), k: 64)
        return ResultRow(
            key: ResultKey.make(
                op: op, weightFormat: format, shape: shape, threads: threads, variant: variant, cacheState: cache),
            op: op, weightFormat: format, activationFormat: "q8_0/dynamic", variant: variant, shape: shape,
            threads: threads, cacheState: cache, samplesNs: [UInt64(medianNs)], iterationsPerSample: 1,
            medianNs: medianNs, madNs: 0, p10Ns: medianNs, p90Ns: medianNs, minNs: medianNs, maxNs: medianNs,
            meanNs: medianNs, outliers: [], bytesPerCall: bytes, opsPerCall: ops,
            throughput: Throughput.make(bytesPerCall: bytes, opsPerCall: ops, medianNs: medianNs),
            roofline: fraction.map { RooflinePoint(bound: .memory, fraction: $0, arithmeticIntensity: ops / bytes) },
            energy: nil, validity: valid ? .ok : Validity(valid: false, reasons: ["too noisy"]), warnings: [])
    }

    static func cell(
        _ m: CompatibilityMatrix, _ op: KernelOp = .gemv, _ format: String = "q4_0", device: Int = 0
    )
        throws -> MatrixCell
    {
        let row = try XCTUnwrap(m.rows.first { $0.op == op && $0.weightFormat == format }, "no row \(op) \(format)")
        return row.cells[device]
    }

    // MARK: best variant

    func testBestVariant_isTheDispatchPreferenceAmongVerifiedOnes_atTheLargestThreadCount() throws {
        let r = Self.loaded(
            kernels: [
                Self.kernel("scalar", .verified), Self.kernel("avx2", .verified),
                Self.kernel("avx512_vnni", .unsupported, missing: ["avx512f", "avx512_vnni"]),
            ],
            results: [
                // scalar is faster here on purpose: the cell follows the dispatcher's choice, not the fastest row.
                Self.result("scalar", threads: 8, medianNs: 10),
                Self.result("avx2", threads: 8, medianNs: 100, bytes: 1000, fraction: 0.5),
                Self.result("avx2", threads: 8, medianNs: 300, bytes: 2000, fraction: 0.9),
                Self.result("avx2", threads: 1, medianNs: 1, bytes: 1000),  // not the full-core count: ignored
            ])
        let c = try Self.cell(MatrixBuilder.build([r]))
        XCTAssertEqual(c.status, .measured)
        XCTAssertEqual(c.variant, "avx2")
        XCTAssertFalse(c.onlyScalar)
        XCTAssertEqual(c.activationFormat, "q8_0/dynamic")
        XCTAssertEqual(c.threads, 8)
        XCTAssertEqual(c.shapes, 2)
        XCTAssertEqual(c.unit, "GB/s")
        // (1000 + 2000) bytes / (100 + 300) ns; roofline weighted by time: (0.5 * 100 + 0.9 * 300) / 400.
        XCTAssertEqual(try XCTUnwrap(c.throughput), 7.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(c.rooflineFraction), 0.8, accuracy: 1e-12)
        XCTAssertEqual(c.cacheState, .cold)
        XCTAssertNil(c.reason, "an unsupported better variant is not a fault")
    }

    func testGemm_usesGOPs_andPrefersWarmResults() throws {
        let r = Self.loaded(
            kernels: [
                Self.kernel("avx2", .verified, op: .gemm, format: "q8_0"),
                Self.kernel("scalar", .verified, op: .gemm, format: "q8_0"),
            ],
            results: [
                Self.result(
                    "avx2", op: .gemm, format: "q8_0", threads: 4, cache: .warm, medianNs: 50, ops: 5000, valid: false),
                Self.result("avx2", op: .gemm, format: "q8_0", threads: 4, cache: .cold, medianNs: 500, ops: 5000),
            ])
        let c = try Self.cell(MatrixBuilder.build([r]), .gemm, "q8_0")
        XCTAssertEqual(c.unit, "GOP/s")
        XCTAssertEqual(c.cacheState, .warm)
        XCTAssertEqual(try XCTUnwrap(c.throughput), 100, accuracy: 1e-12)
        XCTAssertEqual(c.valid, false)
        XCTAssertTrue(MatrixRender.cellText(c).contains("invalid"), MatrixRender.cellText(c))
    }

    func testVerifiedButNotBenchmarked_isNotMeasured() throws {
        let r = Self.loaded(kernels: [Self.kernel("scalar", .verified), Self.kernel("avx2", .verified)])
        let c = try Self.cell(MatrixBuilder.build([r]))
        XCTAssertEqual(c.status, .notMeasured)
        XCTAssertEqual(c.variant, "avx2")
        XCTAssertNil(c.throughput)
        XCTAssertEqual(MatrixRender.cellText(c), "avx2: not measured")
    }

    func testOnlyScalar_isMarked_withWhyTheNextVariantDoesNotRun() throws {
        let r = Self.loaded(
            kernels: [
                Self.kernel("scalar", .verified),
                Self.kernel("avx2", .unsupported, missing: ["avx2", "fma"]),
                Self.kernel("avx512_vnni", .unsupported, missing: ["avx512f", "avx512_vnni"]),
            ],
            results: [Self.result("scalar", threads: 2, medianNs: 100)])
        let c = try Self.cell(MatrixBuilder.build([r]))
        XCTAssertEqual(c.variant, "scalar")
        XCTAssertTrue(c.onlyScalar)
        XCTAssertEqual(c.reason, "avx2: unsupported: avx2, fma")
        XCTAssertTrue(MatrixRender.cellText(c).hasPrefix("scalar only: 10.0 GB/s"), MatrixRender.cellText(c))
    }

    func testAFaultOfABetterVariant_isNamedNextToTheOneThatRuns() throws {
        let r = Self.loaded(
            kernels: [
                Self.kernel("scalar", .verified), Self.kernel("avx2", .verified),
                Self.kernel("avx512_vnni", .mismatch),
            ])
        XCTAssertEqual(try Self.cell(MatrixBuilder.build([r])).reason, "avx512_vnni: mismatch")
    }

    // MARK: reasons for formats that do not run

    func testNotRunning_reasons() throws {
        let cases: [([KernelRow], String)] = [
            (
                [
                    Self.kernel("avx2", .unsupported, missing: ["avx2"]),
                    Self.kernel("avx512_vnni", .unsupported, missing: ["avx512f", "avx512_vnni"]),
                ],
                "unsupported: avx512f, avx512_vnni"  // the best unsupported variant's missing features
            ),
            ([Self.kernel("avx2", .crashed, signal: "SIGILL"), Self.kernel("scalar", .mismatch)], "crashed: SIGILL"),
            ([Self.kernel("scalar", .mismatch), Self.kernel("avx2", .unsupported, missing: ["avx2"])], "mismatch"),
            ([Self.kernel("scalar", .timeout)], "timeout"),
            ([Self.kernel("scalar", .notBuilt)], "not built"),
        ]
        for (kernels, reason) in cases {
            let c = try Self.cell(MatrixBuilder.build([Self.loaded(kernels: kernels)]))
            XCTAssertEqual(c.status, .notRunning)
            XCTAssertNil(c.variant)
            XCTAssertEqual(c.reason, reason)
            XCTAssertEqual(MatrixRender.cellText(c), reason)
        }
    }

    func testAFormatOnlyOneDeviceHasAKernelFor_isNoKernelOnTheOther() throws {
        let a = Self.loaded(id: "aaaaaaaa00000001", kernels: [Self.kernel("scalar", .verified)])
        let b = Self.loaded(
            id: "bbbbbbbb00000002", kernels: [Self.kernel("scalar", .verified, op: .gemv, format: "q8_0")])
        let m = MatrixBuilder.build([a, b])
        XCTAssertEqual(m.devices.map(\.shortId), ["aaaaaaaa", "bbbbbbbb"])
        XCTAssertEqual(try Self.cell(m, .gemv, "q4_0", device: 1).status, .noKernel)
        XCTAssertEqual(try Self.cell(m, .gemv, "q8_0", device: 0).status, .noKernel)
        XCTAssertEqual(m.rows.map(\.weightFormat), ["q8_0", "q4_0"], "WeightFormat order")
    }

    // MARK: columns

    func testSeveralReportsOfOneDevice_theNewestIsUsed_andANoteSaysSo() throws {
        let k = [Self.kernel("scalar", .verified)]
        let old = Self.loaded(started: "2026-01-01T00:00:00Z", path: "old.json", kernels: k)
        let new = Self.loaded(started: "2026-02-01T00:00:00Z", path: "new.json", kernels: k)
        let m = MatrixBuilder.build([new, old])
        XCTAssertEqual(m.devices.count, 1)
        XCTAssertEqual(m.devices[0].report, "new.json")
        XCTAssertEqual(m.devices[0].olderReports, ["old.json"])
        let note = try XCTUnwrap(m.notes.first { $0.contains("newest") })
        XCTAssertTrue(note.contains("2 reports") && note.contains("new.json") && note.contains("old.json"), note)
    }

    func testADispatchLimit_isItsOwnColumn_andShowsTheLimit() throws {
        let full = Self.loaded(kernels: [Self.kernel("scalar", .verified), Self.kernel("avx2", .verified)])
        let limited = Self.loaded(
            kernels: [
                Self.kernel("scalar", .verified),
                Self.kernel("avx2", .unverified, detail: "excluded by --max-isa scalar"),
            ])
        let m = MatrixBuilder.build([full, limited])
        XCTAssertEqual(m.devices.map(\.limit), [nil, "--max-isa scalar"])
        XCTAssertEqual(m.devices.map(\.isa), ["avx2", "scalar"])
        XCTAssertEqual(m.devices.map(\.cpuTier), ["avx2", "avx2"])
        let c = try Self.cell(m, device: 1)
        XCTAssertTrue(c.onlyScalar)
        XCTAssertEqual(c.reason, "avx2: excluded by --max-isa scalar")
    }

    func testShortIds_growWhenTwoIdsShareTheirFirst8Characters() {
        XCTAssertEqual(
            MatrixBuilder.shortIds(["abcdefgh1", "abcdefgh2", "12345678x"]), ["abcdefgh1", "abcdefgh2", "12345678"])
    }

    // MARK: estimates and prices

    static func estimate(format: String, threads: Int, decode: Double?, joules: Double? = nil) -> TokenEstimate {
        TokenEstimate(
            model: "tiny", format: format, threads: threads, promptLength: 16, decodeTokensPerS: decode,
            decodeMsPerToken: decode.map { 1000 / $0 }, prefillTokensPerS: 500, joulesPerToken: joules,
            prefillJoulesPerToken: nil, energySource: joules == nil ? nil : .rapl, basis: [], missing: [], note: "")
    }

    func testTokensPerDollar_isDecodeRateTimes3600OverThePrice() throws {
        XCTAssertEqual(try XCTUnwrap(MatrixBuilder.tokensPerDollar(decodeTokensPerS: 10, usdPerHour: 0.5)), 72_000)
        XCTAssertNil(MatrixBuilder.tokensPerDollar(decodeTokensPerS: nil, usdPerHour: 0.5))
        XCTAssertNil(MatrixBuilder.tokensPerDollar(decodeTokensPerS: 10, usdPerHour: nil))

        let r = Self.loaded(
            id: "aaaaaaaa00000001", model: "Priced CPU", kernels: [Self.kernel("scalar", .verified)],
            estimates: [
                Self.estimate(format: "q4_0", threads: 1, decode: 5),
                Self.estimate(format: "q4_0", threads: 8, decode: 20, joules: 0.25),  // the full-core estimate
            ])
        let prices = try PriceTable.parse(yaml: "\"Priced CPU\": 2.0\nnobody: 1\n", path: "p.yaml")
        let m = MatrixBuilder.build([r], prices: prices)
        XCTAssertEqual(m.devices[0].pricePerHour, 2.0)
        let e = try XCTUnwrap(m.estimates.first).cells[0]
        XCTAssertEqual(e.threads, 8)
        XCTAssertEqual(e.decodeTokensPerS, 20)
        XCTAssertEqual(e.energySource, "rapl")
        XCTAssertEqual(try XCTUnwrap(e.tokensPerDollar), 20 * 3600 / 2.0, accuracy: 1e-9)
        XCTAssertEqual(
            MatrixRender.estimateText(e), "decode 20.0 · prefill 500 tok/s · 0.25 J/tok (rapl) · 36.0k tok/USD")
        XCTAssertTrue(m.notes.contains { $0.contains("'nobody' matches no device") }, "\(m.notes)")
    }

    func testPriceTable_idBeatsModel_andBadFilesAreOneLineNamingTheFile() throws {
        let t = try PriceTable.parse(yaml: "id1: 1.5\nModel X: 3\n", path: "p.yaml")
        XCTAssertEqual(t.price(id: "id1", cpuModel: "Model X"), 1.5)
        XCTAssertEqual(t.price(id: "other", cpuModel: "Model X"), 3)
        XCTAssertNil(t.price(id: "other", cpuModel: "other"))
        for (yaml, fragment) in [
            ("", "empty document"), ("- 1\n- 2\n", "expected a mapping"), ("a: -1\n", "positive number"),
            ("a: zero\n", "found \"zero\""), ("a: [1, 2]\n", "expected a single value"), ("a: 1\na: 2\n", "duplicated"),
            ("a: [1\n", "YAML syntax error"), ("a: .nan\n", "positive number"),
        ] {
            XCTAssertThrowsError(try PriceTable.parse(yaml: yaml, path: "p.yaml"), yaml) { e in
                let text = "\(e)"
                XCTAssertTrue(text.hasPrefix("p.yaml: "), text)
                XCTAssertTrue(text.contains(fragment), "\(yaml): \(text)")
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    // MARK: CSV

    func testCSV_quotesCommasQuotesAndLineBreaks_RFC4180() throws {
        XCTAssertEqual(CSV.field("plain"), "plain")
        XCTAssertEqual(CSV.field("a, b"), "\"a, b\"")
        XCTAssertEqual(CSV.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSV.field("two\nlines"), "\"two\nlines\"")

        let r = Self.loaded(
            model: "CPU, \"quoted\" edition",
            kernels: [Self.kernel("avx2", .unsupported, missing: ["avx2", "fma"])])
        let text = MatrixRender.csv(MatrixBuilder.build([r]))
        let lines = text.components(separatedBy: "\r\n")
        XCTAssertEqual(lines.count, 3, "header, one cell, and the empty string after the last CRLF: \(lines)")
        XCTAssertEqual(lines[0], MatrixRender.csvHeader.joined(separator: ","))
        XCTAssertTrue(lines[1].contains(",\"CPU, \"\"quoted\"\" edition\","), lines[1])
        XCTAssertTrue(lines[1].contains(",not_running,"), lines[1])
        XCTAssertTrue(lines[1].contains(",\"unsupported: avx2, fma\","), lines[1])
    }

    func testMarkdown_escapesPipesInCells() {
        let r = Self.loaded(model: "A|B", kernels: [Self.kernel("scalar", .verified)])
        let md = MatrixRender.markdown(MatrixBuilder.build([r]))
        XCTAssertTrue(md.contains("A\\|B"), md)
        XCTAssertFalse(md.contains("A|B"), md)
    }

    func testJSON_isSnakeCaseWithTheSchema() throws {
        let r = Self.loaded(
            kernels: [Self.kernel("scalar", .verified)], results: [Self.result("scalar", threads: 1, medianNs: 10)])
        let text = String(decoding: try MatrixRender.render(MatrixBuilder.build([r]), as: .json), as: UTF8.self)
        for key in ["\"schema\" : \"qbench.matrix/1\"", "\"weight_format\"", "\"only_scalar\" : true", "\"short_id\""] {
            XCTAssertTrue(text.contains(key), "missing \(key)")
        }
        let back = try QBJSON.decoder().decode(CompatibilityMatrix.self, from: Data(text.utf8))
        XCTAssertEqual(back, MatrixBuilder.build([r]))
    }
}
