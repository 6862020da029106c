import QBenchTestSupport
import Foundation
import XCTest
import QBenchSupport
@testable import QBenchModelFiles
@testable import QBenchProfiles

final class ProfileTests: XCTestCase {
    var profilesDir: URL { TestPaths.packageRoot.appendingPathComponent("profiles") }

    func load(_ name: String) throws -> RunProfile {
        try ProfileLoader.load(file: profilesDir.appendingPathComponent("\(name).yaml"))
    }

    func testEveryShippedProfileParsesAndValidates() throws {
        let names = ProfileLoader.available(in: [profilesDir])
        XCTAssertEqual(
            Set(names),
            [
                "default", "llama3-8b", "gemma3-270m", "qwen2.5-0.5b", "mistral-7b", "phi3-mini",
                "smoke",
            ])
        for n in names {
            let p = try load(n)
            XCTAssertEqual(p.name, n)
            XCTAssertTrue(p.problems().isEmpty, "\(n): \(p.problems())")
        }
    }

    func testLlama3_8b_projectionShapesFromItsTrueDimensions() throws {
        let p = try load("llama3-8b")
        let m = try XCTUnwrap(p.models.first)
        XCTAssertEqual(
            [m.hiddenSize, m.intermediateSize, m.layers, m.heads, m.kvHeads, m.vocabSize],
            [4096, 14336, 32, 32, 8, 128256])
        XCTAssertEqual(m.resolvedHeadDim, 128)
        let decode = Dictionary(
            uniqueKeysWithValues: m.decodeShapes().map { ($0.projection, "\($0.op) \($0.shape) x\($0.count)") })
        XCTAssertEqual(decode[.q], "gemv 1x4096x4096 x32")
        XCTAssertEqual(decode[.k], "gemv 1x1024x4096 x32")
        XCTAssertEqual(decode[.v], "gemv 1x1024x4096 x32")
        XCTAssertEqual(decode[.o], "gemv 1x4096x4096 x32")
        XCTAssertEqual(decode[.gate], "gemv 1x14336x4096 x32")
        XCTAssertEqual(decode[.up], "gemv 1x14336x4096 x32")
        XCTAssertEqual(decode[.down], "gemv 1x4096x14336 x32")
        XCTAssertEqual(decode[.lmHead], "gemv 1x128256x4096 x1")
        let prefill = Dictionary(
            uniqueKeysWithValues: m.prefillShapes(promptLength: 512).map { ($0.projection, "\($0.op) \($0.shape)") })
        XCTAssertEqual(prefill[.gate], "gemm 512x14336x4096")
        XCTAssertEqual(prefill[.lmHead], "gemv 1x128256x4096", "prefill needs only the last token's logits")
        // 8.03 B parameters in total; projections are all of it except the 0.53 B embedding table and norms.
        XCTAssertEqual(
            m.projectionParameters, 32 * (2 * 4096 * 4096 + 2 * 1024 * 4096 + 3 * 14336 * 4096) + 128256 * 4096)
        XCTAssertEqual(p.promptLength, 512)
    }

    func testGemma3_headDimLargerThanHiddenOverHeads() throws {
        let m = try XCTUnwrap(try load("gemma3-270m").models.first)
        XCTAssertEqual(m.weightShape(.q).outputs, 1024)
        XCTAssertEqual(m.weightShape(.q).k, 640)
        XCTAssertEqual(m.weightShape(.o).outputs, 640)
        XCTAssertEqual(m.weightShape(.o).k, 1024)
        XCTAssertEqual(m.weightShape(.k).outputs, 256)
        XCTAssertEqual(m.weightShape(.lmHead).outputs, 262144)
    }

