import QBenchTestSupport
import XCTest
@testable import QBenchDevice
@testable import QBenchKernels
@testable import QBenchHarness
@testable import QBenchProfiles
@testable import QBenchReport

enum SampleReport {
    static let device = DeviceProfile(
        id: "x86_64-genuineintel-6-143-8-sse2-avx512f",
        source: "fixture",
        cpu: CPUInfo(
            vendor: "GenuineIntel", model: "Intel(R) Xeon(R) CPU Max 9460", arch: "x86_64", family: 6,
            modelNumber: 143, stepping: 8, features: [.avx2, .avx512f, .avx512_vnni],
            unusableFeatures: [UnusableFeature(name: .amx_tile, reason: "kernel refused ARCH_REQ_XCOMP_PERM")],
            xcr0: "0x602e7", xcr0Source: "xgetbv"),
        topology: Topology(
            packages: 2, dies: 2, numaNodes: 2, cores: 80, pus: 160, threadsPerCore: 2,
            caches: [
                CacheLevel(level: 3, type: "unified", sizeBytes: 100 << 20, lineBytes: 64, count: 2, coresSharing: 40)
            ],
            cpuKinds: []),
        numa: NUMAInfo(nodes: 2, distances: [[10, 21], [21, 10]], memoryBytes: [1 << 36, 1 << 36], source: "hwloc"),
        memory: MemoryInfo(totalBytes: 1 << 37, transparentHugepages: "madvise"),
        os: OSInfo(name: "Linux", kernel: "6.8.0", frequencyGovernor: "performance"),
        toolchain: Toolchain(swift: "6.3.1", cCompiler: "clang 17"))

