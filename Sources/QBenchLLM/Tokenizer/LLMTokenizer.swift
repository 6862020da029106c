// The tokenizer of a GGUF model, byte for byte as llama.cpp's (src/llama-vocab.cpp) tokenizes:
//   1. special-token partition: the vocabulary's special tokens found in the raw text become single tokens,
//      longest first (user-defined tokens always; control and unknown tokens only when special tokens are
//      parsed, as `llama-tokenize` does by default);
//   2. each run of text between them goes to the model's tokenizer:
//      - SentencePiece (`tokenizer.ggml.model` "llama"): a space prefix only when add_space_prefix, spaces
//        escaped to U+2581, one symbol per UTF-8 character, adjacent pairs merged while the pair is a token,
//        highest score first (ties to the leftmost), then any symbol that is not a token as <0xXX> byte tokens;
//      - GPT-2 byte-level BPE ("gpt2"): the pre-tokenizer's words (PreTokenizer.swift), each byte mapped to a
//        printable character, pairs merged by `tokenizer.ggml.merges` rank, lowest first;
//   3. BOS in front (and EOS at the end) when the file says so.
import QBenchModelFiles
import QBenchSupport

/// A GGUF model's tokenizer: text to token ids and back, as llama.cpp does it.
public struct LLMTokenizer: Sendable {
    /// The tokenizer models this suite implements, as `tokenizer.ggml.model` spells them.
    public enum Model: String, Sendable, CaseIterable {
        /// SentencePiece BPE with scores and byte fallback (Llama 1/2, Gemma, Mistral).
        case sentencePiece = "llama"
        /// GPT-2 style byte-level BPE with merges (Llama 3, Qwen 2, GPT-2).
        case bytePairEncoding = "gpt2"
    }

    /// The BPE pre-tokenizers implemented, by family; `tokenizer.ggml.pre` names map onto them as llama.cpp maps.
    public enum PreTokenizer: String, Sendable, CaseIterable {
        case `default`
        case gpt2 = "gpt-2"
        case llama3 = "llama-bpe"
        case qwen2

        /// The `tokenizer.ggml.pre` values of each family (llama.cpp's llama_vocab::impl::load).
        static func named(_ name: String) -> PreTokenizer? {
            switch name {
            case "", "default": return .default
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
                "mellum", "modern-bert", "exaone4":
                return .gpt2
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                "jina-v5-nano":
                return .llama3
            case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez": return .qwen2
            default: return nil
            }
        }
    }

    /// A token's type, as `tokenizer.ggml.token_type` stores it (llama.cpp's llama_token_type).
    public enum TokenType: Int, Sendable {
        case undefined = 0
        case normal = 1
        case unknown = 2
        case control = 3
        case userDefined = 4
        case unused = 5
        case byte = 6
    }

    public let model: Model
    /// The BPE pre-tokenizer (nil for SentencePiece).
    public let preTokenizer: PreTokenizer?
    /// `tokenizer.ggml.pre` as the file spells it ("" when absent).
    public let preTokenizerName: String
    public let vocabSize: Int
    public let bosID: Int32?
    public let eosID: Int32?
    public let unknownID: Int32?
    /// Whether `encode` puts BOS in front by default (`tokenizer.ggml.add_bos_token`, else llama.cpp's default).
    public let addsBOS: Bool
    /// Whether `encode` appends EOS when it adds BOS (`tokenizer.ggml.add_eos_token`).
    public let addsEOS: Bool
    /// SentencePiece: a space in front of the text and after each special token (`tokenizer.ggml.add_space_prefix`).
    public let addsSpacePrefix: Bool

    let vocab: Vocabulary
    let preSplit: PreTokenizerSplit?
    /// llama.cpp's "ignore_merges": a whole pre-tokenized word that is a token is taken as it is (llama-bpe).
    let ignoresMerges: Bool
    /// llama.cpp's "clean_spaces", applied when decoding (" ." to ".", and so on).
    let cleansSpaces: Bool