    func testOtherModelDimensions() throws {
        func dims(_ n: String) throws -> [Int] {
            let m = try XCTUnwrap(try load(n).models.first)
            return [m.hiddenSize, m.intermediateSize, m.layers, m.heads, m.kvHeads, m.resolvedHeadDim, m.vocabSize]
        }
        XCTAssertEqual(try dims("qwen2.5-0.5b"), [896, 4864, 24, 14, 2, 64, 151936])
        XCTAssertEqual(try dims("mistral-7b"), [4096, 14336, 32, 32, 8, 128, 32000])
        XCTAssertEqual(try dims("phi3-mini"), [3072, 8192, 32, 32, 32, 96, 32064])
    }

    func testDistinctShapes_measureSharedShapesOnce() throws {
        let p = try load("llama3-8b")
        // gemv: 4096x4096 (q, o), 1024x4096 (k, v), 14336x4096 (gate, up), 4096x14336, 128256x4096;
        // gemm: same minus lm_head
        XCTAssertEqual(p.distinctShapes().count, 9)
        XCTAssertEqual(p.projectionShapes().count, 8 + 7)
    }

    func testDefaultProfile_isEmbeddedAndResolvableByName() throws {
        let loaded = try ProfileLoader.resolve("default", searchDirectories: [])
        XCTAssertEqual(loaded.source, "embedded:default")
        XCTAssertEqual(loaded.profile.name, "default")
        XCTAssertEqual(loaded.profile.models.map(\.name), ["qwen2.5-0.5b", "llama3-8b"])
        XCTAssertEqual(loaded.profile.timing(quick: true).maxTimeMs, 300)
        XCTAssertEqual(loaded.profile.timing.samplingLimits.minSamples, 10)
        XCTAssertEqual(loaded.profile.timing.samplingLimits.minTimeNs, 100_000_000)
        XCTAssertEqual(loaded.profile.timing.validityLimits.maxNoise, 0.10)
    }

    func testDefaultProfile_modelDimensionsAgreeWithTheModelProfiles() throws {
        let def = try ProfileLoader.embedded("default")
        for m in def.models {
            var fromFile = try XCTUnwrap(try load(m.name).models.first)
            fromFile.source = m.source
            XCTAssertEqual(m, fromFile, m.name)
        }
    }

    func testResolve_nameInProfilesFolderThenPath() throws {
        let byName = try ProfileLoader.resolve("smoke", searchDirectories: [profilesDir])
        XCTAssertEqual(byName.profile.name, "smoke")
        XCTAssertEqual(byName.source, profilesDir.appendingPathComponent("smoke.yaml").path)
        let path = profilesDir.appendingPathComponent("phi3-mini.yaml").path
        XCTAssertEqual(try ProfileLoader.resolve(path).profile.name, "phi3-mini")
    }

    func testResolve_unknownNameListsWhatExists() {
        XCTAssertThrowsError(try ProfileLoader.resolve("smok", searchDirectories: [profilesDir])) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("--profile: no profile named \"smok\""), text)
            XCTAssertTrue(text.contains("available: default, gemma3-270m, llama3-8b"), text)
        }
        XCTAssertThrowsError(try ProfileLoader.resolve("nope/x.yaml")) {
            XCTAssertTrue(
                "\($0)".hasSuffix("/nope/x.yaml: no such file"), "bad input (exit 1), not a usage error: \($0)")
        }
    }

    func testDefaultSearchDirectories_envThenCwd() {
        let dirs = ProfileLoader.defaultSearchDirectories(
            environment: ["QBENCH_PROFILES": "/opt/p"], currentDirectory: "/w")
        XCTAssertEqual(dirs.map(\.path), ["/opt/p", "/w/profiles"])
    }
}

final class ProfileErrorTests: XCTestCase {
    let good = """
        name: t
        description: test
        formats: [q4_0]
        ops: [gemv]
        threads: [1, cores]
        timing:
          warmup_iterations: 1
          min_time_ms: 10
          min_samples: 10
          max_time_ms: 100
          max_noise: 0.1
        gate:
          max_throughput_regression: 0.05
          max_energy_regression: 0.1
          max_sqnr_drop_db: 0.5
          significance: 0.01
        prompt_length: 8
        models:
          - name: m
            hidden_size: 64
            intermediate_size: 128
            layers: 2
            heads: 4
            kv_heads: 2
            vocab_size: 100
        """