    /// A report with one of everything, built through the same functions `qbench run` will use.
    static func make() -> Report {
        let clock = ManualClock()
        let limits = SamplingLimits(warmupIterations: 2, minTimeNs: 1_000_000, minSamples: 10, maxTimeNs: 1_000_000_000)
        var step: UInt64 = 0
        let run = Sampler(
            limits: limits, clock: clock, resolution: ClockResolution(resolutionNs: 30, readOverheadNs: 28)
        ).run {
            step += 1
            clock.advance(100_000 + (step % 3) * 1_000)
        }
        let shape = MatmulShape(tokens: 1, outputs: 4096, k: 4096)
        let bytes = Double(4096 * 4096) * 0.5625 + 4096 * 1.0625 + 4096 * 4
        let roofline = RooflineSection(
            bandwidth: [
                BandwidthPoint(level: "l1", threads: 1, workingSetBytes: 16 << 10, gbPerS: 180),
                BandwidthPoint(level: "dram", threads: 1, workingSetBytes: 1 << 30, gbPerS: 12.5),
            ],
            peaks: [PeakPoint(family: "int8", threads: 1, variant: "avx512_vnni", gopPerS: 410)])
        let energy = EnergyMeasurement(
            source: .rapl, joules: 2.5, seconds: Double(run.measuredNs) / 1e9, calls: run.samplesNs.count)
        let row = ResultRow.make(
            op: .gemv, weightFormat: "q4_0", activationFormat: "q8_0/dynamic", variant: "avx512_vnni",
            shape: shape, threads: 1, run: run, bytesPerCall: bytes, opsPerCall: shape.ops,
            ceilings: roofline.ceilings(family: "int8", threads: 1), energy: energy,
            limits: ValidityLimits(minSamples: 10, minTotalNs: 1_000_000, maxNoise: 0.1))
        let model = ModelProfile(
            name: "tiny", hiddenSize: 64, intermediateSize: 128, layers: 2, heads: 4, kvHeads: 2, vocabSize: 100)
        let estimate = Estimates.estimate(
            model: model, format: "q4_0", threads: 1, promptLength: 4,
            decode: Dictionary(
                uniqueKeysWithValues: Projection.allCases.map {
                    ($0, ProjectionMeasurement(medianNs: 1000, joulesPerCall: 1e-6, key: row.key))
                }),
            prefill: [:], energySource: .rapl)
        return Report(
            run: RunInfo(
                startedAt: "2025-01-31T12:00:00Z", finishedAt: "2025-01-31T12:03:10Z", profile: "default",
                profileSource: "embedded:default", quick: false, interrupted: false, timerResolutionNs: 30),
            device: device,
            energy: EnergyMeterInfo(
                source: .rapl, detail: "intel-rapl:0 package-0 + intel-rapl:1 package-1",
                fallbackReasons: []),
            kernels: [
                KernelRow(
                    op: .gemv, weightFormat: "q4_0", activationFormat: "q8_0/dynamic", variant: "avx512_vnni",
                    status: .verified,
                    verification: Verification(method: .bitExact, elements: 4096, mismatches: 0)),
                KernelRow(
                    op: .gemv, weightFormat: "f16", activationFormat: "f32", variant: "avx512_fp16", status: .mismatch,
                    verification: Verification(
                        method: .nmse, elements: 4096, mismatches: 12, nmse: 3e-4, tolerance: 1e-5, maxAbsErr: 0.02)),
                KernelRow(
                    op: .gemm, weightFormat: "bf16", activationFormat: "bf16", variant: "amx", status: .unsupported,
                    missingFeatures: ["amx_bf16"]),
                KernelRow(
                    op: .gemv, weightFormat: "q8_0", activationFormat: "q8_0/dynamic", variant: "avx512_vnni",
                    status: .crashed, signal: "SIGILL"),
                KernelRow(
                    op: .gemm, weightFormat: "q4_k", activationFormat: "q8_k/dynamic", variant: "avx2",
                    status: .timeout, detail: "30 s"),
                KernelRow(
                    op: .gemv, weightFormat: "q4_0", activationFormat: "q8_0/dynamic", variant: "neon_dotprod",
                    status: .notBuilt, detail: "x86_64 binary"),
                KernelRow(
                    op: .gemv, weightFormat: "i8_pc", activationFormat: "i8/static", variant: "avx2",
                    status: .unverified),
            ],
            results: [row],
            roofline: roofline,
            accuracy: [
                AccuracyRow(
                    format: "q4_0", method: "rtn", tensor: "blk.0.attn_q.weight", sqnrDb: 19.7, nmse: 0.0107,
                    cosine: 0.9947, maxAbsErr: 0.031),
                AccuracyRow(
                    format: "f32", method: "identity", tensor: "blk.0.attn_q.weight", sqnrDb: .infinity, nmse: 0,
                    cosine: 1, maxAbsErr: 0),
            ],
            estimates: [estimate],
            validity: Validity.combine([(row.key, row.validity)]))
    }
}

final class ReportTests: XCTestCase {
    func testEncodeDecode_roundTrips() throws {
        let report = SampleReport.make()
        let data = try report.encoded()
        XCTAssertEqual(try Report.decode(data, path: "r.json"), report)
    }

    func testEncoding_usesTheDocumentedSnakeCaseKeys() throws {
        let text = String(decoding: try SampleReport.make().encoded(), as: UTF8.self)
        for key in [
            "\"schema\" : \"qbench.report/1\"", "\"samples_ns\"", "\"median_ns\"", "\"mad_ns\"", "\"p10_ns\"",
            "\"p90_ns\"",
            "\"gb_per_s\"", "\"gop_per_s\"", "\"arithmetic_intensity\"", "\"joules_per_gb\"", "\"joules_per_gop\"",
            "\"decode_tokens_per_s\"", "\"joules_per_token\"", "\"fallback_reasons\"", "\"sqnr_db\" : \"inf\"",
            "\"status\" : \"not_built\"", "\"unusable_features\"", "\"cache_state\" : \"warm\"",
        ] {
            XCTAssertTrue(text.contains(key), "missing \(key)")
        }
    }

