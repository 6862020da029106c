// LLMTokenizer: tiny hand-made vocabularies whose token ids can be checked by hand (merge order, byte
// fallback, special-token partition, whitespace runs, pre-tokenizer splits, errors), and oracles from llama.cpp:
// the ids `llama-tokenize` gives for the Gemma 3 270M vocabulary (Tests/Fixtures/llm/tokenizer-gemma3.json,
// made by Tests/Scripts/llm/make_tokenizer_fixture.py) and llama.cpp's own vocab test files (.gguf/.inp/.out).
import Foundation
import QBenchCore
import QBenchTestSupport
import XCTest
@testable import QBenchLLM
@testable import QBenchModelFiles
@testable import QBenchSupport

final class TokenizerTests: XCTestCase {
    // MARK: helpers

    static let fileName = "tokenizer-test.gguf"

    /// A GGUF holding only `entries`, opened from memory.
    static func gguf(_ entries: [(String, GGUFValue)]) throws -> GGUFFile {
        var w = try GGUFWriter()
        try w.add("general.architecture", .string("llama"))
        for (k, v) in entries { try w.add(k, v) }
        return try GGUFFile(file: MappedFile(copying: [UInt8](try w.encoded()), name: fileName))
    }

    static func strings(_ s: [String]) -> GGUFValue {
        .array(GGUFArray(elementType: .string, values: s.map { .string($0) }))
    }

    static func floats(_ f: [Float]) -> GGUFValue {
        .array(GGUFArray(elementType: .float32, values: f.map { .float32($0) }))
    }

    static func int32s(_ i: [Int]) -> GGUFValue {
        .array(GGUFArray(elementType: .int32, values: i.map { .int32(Int32($0)) }))
    }

    // Token types as tokenizer.ggml.token_type stores them.
    static let normal = 1, unknown = 2, control = 3, userDefined = 4, byte = 6

    /// A SentencePiece vocabulary: (text, score, type) by id.
    static let spmVocab: [(String, Float, Int)] = [
        ("<unk>", 0, unknown),  // 0
        ("<s>", 0, control),  // 1
        ("</s>", 0, control),  // 2
        ("<0x0A>", 0, byte),  // 3
        ("<0xC3>", 0, byte),  // 4
        ("<0xA9>", 0, byte),  // 5
        ("\u{2581}", -1, normal),  // 6  "▁"
        ("a", -2, normal),  // 7
        ("b", -2, normal),  // 8
        ("c", -2, normal),  // 9
        ("d", -2, normal),  // 10
        ("ab", -5, normal),  // 11
        ("bc", -1, normal),  // 12
        ("cd", -1, normal),  // 13
        ("\u{2581}a", -3, normal),  // 14 "▁a"
        ("\u{2581}\u{2581}", -4, normal),  // 15 "▁▁"
        ("<tag>", 0, userDefined),  // 16
        ("<ctl>", 0, control),  // 17
        ("<", -2, normal),  // 18
        (">", -2, normal),  // 19
        ("tag>bc", 0, userDefined),  // 20
    ]

    static func spm(spacePrefix: Bool = false, extra: [(String, GGUFValue)] = []) throws -> LLMTokenizer {
        try LLMTokenizer(
            gguf: gguf(
                [
                    ("tokenizer.ggml.model", .string("llama")),
                    ("tokenizer.ggml.tokens", strings(spmVocab.map(\.0))),
                    ("tokenizer.ggml.scores", floats(spmVocab.map(\.1))),
                    ("tokenizer.ggml.token_type", int32s(spmVocab.map(\.2))),
                    ("tokenizer.ggml.bos_token_id", .uint32(1)),
                    ("tokenizer.ggml.eos_token_id", .uint32(2)),
                    ("tokenizer.ggml.unknown_token_id", .uint32(0)),
                    ("tokenizer.ggml.add_bos_token", .bool(true)),
                    ("tokenizer.ggml.add_space_prefix", .bool(spacePrefix)),
                ] + extra))
    }