    /// The tokenizer in `gguf`'s metadata.
    ///
    /// - Throws: `QBError.badInput` naming the file and the missing or mistyped `tokenizer.ggml.*` key, an
    ///   unsupported tokenizer model or pre-tokenizer, or a BOS/EOS the file asks for but does not name.
    public init(gguf: GGUFFile) throws {
        let m = gguf.metadata
        func bad(_ message: String) -> QBError { QBError.badInput(path: gguf.path, message: message).oneLine }
        func found(_ v: GGUFValue) -> String {
            switch v {
            case let .array(a): return "an array of \(a.count) \(a.elementType)"
            case let .string(s): return "the string \(quoted(s))"
            default: return "\(v.type) \(v)"
            }
        }

        let modelKey = "tokenizer.ggml.model"
        guard let modelValue = m[modelKey] else {
            throw bad("GGUF metadata has no \(quoted(modelKey)) (the tokenizer model); this file has no tokenizer")
        }
        guard let modelName = modelValue.stringValue else {
            throw bad("GGUF metadata \(quoted(modelKey)) should be a string, found \(found(modelValue))")
        }
        guard let model = Model(rawValue: modelName) else {
            let supported = Model.allCases.map { quoted($0.rawValue) }.joined(separator: ", ")
            throw bad(
                "unsupported tokenizer model \(quoted(modelName)) in \(quoted(modelKey)) (supported: \(supported))")
        }
        self.model = model

        // The vocabulary: tokens, scores, types.
        let tokensKey = "tokenizer.ggml.tokens"
        guard let tokensValue = m[tokensKey] else {
            throw bad("GGUF metadata has no \(quoted(tokensKey)) (the tokenizer vocabulary)")
        }
        guard let tokenArray = tokensValue.arrayValue, tokenArray.elementType == .string,
            let tokens = tokenArray.strings
        else {
            throw bad("GGUF metadata \(quoted(tokensKey)) should be an array of strings, found \(found(tokensValue))")
        }
        guard !tokens.isEmpty else { throw bad("GGUF metadata \(quoted(tokensKey)) is an empty vocabulary") }
        let n = tokens.count

        var scores = [Float](repeating: 0, count: n)
        let scoresKey = "tokenizer.ggml.scores"
        if let v = m[scoresKey] {
            guard let a = v.arrayValue, a.elementType == .float32 || a.elementType == .int32, let d = a.doubles
            else {
                throw bad("GGUF metadata \(quoted(scoresKey)) should be an array of float32, found \(found(v))")
            }
            guard d.count >= n else {
                throw bad("GGUF metadata \(quoted(scoresKey)) has \(d.count) scores for \(n) tokens")
            }
            for i in 0..<n { scores[i] = Float(d[i]) }
        }

        var types = [TokenType](repeating: .normal, count: n)
        let typesKey = "tokenizer.ggml.token_type"
        if let v = m[typesKey] {
            guard let a = v.arrayValue, a.elementType.isInteger, let t = a.integers else {
                throw bad("GGUF metadata \(quoted(typesKey)) should be an array of int32, found \(found(v))")
            }
            guard t.count >= n else {
                throw bad("GGUF metadata \(quoted(typesKey)) has \(t.count) token types for \(n) tokens")
            }
            for i in 0..<n { types[i] = TokenType(rawValue: t[i]) ?? .undefined }
        }

        // BPE merges and pre-tokenizer.
        var merges: [[UInt8]: Int32] = [:]
        let preName = m.string("tokenizer.ggml.pre") ?? ""
        preTokenizerName = preName
        var addBOS = model == .sentencePiece
        var spacePrefix = model == .sentencePiece
        var ignoreMerges = false
        var cleanSpaces = false
        switch model {
        case .sentencePiece:
            preTokenizer = nil
            preSplit = nil
        case .bytePairEncoding:
            let mergesKey = "tokenizer.ggml.merges"
            guard let v = m[mergesKey] else {
                throw bad("GGUF metadata has no \(quoted(mergesKey)) (the BPE merges of a 'gpt2' tokenizer)")
            }
            guard let a = v.arrayValue, a.elementType == .string, let lines = a.strings else {
                throw bad("GGUF metadata \(quoted(mergesKey)) should be an array of strings, found \(found(v))")
            }
            merges.reserveCapacity(lines.count)
            for (rank, line) in lines.enumerated() {
                let key = Vocabulary.mergeKey(line)
                if merges[key] == nil { merges[key] = Int32(rank) }
            }
            let preKey = "tokenizer.ggml.pre"
            if let v = m[preKey], v.stringValue == nil {
                throw bad("GGUF metadata \(quoted(preKey)) should be a string, found \(found(v))")
            }
            guard let pre = PreTokenizer.named(preName) else {
                let supported = PreTokenizer.allCases.map { quoted($0.rawValue) }.joined(separator: ", ")
                throw bad(
                    "unsupported BPE pre-tokenizer \(quoted(preName)) in \(quoted(preKey)) (supported: \(supported) "
                        + "and their aliases)")
            }
            preTokenizer = pre
            switch pre {
            case .default: preSplit = .defaultSplit
            case .gpt2: preSplit = .gpt2
            case .llama3: preSplit = .llama3
            case .qwen2: preSplit = .qwen2
            }
            spacePrefix = false
            cleanSpaces = pre != .qwen2 || preName == "megrez"
            if pre == .llama3 {
                ignoreMerges = true
                addBOS = true
            }
        }
        ignoresMerges = ignoreMerges
        cleansSpaces = cleanSpaces

        // Flags and special ids: llama.cpp's defaults, then the file's keys.
        func flag(_ key: String) throws -> Bool? {
            guard let v = m[key] else { return nil }
            guard let b = v.boolValue else {
                throw bad("GGUF metadata \(quoted(key)) should be a bool, found \(found(v))")
            }
            return b
        }
        if let b = try flag("tokenizer.ggml.add_space_prefix") { spacePrefix = b }
        addsSpacePrefix = spacePrefix
        func specialID(_ key: String, _ fallback: Int32?) throws -> Int32? {
            var id = fallback.flatMap { $0 >= 0 && Int($0) < n ? $0 : nil }
            if let v = m[key] {
                guard let i = v.intValue else {
                    throw bad("GGUF metadata \(quoted(key)) should be an integer token id, found \(found(v))")
                }
                if i >= 0 && i < n { id = Int32(i) }  // llama.cpp keeps the default for an id outside the vocabulary
            }
            return id
        }
        let spm = model == .sentencePiece
        bosID = try specialID("tokenizer.ggml.bos_token_id", spm ? 1 : 11)
        eosID = try specialID("tokenizer.ggml.eos_token_id", spm ? 2 : 11)
        unknownID = try specialID("tokenizer.ggml.unknown_token_id", spm ? 0 : nil)
        if let b = try flag("tokenizer.ggml.add_bos_token") { addBOS = b }
        let addEOS = try flag("tokenizer.ggml.add_eos_token") ?? false
        if addBOS && bosID == nil {
            throw bad("'tokenizer.ggml.add_bos_token' is true, but 'tokenizer.ggml.bos_token_id' is not set")
        }
        if addEOS && eosID == nil {
            throw bad("'tokenizer.ggml.add_eos_token' is true, but 'tokenizer.ggml.eos_token_id' is not set")
        }
        addsBOS = addBOS
        addsEOS = addEOS
        vocabSize = n

        var fimKeysPresent = Set<String>()
        for role in ["pre", "suf", "mid", "pad", "rep", "sep"] where m["tokenizer.ggml.fim_\(role)_token_id"] != nil {
            fimKeysPresent.insert(role)
        }
        vocab = Vocabulary(
            tokens: tokens, scores: scores, types: types, merges: merges, model: model, unknownID: unknownID,
            fimRolesFromMetadata: fimKeysPresent, modelName: m.string("general.name") ?? "", preName: preName,
            architecture: gguf.architecture ?? "")
    }