    func testResultKey_namesAnActivationFormatOtherThanTheWeightFormatsOwn() {
        let shape = MatmulShape(tokens: 1, outputs: 4864, k: 896)
        func key(_ w: String, _ a: String?, _ state: CacheState = .cold) -> String {
            ResultKey.make(
                op: .gemv, weightFormat: w, shape: shape, threads: 2, variant: "avx512", cacheState: state,
                activationFormat: a)
        }
        XCTAssertEqual(key("bf16", "bf16"), "gemv/bf16/1x4864x896/t2/avx512/cold")
        XCTAssertEqual(key("bf16", "f32"), "gemv/bf16/1x4864x896/t2/avx512@f32/cold")
        XCTAssertEqual(key("bf16", "f32", .warm), "gemv/bf16/1x4864x896/t2/avx512@f32")
        // Formats on their own activation keep the key they always had; so do unknown strings.
        XCTAssertEqual(key("f16", "f32"), "gemv/f16/1x4864x896/t2/avx512/cold")
        XCTAssertEqual(key("q4_0", "q8_0"), "gemv/q4_0/1x4864x896/t2/avx512/cold")
        XCTAssertEqual(key("q4_0", nil), "gemv/q4_0/1x4864x896/t2/avx512/cold")
        XCTAssertEqual(key("q4_0", "q8_0/dynamic"), "gemv/q4_0/1x4864x896/t2/avx512/cold")
    }

    func testSampleResult_figuresFollowFromTheSamples() throws {
        let row = try XCTUnwrap(SampleReport.make().results.first)
        XCTAssertEqual(row.key, "gemv/q4_0/1x4096x4096/t1/avx512_vnni")
        XCTAssertGreaterThanOrEqual(row.samplesNs.count, 10)
        XCTAssertEqual(row.medianNs, 101_000)
        XCTAssertEqual(row.throughput.gopPerS, 2 * 4096 * 4096 / 101_000, accuracy: 1e-9)
        let roof = try XCTUnwrap(row.roofline)
        XCTAssertEqual(roof.bound, .memory)
        XCTAssertEqual(roof.arithmeticIntensity, row.opsPerCall / row.bytesPerCall, accuracy: 1e-12)
        XCTAssertEqual(row.energy?.joules ?? 0, 2.5 / Double(row.samplesNs.count), accuracy: 1e-12)
        XCTAssertTrue(row.validity.valid, "\(row.validity.reasons)")
    }

    func testLoad_rejectsOtherSchemaVersions() throws {
        var obj = try XCTUnwrap(JSONSerialization.jsonObject(with: SampleReport.make().encoded()) as? [String: Any])
        obj["schema"] = "qbench.report/2"
        let data = try JSONSerialization.data(withJSONObject: obj)
        XCTAssertThrowsError(try Report.decode(data, path: "base.json")) {
            XCTAssertEqual(
                "\($0)",
                "base.json: report schema \"qbench.report/2\" is not supported (this qbench reads \"qbench.report/1\")")
        }
        obj["schema"] = nil
        XCTAssertThrowsError(try Report.decode(try JSONSerialization.data(withJSONObject: obj), path: "base.json")) {
            XCTAssertTrue("\($0)".hasPrefix("base.json: no \"schema\" field"), "\($0)")
        }
        XCTAssertThrowsError(try Report.decode(Data("[1,2]".utf8), path: "base.json")) {
            XCTAssertEqual("\($0)", "base.json: not a JSON object (expected a qbench report)")
        }
    }