    /// A byte-level BPE vocabulary ("Ġ" is the space, "Ċ" the newline) and its merges, in rank order.
    static let bpeTokens = [
        "h", "e", "l", "o", "\u{120}", "\u{10A}", "1", "2", "3", "4",  // 0-9
        "ll", "he", "hell", "hello", "\u{120}h", "\u{120}\u{120}", "<|bos|>", "<|user|>", "lo", "el",  // 10-19
        "12", "hel", "\u{120}\u{120}\u{120}",  // 20-22
    ]
    static let bpeMerges = [
        "l l", "h e", "he ll", "hell o", "\u{120} h", "\u{120} \u{120}", "l o", "e l", "1 2",
        "\u{120}\u{120} \u{120}",
    ]

    static func bpe(pre: String, extra: [(String, GGUFValue)] = []) throws -> LLMTokenizer {
        var types = [Int](repeating: normal, count: bpeTokens.count)
        types[16] = control
        types[17] = userDefined
        return try LLMTokenizer(
            gguf: gguf(
                [
                    ("tokenizer.ggml.model", .string("gpt2")),
                    ("tokenizer.ggml.pre", .string(pre)),
                    ("tokenizer.ggml.tokens", strings(bpeTokens)),
                    ("tokenizer.ggml.token_type", int32s(types)),
                    ("tokenizer.ggml.merges", strings(bpeMerges)),
                    ("tokenizer.ggml.bos_token_id", .uint32(16)),
                    ("tokenizer.ggml.eos_token_id", .uint32(16)),
                ] + extra))
    }

    // MARK: SentencePiece

    func testSentencePiece_readsTheFilesSettings() throws {
        let t = try Self.spm()
        XCTAssertEqual(t.model, .sentencePiece)
        XCTAssertNil(t.preTokenizer)
        XCTAssertEqual(t.vocabSize, Self.spmVocab.count)
        XCTAssertEqual(t.bosID, 1)
        XCTAssertEqual(t.eosID, 2)
        XCTAssertEqual(t.unknownID, 0)
        XCTAssertTrue(t.addsBOS)
        XCTAssertFalse(t.addsEOS)
        XCTAssertFalse(t.addsSpacePrefix)
        XCTAssertEqual(t.tokenType(16), .userDefined)
        XCTAssertEqual(t.tokenID("\u{2581}a"), 14)
    }

    func testSentencePiece_mergesTheHighestScoringPairFirst() throws {
        let t = try Self.spm()
        // "bc" (-1) beats "ab" (-5) although "ab" is further left: a | bc.
        XCTAssertEqual(t.encode("abc"), [1, 7, 12])
        // "bc" and "cd" tie at -1: the leftmost pair merges first, and "d" is left alone.
        XCTAssertEqual(t.encode("bcd"), [1, 12, 10])
        XCTAssertEqual(t.encode("abc", addBOS: false), [7, 12])
        XCTAssertEqual(t.encode(""), [1])
        XCTAssertEqual(t.encode("", addBOS: false), [])
    }

    func testSentencePiece_escapesSpacesAndScoresWhitespaceRuns() throws {
        let t = try Self.spm()
        XCTAssertEqual(t.encode(" a"), [1, 14])
        // "▁▁a": "▁a" (-3) outranks "▁▁" (-4), so the first space stays alone.
        XCTAssertEqual(t.encode("  a"), [1, 6, 14])
        XCTAssertEqual(t.encode("   "), [1, 15, 6])
    }

    func testSentencePiece_fallsBackToByteTokens() throws {
        let t = try Self.spm()
        // "é" (C3 A9) is not a token: its two bytes are; the newline is <0x0A>.
        XCTAssertEqual(t.encode("a é\n"), [1, 7, 6, 4, 5, 3])
        XCTAssertEqual(t.decode([1, 7, 6, 4, 5, 3]), "a é\n")
        XCTAssertEqual(t.decode([1, 7, 6, 4, 5, 3], renderSpecial: true), "<s>a é\n")
        XCTAssertEqual(t.piece(14), " a")
        XCTAssertEqual(t.piece(4), "\u{FFFD}")
        XCTAssertEqual(t.piece(17), "<ctl>")
        XCTAssertEqual(t.piece(99), "")
    }