    // MARK: encoding

    /// The token ids of `text`.
    ///
    /// - Parameters:
    ///   - addBOS: put BOS in front (and EOS at the end when the file adds EOS); nil follows the file
    ///     (`addsBOS`), as `llama-tokenize` does.
    ///   - parseSpecial: match control tokens (e.g. `<start_of_turn>`, `<eos>`) in the text, as `llama-tokenize`
    ///     does by default; when false only user-defined tokens are matched and control-token text is tokenized
    ///     as plain text (`llama-tokenize --no-parse-special`).
    public func encode(_ text: String, addBOS: Bool? = nil, parseSpecial: Bool = true) -> [Int32] {
        let bytes = Array(text.utf8)
        let addSpecial = addBOS ?? addsBOS
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial, let bos = bosID { out.append(bos) }
        let fragments = bytes.isEmpty ? [] : vocab.partition(bytes, parseSpecial: parseSpecial)
        switch model {
        case .sentencePiece:
            var prevSpecial = true
            var scratch = SentencePieceScratch()
            for f in fragments {
                switch f {
                case let .token(id):
                    out.append(id)
                    prevSpecial = true
                case let .text(range):
                    encodeSentencePiece(bytes[range], spacePrefix: addsSpacePrefix && prevSpecial, &scratch, &out)
                    prevSpecial = false
                }
            }
        case .bytePairEncoding:
            for f in fragments {
                switch f {
                case let .token(id): out.append(id)
                case let .text(range): encodeBPE(bytes[range], &out)
                }
            }
        }
        if addSpecial && addsEOS, let eos = eosID { out.append(eos) }
        return out
    }