    func testLoad_namesMissingAndMistypedFields() throws {
        var obj = try XCTUnwrap(JSONSerialization.jsonObject(with: SampleReport.make().encoded()) as? [String: Any])
        obj["results"] = nil
        XCTAssertThrowsError(try Report.decode(try JSONSerialization.data(withJSONObject: obj), path: "r.json")) {
            XCTAssertEqual("\($0)", "r.json: missing key results")
        }
        obj = try XCTUnwrap(JSONSerialization.jsonObject(with: SampleReport.make().encoded()) as? [String: Any])
        var results = try XCTUnwrap(obj["results"] as? [[String: Any]])
        results[0]["median_ns"] = "fast"
        obj["results"] = results
        XCTAssertThrowsError(try Report.decode(try JSONSerialization.data(withJSONObject: obj), path: "r.json")) {
            XCTAssertEqual("\($0)", "r.json: results[0].median_ns: expected a number")
        }
    }

    func testWriteAndLoad_throughAtomicFile() throws {
        let url = try TestPaths.scratch().appendingPathComponent("out/report.json")
        let report = SampleReport.make()
        try report.write(to: url)
        XCTAssertEqual(try Report.load(url), report)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        XCTAssertEqual(leftovers, ["report.json"])
        XCTAssertThrowsError(try Report.load(url.deletingLastPathComponent().appendingPathComponent("none.json"))) {
            XCTAssertTrue("\($0)".contains("cannot read report"), "\($0)")
        }
    }

    func testRooflineClassification_byHand() throws {
        // 2 GOP over 1 GB -> intensity 2; bandwidth 10 GB/s -> memory ceiling 20 GOP/s < peak 100
        let p = try XCTUnwrap(
            RooflinePoint.classify(
                opsPerCall: 2e9, bytesPerCall: 1e9, medianNs: 2e8, peakGopPerS: 100, bandwidthGbPerS: 10))
        XCTAssertEqual(p.bound, .memory)
        XCTAssertEqual(p.arithmeticIntensity, 2)
        XCTAssertEqual(p.fraction, 10.0 / 20.0, accuracy: 1e-12)
        let c = try XCTUnwrap(
            RooflinePoint.classify(
                opsPerCall: 2e9, bytesPerCall: 1e7, medianNs: 4e7, peakGopPerS: 100, bandwidthGbPerS: 10))
        XCTAssertEqual(c.bound, .compute)
        XCTAssertEqual(c.fraction, 0.5, accuracy: 1e-12)
        XCTAssertNil(
            RooflinePoint.classify(opsPerCall: 1, bytesPerCall: 0, medianNs: 1, peakGopPerS: 1, bandwidthGbPerS: 1))
    }

    // MARK: - JSON Schema

    func validateWithPython(_ json: Data) throws -> String? { try SchemaValidation.reportErrors(json) }

    func testSampleReport_validatesAgainstTheJSONSchema() throws {
        let error = try validateWithPython(try SampleReport.make().encoded())
        XCTAssertNil(error, error ?? "")
    }

    func testSchema_rejectsABadStatusAndAMissingVerification() throws {
        var obj = try XCTUnwrap(JSONSerialization.jsonObject(with: SampleReport.make().encoded()) as? [String: Any])
        var kernels = try XCTUnwrap(obj["kernels"] as? [[String: Any]])
        kernels[0]["status"] = "passed"
        kernels[1]["verification"] = nil
        obj["kernels"] = kernels
        let found = try validateWithPython(try JSONSerialization.data(withJSONObject: obj))
        let error = try XCTUnwrap(found, "the schema accepted it")
        XCTAssertTrue(error.contains("kernels/0/status"), error)
        XCTAssertTrue(error.contains("kernels/1: 'verification' is a required property"), error)
    }

    func testSchema_rejectsAnUndocumentedResultField() throws {
        var obj = try XCTUnwrap(JSONSerialization.jsonObject(with: SampleReport.make().encoded()) as? [String: Any])
        var results = try XCTUnwrap(obj["results"] as? [[String: Any]])
        results[0]["speedup"] = 2
        obj["results"] = results
        let found = try validateWithPython(try JSONSerialization.data(withJSONObject: obj))
        let error = try XCTUnwrap(found, "the schema accepted it")
        XCTAssertTrue(error.contains("'speedup' was unexpected"), error)
    }
}