    func testSentencePiece_aByteWithoutAByteTokenBecomesTheUnknownToken() throws {
        // llama.cpp aborts here (byte_to_token finds nothing); this tokenizer uses the unknown token instead.
        let t = try Self.spm()
        XCTAssertEqual(t.encode("t", addBOS: false), [0])
    }

    func testSentencePiece_partitionsUserDefinedTokensAlwaysAndControlTokensOnlyWhenParsingSpecials() throws {
        let t = try Self.spm()
        XCTAssertEqual(t.encode("a<tag>b", parseSpecial: false), [1, 7, 16, 8])
        XCTAssertEqual(t.encode("a<tag>b"), [1, 7, 16, 8])
        XCTAssertEqual(t.encode("a<ctl>b"), [1, 7, 17, 8])
        // Not parsed: "<ctl>" is text - "<", "c", then t and l (no token, no byte token: unknown), ">".
        XCTAssertEqual(t.encode("a<ctl>b", parseSpecial: false), [1, 7, 18, 9, 0, 0, 19, 8])
        XCTAssertEqual(t.encode("<tag><tag>", addBOS: false), [16, 16])
    }

    func testSentencePiece_longerSpecialTokensClaimTheTextFirst() throws {
        let t = try Self.spm()
        // "tag>bc" (6 bytes) is matched before "<tag>" (5), though "<tag>" starts further left.
        XCTAssertEqual(t.encode("a<tag>bc"), [1, 7, 18, 20])
        XCTAssertEqual(t.encode("a<tag>b"), [1, 7, 16, 8])
    }

    func testSentencePiece_spacePrefixGoesInFrontAndAfterEachSpecialToken() throws {
        let t = try Self.spm(spacePrefix: true)
        XCTAssertTrue(t.addsSpacePrefix)
        XCTAssertEqual(t.encode("a"), [1, 14])
        XCTAssertEqual(t.encode("a<tag>a"), [1, 14, 16, 14])
        // As llama_detokenize: the first token loses its space prefix - but not when BOS comes first.
        XCTAssertEqual(t.decode([14]), "a")
        XCTAssertEqual(t.decode([1, 14]), " a")
    }

    func testSentencePiece_addsEOSWhenTheFileSaysSo() throws {
        let t = try Self.spm(extra: [("tokenizer.ggml.add_eos_token", .bool(true))])
        XCTAssertEqual(t.encode("ab"), [1, 11, 2])
        XCTAssertEqual(t.encode("ab", addBOS: false), [11])
    }

    // MARK: byte-level BPE

    func testBPE_mergesByRankLowestFirst() throws {
        let t = try Self.bpe(pre: "gpt-2")
        XCTAssertEqual(t.model, .bytePairEncoding)
        XCTAssertEqual(t.preTokenizer, .gpt2)
        XCTAssertFalse(t.addsBOS)
        XCTAssertEqual(t.encode("hello"), [13])
        // "l l" (rank 0) before "e l" (rank 7), though "e l" is further left.
        XCTAssertEqual(t.encode("ell"), [1, 10])
        // Two equal pairs: the leftmost merges.
        XCTAssertEqual(t.encode("lll"), [10, 2])
        XCTAssertEqual(t.encode("helo"), [11, 18])
        XCTAssertEqual(t.encode("hello", addBOS: true), [16, 13])
    }

    func testBPE_gpt2SplitsWordsSpacesAndNumbers() throws {
        let t = try Self.bpe(pre: "gpt-2")
        // "hello" | " " | " hello" | "\n\n" | " 1212": a run of spaces leaves its last one to the next word.
        XCTAssertEqual(t.encode("hello  hello\n\n 1212"), [13, 4, 4, 13, 5, 5, 4, 20, 20])
        XCTAssertEqual(t.decode([13, 4, 4, 13, 5, 5, 4, 20, 20]), "hello  hello\n\n 1212")
        // Three trailing spaces are one word: "ĠĠ Ġ" merges after "Ġ Ġ".
        XCTAssertEqual(t.encode("hello   "), [13, 22])
        // Merges do not cross words: "hel" is a token but this pre-tokenizer merges it as he | l.
        XCTAssertEqual(t.encode("hel"), [11, 2])
    }