    struct SentencePieceScratch {
        var text: [UInt8] = []
        var queue = MergeQueue(byRank: false)
    }

    /// llama.cpp's llm_tokenizer_spm_session::tokenize on one run of text.
    func encodeSentencePiece(
        _ raw: ArraySlice<UInt8>, spacePrefix: Bool, _ s: inout SentencePieceScratch, _ out: inout [Int32]
    ) {
        s.text.removeAll(keepingCapacity: true)
        if spacePrefix { s.text.append(contentsOf: [0xE2, 0x96, 0x81]) }
        for b in raw {
            if b == 0x20 {
                s.text.append(contentsOf: [0xE2, 0x96, 0x81])
            } else {
                s.text.append(b)
            }
        }
        let text = s.text
        guard !text.isEmpty else { return }
        var sym = SymbolList(text, 0..<text.count)
        s.queue.removeAll()
        func tryAdd(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let start = Int(sym.start[Int(left)])
            let size = Int(sym.length[Int(left)] + sym.length[Int(right)])
            guard let id = vocab.ids[text[start..<start + size]] else { return }
            s.queue.push(
                Bigram(priority: vocab.scores[Int(id)], rank: 0, left: left, right: right, size: Int32(size)))
        }
        for i in 1..<Int32(sym.count) { tryAdd(i - 1, i) }
        while let b = s.queue.pop() {
            let ln = sym.length[Int(b.left)]
            let rn = sym.length[Int(b.right)]
            if ln == 0 || rn == 0 || ln + rn != b.size { continue }
            sym.merge(b.left, b.right)
            tryAdd(sym.prev[Int(b.left)], b.left)
            tryAdd(b.left, sym.next[Int(b.left)])
        }
        var i: Int32 = 0
        while i != -1 {
            let piece = sym.bytes(text, i)
            if let id = vocab.ids[piece] {
                out.append(id)
            } else {
                for byte in piece { if let id = vocab.byteTokens[Int(byte)] { out.append(id) } }
            }
            i = sym.next[Int(i)]
        }
    }

    /// llama.cpp's llm_tokenizer_bpe_session::tokenize on one run of text.
    func encodeBPE(_ raw: ArraySlice<UInt8>, _ out: inout [Int32]) {
        guard let split = preSplit else { return }
        var queue = MergeQueue(byRank: true)
        var word: [UInt8] = []
        var key: [UInt8] = []
        for range in split.words(raw) {
            word.removeAll(keepingCapacity: true)
            for b in raw[range] { word.append(contentsOf: ByteLevel.encoded[Int(b)]) }
            if ignoresMerges, let id = vocab.ids[word[...]] {
                out.append(id)
                continue
            }
            var sym = SymbolList(word, 0..<word.count)
            queue.removeAll()
            func tryAdd(_ left: Int32, _ right: Int32) {
                guard left >= 0, right >= 0 else { return }
                key.removeAll(keepingCapacity: true)
                key.append(contentsOf: sym.bytes(word, left))
                key.append(0x20)
                key.append(contentsOf: sym.bytes(word, right))
                guard let rank = vocab.merges[key] else { return }
                let size = sym.length[Int(left)] + sym.length[Int(right)]
                queue.push(Bigram(priority: 0, rank: rank, left: left, right: right, size: size))
            }
            for i in 1..<max(1, Int32(sym.count)) { tryAdd(i - 1, i) }
            while let b = queue.pop() {
                let ln = sym.length[Int(b.left)]
                let rn = sym.length[Int(b.right)]
                if ln == 0 || rn == 0 || ln + rn != b.size { continue }
                sym.merge(b.left, b.right)
                tryAdd(sym.prev[Int(b.left)], b.left)
                tryAdd(b.left, sym.next[Int(b.left)])
            }
            var i: Int32 = sym.count > 0 ? 0 : -1
            while i != -1 {
                let piece = sym.bytes(word, i)
                if let id = vocab.ids[piece] {
                    out.append(id)
                } else {
                    // As llama.cpp: each byte of the mapped text on its own, when that is a token; else dropped.
                    for byte in piece { if let id = vocab.ids[[byte][...]] { out.append(id) } }
                }
                i = sym.next[Int(i)]
            }
        }
    }