    func message(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try ProfileLoader.parse(yaml: yaml, path: "p.yaml")
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch { return "\(error)" }
    }

    func testGoodProfile_parses() throws {
        let p = try ProfileLoader.parse(yaml: good, path: "p.yaml")
        XCTAssertEqual(p.threads, [.count(1), .cores])
        XCTAssertEqual(p.threads.map { $0.resolve(cores: 8, pus: 16) }, [1, 8])
        XCTAssertEqual(p.resolvedCacheStates, [.cold], "decode is measured cold unless the profile asks")
    }

    func testSyntaxError_namesFileLineAndColumn() {
        let bad = good.replacingOccurrences(of: "ops: [gemv]", with: "ops: [gemv\n  bad: {")
        let m = message(bad)
        XCTAssertTrue(m.hasPrefix("p.yaml: line "), m)
        XCTAssertTrue(m.contains("YAML syntax error"), m)
        print("syntax error message: \(m)")
    }

    func testSyntaxError_tabIndentation() {
        let m = message("name: t\n\tdescription: x\n")
        XCTAssertTrue(m.hasPrefix("p.yaml: line 2, column 1: YAML syntax error"), m)
    }

    func testTypeError_namesLineAndKeyPath() {
        let m = message(good.replacingOccurrences(of: "min_samples: 10", with: "min_samples: ten"))
        XCTAssertEqual(m, "p.yaml: line 9: timing.min_samples: expected an integer, found \"ten\"")
    }

    func testTypeError_insideAListNamesTheIndex() {
        let m = message(good.replacingOccurrences(of: "kv_heads: 2", with: "kv_heads: [2]"))
        XCTAssertEqual(m, "p.yaml: line 24: models[0].kv_heads: expected a single value, found a list")
    }

    func testMissingKey_topLevelAndNested() {
        XCTAssertEqual(
            message(good.replacingOccurrences(of: "prompt_length: 8\n", with: "")),
            "p.yaml: line 1: missing key prompt_length")
        XCTAssertEqual(
            message(good.replacingOccurrences(of: "    vocab_size: 100", with: "")),
            "p.yaml: line 19: missing key models[0].vocab_size")
    }

    func testUnknownKey_catchesTypos() {
        let m = message(good.replacingOccurrences(of: "max_noise: 0.1", with: "max_noise: 0.1\n  min_sample: 5"))
        XCTAssertTrue(
            m.hasPrefix("p.yaml: line 12: unknown key timing.min_sample (did you mean min_samples? expected one of: "),
            m)
        XCTAssertTrue(m.contains("min_samples"), m)
    }

    func testUnknownKey_listsOptionalKeysAndSuggestsTheNearest() {
        let m = message(good.replacingOccurrences(of: "timing:", with: "quik: {}\ntiming:"))
        XCTAssertTrue(m.contains("unknown key quik (did you mean quick? expected one of: cache_states, description"), m)
        let far = message(good.replacingOccurrences(of: "timing:", with: "zzzzzz: 1\ntiming:"))
        XCTAssertFalse(far.contains("did you mean"), far)
        let cache = message(good.replacingOccurrences(of: "timing:", with: "cache_states: [hot]\ntiming:"))
        XCTAssertTrue(cache.hasSuffix("cache_states[0]: `hot` is not a cache state; expected cold or warm"), cache)
    }