    func testBPE_llama3SplitsDigitsInThreesAndTakesWholeWordTokens() throws {
        let t = try Self.bpe(pre: "llama-bpe")
        XCTAssertEqual(t.preTokenizer, .llama3)
        XCTAssertTrue(t.addsBOS)
        XCTAssertEqual(t.encode("1212"), [16, 20, 6, 7])  // BOS, "121" as 12 | 1, "2"
        XCTAssertEqual(t.encode("hel", addBOS: false), [21])  // ignore_merges: the whole word is a token
        XCTAssertEqual(t.encode("hello\n\n hello", addBOS: false), [13, 5, 5, 4, 13])
    }

    func testBPE_qwen2SplitsSingleDigits() throws {
        let t = try Self.bpe(pre: "qwen2")
        XCTAssertEqual(t.preTokenizer, .qwen2)
        XCTAssertEqual(t.encode("1212"), [6, 7, 6, 7])
        XCTAssertEqual(t.encode("hel"), [11, 2])
    }

    func testBPE_defaultSplitsPunctuationThenNumbersInThrees() throws {
        let t = try Self.bpe(pre: "default")
        XCTAssertEqual(t.preTokenizer, .default)
        XCTAssertEqual(t.encode("1212"), [20, 6, 7])  // "121" | "2"
    }