    // MARK: decoding

    /// The text of token `id` (control and unknown tokens as their text; a byte token's byte, which on its own
    /// may not be valid UTF-8, shows as U+FFFD); "" for an id outside the vocabulary.
    public func piece(_ id: Int32) -> String {
        String(decoding: pieceBytes(id, renderSpecial: true), as: UTF8.self)
    }

    /// The text of `ids`, as llama.cpp's llama_detokenize: pieces joined as bytes (so byte tokens combine into
    /// characters), the space prefix removed from the first, and clean-up of spaces where the tokenizer asks.
    /// Control and unknown tokens (BOS, EOS, `<end_of_turn>`) are left out unless `renderSpecial`.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var out: [UInt8] = []
        var removeSpace = addsSpacePrefix
        for id in ids {
            var p = pieceBytes(id, renderSpecial: renderSpecial)
            if removeSpace, p.first == 0x20 { p.removeFirst() }
            removeSpace = false
            out.append(contentsOf: p)
        }
        if cleansSpaces { out = Self.cleanSpaces(out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The type of token `id` (`.undefined` outside the vocabulary).
    public func tokenType(_ id: Int32) -> TokenType {
        guard id >= 0, Int(id) < vocabSize else { return .undefined }
        return vocab.types[Int(id)]
    }

    /// The id of the token whose text is exactly `text`, if any.
    public func tokenID(_ text: String) -> Int32? { vocab.ids[Array(text.utf8)[...]] }

    func pieceBytes(_ id: Int32, renderSpecial: Bool) -> [UInt8] {
        guard id >= 0, Int(id) < vocabSize else { return [] }
        let a = vocab.attrs[Int(id)]
        let text = vocab.tokens[Int(id)]
        if !renderSpecial && !a.isDisjoint(with: [.unknown, .control]) { return [] }
        if !a.isDisjoint(with: [.unknown, .control, .userDefined]) { return text }
        if a.contains(.normal) {
            switch model {
            case .sentencePiece: return Self.unescapeSpaces(text)
            case .bytePairEncoding: return ByteLevel.decode(text)
            }
        }
        if a.contains(.byte), text.count >= 5, let b = UInt8(String(decoding: text[3..<5], as: UTF8.self), radix: 16) {
            return [b]
        }
        return []
    }

    static func unescapeSpaces(_ t: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if i + 2 < t.count && t[i] == 0xE2 && t[i + 1] == 0x96 && t[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return out
    }

    /// llama.cpp's clean_spaces passes: drop the space before ? ! . , ; before a lone ' between spaces; and
    /// before 's 'm 're 've.
    static func cleanSpaces(_ input: [UInt8]) -> [UInt8] {
        let space = UInt8(ascii: " ")
        let quote = UInt8(ascii: "'")
        var t = input
        // First pass: " ?", " !", " .", " ,".
        var out: [UInt8] = []
        for (i, x) in t.enumerated() {
            if i > 0 && t[i - 1] == space && "?!.,".utf8.contains(x) { out.removeLast() }
            out.append(x)
        }
        t = out
        // Second pass: " ' " becomes "'" (llama.cpp overwrites the dropped space with a NUL, which the next
        // step then sees as the character before it).
        out = []
        var i = 0
        while i < t.count {
            let x = t[i]
            if i > 0 && x == quote && i + 1 < t.count && t[i - 1] == space && t[i + 1] == space {
                out.removeLast()
                out.append(x)
                t[i + 1] = 0
                i += 2
                continue
            }
            out.append(x)
            i += 1
        }
        t = out
        // Third pass: " 's", " 'm", " 're", " 've".
        out = []
        for (i, x) in t.enumerated() {
            if i > 0 && t[i - 1] == space && x == quote && i + 1 < t.count {
                let x1 = t[i + 1]
                if x1 == UInt8(ascii: "s") || x1 == UInt8(ascii: "m") {
                    out.removeLast()
                } else if i + 2 < t.count {
                    let x2 = t[i + 2]
                    if (x1 == UInt8(ascii: "r") || x1 == UInt8(ascii: "v")) && x2 == UInt8(ascii: "e") {
                        out.removeLast()
                    }
                }
            }
            out.append(x)
        }
        return out
    }
}