    func testOptionalYAMLKeys_areExactlyTheKeysANilOptionalHides() throws {
        var full = try ProfileLoader.embedded("smoke")
        full.cacheStates = [.cold]
        full.quick = full.timing
        full.models[0].headDim = 64
        full.models[0].source = "x"
        var bare = full
        bare.cacheStates = nil
        bare.quick = nil
        bare.models[0].headDim = nil
        bare.models[0].source = nil
        func keys(_ p: RunProfile) throws -> (Set<String>, Set<String>) {
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try QBJSON.encode(p)) as? [String: Any])
            let model = try XCTUnwrap((json["models"] as? [[String: Any]])?.first)
            return (Set(json.keys), Set(model.keys))
        }
        let (fullTop, fullModel) = try keys(full), (bareTop, bareModel) = try keys(bare)
        XCTAssertEqual(fullTop.subtracting(bareTop), Set(RunProfile.optionalYAMLKeys[""] ?? []))
        XCTAssertEqual(fullModel.subtracting(bareModel), Set(RunProfile.optionalYAMLKeys["models[]"] ?? []))
    }

    func testBadValues_nameLineAndKey() {
        let unknownFormat = message(good.replacingOccurrences(of: "formats: [q4_0]", with: "formats: [q4_2]"))
        XCTAssertTrue(
            unknownFormat.hasPrefix("p.yaml: line 3: formats[0]: unknown format `q4_2` (known: f32, f16"), unknownFormat
        )
        XCTAssertEqual(
            message(good.replacingOccurrences(of: "kv_heads: 2", with: "kv_heads: 3")),
            "p.yaml: line 24: models[0].kv_heads: 3 must divide heads (4)")
        XCTAssertEqual(
            message(good.replacingOccurrences(of: "min_samples: 10", with: "min_samples: 0")),
            "p.yaml: line 9: timing.min_samples: must be at least 1, found 0")
        XCTAssertTrue(
            message(good.replacingOccurrences(of: "[1, cores]", with: "[1, all]"))
                .contains("threads[1]: `all` is not a thread count; expected a number in 1...4096, `cores` or `pus`"))
    }

    func testAbsurdSizes_areRejectedBeforeAnyShapeIsComputed() {
        XCTAssertEqual(
            message(good.replacingOccurrences(of: "hidden_size: 64", with: "hidden_size: 9999999999")),
            "p.yaml: line 20: models[0].hidden_size: 9999999999 is implausibly large (limit 1048576)")
        let wide = good.replacingOccurrences(of: "    heads: 4", with: "    heads: 64")
            .replacingOccurrences(of: "kv_heads: 2", with: "kv_heads: 2\n    head_dim: 65536")
        XCTAssertEqual(
            message(wide),
            "p.yaml: line 25: models[0].head_dim: heads x head_dim = 4194304 is implausibly large (limit 1048576)")
        XCTAssertTrue(
            message(good.replacingOccurrences(of: "layers: 2", with: "layers: 99999999999999999999999"))
                .contains("models[0].layers: expected an integer"))
    }

    func testEmptyAndNonMappingDocuments() {
        XCTAssertEqual(message(""), "p.yaml: empty document: expected a YAML mapping")
        let list = message("- a\n- b\n")
        XCTAssertTrue(list.contains("expected a mapping"), list)
        print("list document message: \(list)")
    }

    func testMissingFile_isNamedInOneLine() {
        XCTAssertThrowsError(try ProfileLoader.load(file: URL(fileURLWithPath: "/nonexistent/x.yaml"))) {
            XCTAssertEqual("\($0)", "/nonexistent/x.yaml: no such file")
        }
    }
}

final class GGUFModelProfileTests: XCTestCase {
    /// Llama 3 8B's header values, written to a real GGUF file (no tensors) and read back with the GGUF reader.
    var llama: [(String, GGUFValue)] {
        [
            ("general.architecture", .string("llama")), ("general.name", .string("Meta Llama 3 8B")),
            ("llama.embedding_length", .uint32(4096)), ("llama.block_count", .uint32(32)),
            ("llama.feed_forward_length", .uint32(14336)), ("llama.attention.head_count", .uint32(32)),
            ("llama.attention.head_count_kv", .uint32(8)), ("llama.vocab_size", .uint32(128256)),
            ("llama.attention.key_length", .uint32(128)),
        ]
    }