    /// The words each pre-tokenizer cuts, worked out by hand from llama.cpp's regexes and scanners.
    func testPreTokenizers_cutWordsAsLlamaCpp() {
        func words(_ split: PreTokenizerSplit, _ text: String) -> [String] {
            let bytes = Array(text.utf8)
            return split.words(bytes[...]).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
        XCTAssertEqual(
            words(.gpt2, "Hello  world's 12 ab\n\n"), ["Hello", " ", " world", "'s", " 12", " ab", "\n\n"])
        XCTAssertEqual(words(.gpt2, "IT'S"), ["IT", "'", "S"])
        XCTAssertEqual(
            words(.llama3, "Hello  world's 1234 ab\n\n x"),
            ["Hello", " ", " world", "'s", " ", "123", "4", " ab", "\n\n", " x"])
        XCTAssertEqual(words(.llama3, "IT'S"), ["IT", "'S"])
        XCTAssertEqual(words(.llama3, "x!!\n\nok (a)"), ["x", "!!\n\n", "ok", " (", "a", ")"])
        XCTAssertEqual(words(.qwen2, "1234 ab"), ["1", "2", "3", "4", " ab"])
        XCTAssertEqual(words(.defaultSplit, "a,b 12345 c!!d"), ["a", ",", "b", " ", "123", "45", " c", "!!", "d"])
        XCTAssertEqual(
            words(.llama3, "caf\u{E9} \u{4F60}\u{597D}\u{3002}"), ["caf\u{E9}", " \u{4F60}\u{597D}", "\u{3002}"])
        XCTAssertEqual(words(.gpt2, ""), [])
    }

    func testBPE_partitionsSpecialTokens() throws {
        let t = try Self.bpe(pre: "gpt-2")
        XCTAssertEqual(t.encode("hello<|user|>hello", parseSpecial: false), [13, 17, 13])
        XCTAssertEqual(t.encode("<|bos|>hello"), [16, 13])
        XCTAssertEqual(t.decode([16, 13]), "hello")
        XCTAssertEqual(t.decode([16, 13], renderSpecial: true), "<|bos|>hello")
    }

    func testBPE_decodeCleansSpacesAsLlamaCpp() {
        func clean(_ s: String) -> String { String(decoding: LLMTokenizer.cleanSpaces(Array(s.utf8)), as: UTF8.self) }
        XCTAssertEqual(clean("a , b . c ? d !"), "a, b. c? d!")
        XCTAssertEqual(clean("it 's I 'm we 're they 've"), "it's I'm we're they've")
        XCTAssertEqual(clean("don 't we 'll"), "don 't we 'll")
        XCTAssertEqual(clean("x ' y"), "x'y")
    }

    // MARK: errors

    func testInit_refusesAFileWithoutATokenizerNamingTheKey() throws {
        let g = try Self.gguf([])
        assertRejects(try LLMTokenizer(gguf: g), "'tokenizer.ggml.model'")
    }

    func testInit_refusesAnUnsupportedModelNamingIt() throws {
        let g = try Self.gguf([
            ("tokenizer.ggml.model", .string("bert")), ("tokenizer.ggml.tokens", Self.strings(["a"])),
        ])
        assertRejects(try LLMTokenizer(gguf: g), "unsupported tokenizer model 'bert'", "'tokenizer.ggml.model'")
    }

    func testInit_refusesMissingOrMistypedKeysNamingThem() throws {
        assertRejects(
            try LLMTokenizer(gguf: Self.gguf([("tokenizer.ggml.model", .string("llama"))])), "'tokenizer.ggml.tokens'")
        assertRejects(
            try LLMTokenizer(
                gguf: Self.gguf([
                    ("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", .string("a b")),
                ])), "'tokenizer.ggml.tokens' should be an array of strings")
        assertRejects(
            try LLMTokenizer(
                gguf: Self.gguf([
                    ("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.strings(["a", "b"])),
                    ("tokenizer.ggml.scores", Self.floats([0])),
                ])), "'tokenizer.ggml.scores' has 1 scores for 2 tokens")
        assertRejects(
            try LLMTokenizer(
                gguf: Self.gguf([
                    ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", Self.strings(["a"])),
                ])), "'tokenizer.ggml.merges'")
        assertRejects(
            try Self.spm(extra: [("tokenizer.ggml.add_eos_token", .uint8(1))]), "'tokenizer.ggml.add_eos_token'")
    }

    func testInit_refusesAnUnsupportedPreTokenizerNamingIt() throws {
        assertRejects(try Self.bpe(pre: "kimi-k2"), "unsupported BPE pre-tokenizer 'kimi-k2'", "'tokenizer.ggml.pre'")
    }

    func assertRejects(
        _ body: @autoclosure () throws -> LLMTokenizer, _ fragments: String..., file: StaticString = #filePath,
        line: UInt = #line
    ) {
        do {
            _ = try body()
            XCTFail("expected the tokenizer to be refused", file: file, line: line)
        } catch let QBError.badInput(path, message) {
            XCTAssertEqual(path, Self.fileName, file: file, line: line)
            XCTAssertFalse(message.contains(where: \.isNewline), "not one line: \(message)", file: file, line: line)
            for f in fragments {
                XCTAssertTrue(message.contains(f), "'\(message)' lacks '\(f)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected QBError.badInput, got \(error)", file: file, line: line)
        }
    }

    // MARK: oracles: llama.cpp

    struct GemmaFixture: Decodable {
        struct Case: Decodable {
            let name: String
            let text: String
            let ids: [Int32]
            let ids_no_parse_special: [Int32]
        }
        let llama_cpp_version: String
        let cases: [Case]
    }

    static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/llm")

    /// Gemma 3's SentencePiece vocabulary against the ids `llama-tokenize` printed for each fixture text, with
    /// its default flags (BOS, special tokens parsed) and with --no-parse-special.
    func testGemma3_matchesLlamaTokenizeOnEveryFixtureText() throws {
        let path = try GGUFRealFileTests.gemmaPath()
        let fixture = try JSONDecoder().decode(
            GemmaFixture.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("tokenizer-gemma3.json")))
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 30)
        let t = try LLMTokenizer(gguf: GGUFFile(path: path))
        XCTAssertEqual(t.model, .sentencePiece)
        XCTAssertEqual(t.vocabSize, 262_144)
        XCTAssertTrue(t.addsBOS)
        XCTAssertFalse(t.addsSpacePrefix)
        var mismatches: [String] = []
        for c in fixture.cases {
            let ids = t.encode(c.text)
            if ids != c.ids { mismatches.append("\(c.name): got \(ids), llama.cpp \(c.ids)") }
            let raw = t.encode(c.text, parseSpecial: false)
            if raw != c.ids_no_parse_special {
                mismatches.append("\(c.name) (no parse special): got \(raw), llama.cpp \(c.ids_no_parse_special)")
            }
            // Decoding what llama.cpp produced gives back the text (Gemma's vocabulary has byte fallback).
            if !c.text.contains("<") {
                XCTAssertEqual(t.decode(c.ids_no_parse_special), c.text, c.name)
            }
        }
        XCTAssertEqual(mismatches, [], "against llama.cpp \(fixture.llama_cpp_version)")
    }

    /// The texts of a llama.cpp vocab test (`.inp`: texts between "\n__ggml_vocab_test__\n") and their ids
    /// (`.out`: one line of ids per text), tokenized without BOS and without parsing special tokens.
    static func vocabTestCases(_ base: URL) throws -> [(String, [Int32])] {
        let inp = try String(contentsOf: base.appendingPathExtension("inp"), encoding: .utf8)
        let out = try String(contentsOf: base.appendingPathExtension("out"), encoding: .utf8)
        var texts = inp.components(separatedBy: "\n__ggml_vocab_test__\n")
        if texts.last == "" { texts.removeLast() }
        var lines = out.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        XCTAssertEqual(texts.count, lines.count, base.lastPathComponent)
        return zip(texts, lines).map { text, line in
            (text, line.split(separator: " ").compactMap { Int32($0) })
        }
    }

    func checkVocabTest(_ base: URL, model: LLMTokenizer.Model, pre: LLMTokenizer.PreTokenizer?) throws {
        let t = try LLMTokenizer(gguf: GGUFFile(path: base.path))
        XCTAssertEqual(t.model, model)
        XCTAssertEqual(t.preTokenizer, pre)
        let cases = try Self.vocabTestCases(base)
        XCTAssertGreaterThan(cases.count, 20)
        for (text, ids) in cases {
            XCTAssertEqual(
                t.encode(text, addBOS: false, parseSpecial: false), ids, "\(base.lastPathComponent): \(text)")
        }
    }

    /// llama.cpp's vocab test for Llama 2 (SentencePiece with a space prefix), copied from its sdist (MIT, see
    /// LICENSE-llama.cpp). Llama 3's byte-level BPE vocabulary is 7.8 MB, too large to commit: it runs with the
    /// others from $QBENCH_LLAMA_CPP_MODELS below.
    func testVocabs_matchLlamaCppVocabTests() throws {
        try checkVocabTest(
            Self.fixtures.appendingPathComponent("ggml-vocab-llama-spm.gguf"), model: .sentencePiece, pre: nil)
    }

    /// The same for vocab tests not committed here (to keep the fixtures small), from a llama.cpp source tree's
    /// models/ folder named by $QBENCH_LLAMA_CPP_MODELS.
    func testVocabs_matchLlamaCppVocabTestsOutsideTheRepo() throws {
        let dir = ProcessInfo.processInfo.environment["QBENCH_LLAMA_CPP_MODELS"] ?? ""
        try XCTSkipIf(dir.isEmpty, "set QBENCH_LLAMA_CPP_MODELS to a llama.cpp source tree's models/ folder")
        let vocabs: [(String, LLMTokenizer.Model, LLMTokenizer.PreTokenizer?)] = [
            ("llama-bpe", .bytePairEncoding, .llama3), ("qwen2", .bytePairEncoding, .qwen2),
            ("gpt-2", .bytePairEncoding, .gpt2),
            ("phi-3", .sentencePiece, nil),
        ]
        for (name, model, pre) in vocabs {
            try checkVocabTest(
                URL(fileURLWithPath: dir).appendingPathComponent("ggml-vocab-\(name).gguf"), model: model, pre: pre)
        }
    }

    struct RandomFixture: Decodable {
        struct Vocab: Decodable {
            let file: String?
            let ids: [[[Int32]]]
        }
        let llama_cpp_version: String
        let texts: [String]
        let vocabs: [String: Vocab]
    }

    static func randomFixture() throws -> RandomFixture {
        try JSONDecoder().decode(
            RandomFixture.self, from: Data(contentsOf: fixtures.appendingPathComponent("tokenizer-random.json")))
    }

    /// Every random text of tokenizer-random.json through the vocabulary `name` at `path`, in both modes.
    func checkRandomTexts(_ fixture: RandomFixture, _ name: String, _ path: String) throws {
        let vocab = try XCTUnwrap(fixture.vocabs[name], name)
        XCTAssertEqual(vocab.ids.count, fixture.texts.count, name)
        let t = try LLMTokenizer(gguf: GGUFFile(path: path))
        for (text, expected) in zip(fixture.texts, vocab.ids) {
            XCTAssertEqual(t.encode(text), expected[0], "\(name): \(text.debugDescription)")
            XCTAssertEqual(
                t.encode(text, parseSpecial: false), expected[1], "\(name), no parse special: \(text.debugDescription)")
        }
    }

    /// Seeded random texts (mixed scripts, whitespace runs, emoji, control characters, special-token strings)
    /// against llama-tokenize, for the vocabularies committed here.
    func testRandomTexts_matchLlamaTokenize() throws {
        let fixture = try Self.randomFixture()
        XCTAssertGreaterThanOrEqual(fixture.texts.count, 30)
        try checkRandomTexts(
            fixture, "llama-spm", Self.fixtures.appendingPathComponent("ggml-vocab-llama-spm.gguf").path)
    }

    func testRandomTexts_matchLlamaTokenizeForGemma3() throws {
        let path = try GGUFRealFileTests.gemmaPath()
        try checkRandomTexts(Self.randomFixture(), "gemma3", path)
    }

    /// The other vocabularies of the random fixture (default and qwen2 pre-tokenizers, phi-3's whitespace
    /// stripping, a SentencePiece model with a space prefix) from $QBENCH_LLAMA_CPP_MODELS.
    func testRandomTexts_matchLlamaTokenizeForLlamaCppModels() throws {
        let dir = ProcessInfo.processInfo.environment["QBENCH_LLAMA_CPP_MODELS"] ?? ""
        try XCTSkipIf(dir.isEmpty, "set QBENCH_LLAMA_CPP_MODELS to a llama.cpp source tree's models/ folder")
        let fixture = try Self.randomFixture()
        for (name, vocab) in fixture.vocabs.sorted(by: { $0.key < $1.key }) where name != "gemma3" {
            let file = try XCTUnwrap(vocab.file, name)
            try checkRandomTexts(fixture, name, URL(fileURLWithPath: dir).appendingPathComponent(file).path)
        }
    }

    // MARK: speed

    /// About 50 KB of English through the Gemma tokenizer; reports the time (and fails only when it is far off,
    /// which is what an O(n^2) pass would be).
    func testGemma3_encodesFiftyKilobytesQuickly() throws {
        let path = try GGUFRealFileTests.gemmaPath()
        let t = try LLMTokenizer(gguf: GGUFFile(path: path))
        let paragraph = """
            It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of \
            foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, \
            it was the season of Darkness, it was the spring of hope, it was the winter of despair. In 1859 the \
            novel appeared in 31 weekly parts; its sentences run long, and its numbers (1775, 1789, 1793) mark the \
            years of the story.\n\n
            """
        var text = ""
        var i = 0
        while text.utf8.count < 50_000 {
            text += paragraph.replacingOccurrences(of: "times", with: "times \(i)")
            i += 1
        }
        let start = DispatchTime.now()
        let ids = t.encode(text)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        print("encoded \(text.utf8.count) bytes into \(ids.count) tokens in \(String(format: "%.3f", seconds)) s")
        XCTAssertGreaterThan(ids.count, 5_000)
        XCTAssertEqual(t.decode(ids), text)
        XCTAssertLessThan(seconds, 20, "encoding 50 KB should take well under a second in release")
    }
}