    private func gguf(_ entries: [(String, GGUFValue)], _ name: String = #function) throws -> GGUFFile {
        var w = try GGUFWriter()
        for (k, v) in entries { try w.add(k, v) }
        let url = try TestPaths.scratch(name).appendingPathComponent("m.gguf")
        try w.write(to: url)
        return try GGUFFile(path: url.path)
    }

    private func replacing(_ key: String, with value: GGUFValue?) -> [(String, GGUFValue)] {
        llama.compactMap { $0.0 == key ? value.map { (key, $0) } : $0 }
    }

    func testFromGGUF_derivesTheSameShapesAsTheProfile() throws {
        let file = try gguf(llama)
        let m = try ModelProfile.fromGGUF(file, name: "llama3-8b")
        let fromYAML = try XCTUnwrap(
            try ProfileLoader.load(file: TestPaths.packageRoot.appendingPathComponent("profiles/llama3-8b.yaml")).models
                .first)
        XCTAssertEqual(m.decodeShapes().map(\.shape), fromYAML.decodeShapes().map(\.shape))
        XCTAssertNil(m.headDim, "key_length equal to hidden/heads is the default")
        XCTAssertEqual(m.source, file.path)
        XCTAssertEqual(try ModelProfile.fromGGUF(file).name, "Meta Llama 3 8B", "general.name by default")
    }

    func testFromGGUF_vocabFromTokenListAndExplicitHeadDim() throws {
        let tokens = GGUFValue.array(
            GGUFArray(elementType: .string, values: Array(repeating: .string("t"), count: 262144)))
        let m = try ModelProfile.fromGGUF(
            try gguf([
                ("general.architecture", .string("gemma3")),
                ("gemma3.embedding_length", .uint32(640)), ("gemma3.block_count", .uint32(18)),
                ("gemma3.feed_forward_length", .uint32(2048)), ("gemma3.attention.head_count", .uint32(4)),
                ("gemma3.attention.head_count_kv", .uint32(1)), ("gemma3.attention.key_length", .uint32(256)),
                ("tokenizer.ggml.tokens", tokens),
            ]))
        XCTAssertEqual(m.name, "gemma3")
        XCTAssertEqual(m.headDim, 256)
        XCTAssertEqual(m.vocabSize, 262144)
        XCTAssertEqual(m.weightShape(.q).outputs, 1024)
    }

    func testFromGGUF_missingAndMalformedKeysAreNamed() throws {
        let noBlocks = try gguf(replacing("llama.block_count", with: nil), "noBlocks")
        XCTAssertThrowsError(try ModelProfile.fromGGUF(noBlocks)) {
            XCTAssertEqual(
                "\($0)",
                "\(noBlocks.path): GGUF metadata 'llama.block_count' should be a positive integer, found nothing")
        }
        let noFFN = try gguf(replacing("llama.feed_forward_length", with: nil), "noFFN")
        XCTAssertThrowsError(try ModelProfile.fromGGUF(noFFN)) {
            XCTAssertTrue("\($0)".contains("lacks llama.feed_forward_length"), "\($0)")
        }
        let badKV = try gguf(replacing("llama.attention.head_count_kv", with: .uint32(5)), "badKV")
        XCTAssertThrowsError(try ModelProfile.fromGGUF(badKV)) {
            XCTAssertEqual("\($0)", "\(badKV.path): model dimensions: kv_heads: 5 must divide heads (32)")
        }
        let noArch = try gguf([("llama.block_count", .uint32(2))], "noArch")
        XCTAssertThrowsError(try ModelProfile.fromGGUF(noArch)) {
            XCTAssertTrue("\($0)".contains("general.architecture"), "\($0)")
        }
        let huge = try gguf(replacing("llama.embedding_length", with: .uint64(.max)), "huge")
        XCTAssertThrowsError(try ModelProfile.fromGGUF(huge))
    }
}
