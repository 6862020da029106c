// The vocabulary behind LLMTokenizer: token bytes, scores and attributes, lookups keyed by bytes (a Swift String
// key would merge canonically equivalent tokens, e.g. "é" and "e\u{301}"), the special-token partition and the
// GPT-2 byte-level alphabet.

/// A token's attributes, as llama.cpp's llama_token_attr bits (a token can gain CONTROL on top of its type).
struct TokenAttributes: OptionSet, Sendable {
    let rawValue: UInt32
    static let unknown = TokenAttributes(rawValue: 1 << 0)
    static let unused = TokenAttributes(rawValue: 1 << 1)
    static let normal = TokenAttributes(rawValue: 1 << 2)
    static let control = TokenAttributes(rawValue: 1 << 3)
    static let userDefined = TokenAttributes(rawValue: 1 << 4)
    static let byte = TokenAttributes(rawValue: 1 << 5)
    /// Whitespace before the token is dropped when the token is matched in text.
    static let lstrip = TokenAttributes(rawValue: 1 << 7)
    /// Whitespace after the token is dropped when the token is matched in text.
    static let rstrip = TokenAttributes(rawValue: 1 << 8)

    init(rawValue: UInt32) { self.rawValue = rawValue }

    init(_ type: LLMTokenizer.TokenType) {
        switch type {
        case .undefined: self = []
        case .normal: self = .normal
        case .unknown: self = .unknown
        case .control: self = .control
        case .userDefined: self = .userDefined
        case .unused: self = .unused
        case .byte: self = .byte
        }
    }
}

/// A piece of the text after the special-token partition.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(Int32)
}

struct Vocabulary: Sendable {
    /// Token bytes by id (an empty token becomes "[EMPTY_<id>]", as llama.cpp names it).
    let tokens: [[UInt8]]
    let scores: [Float]
    let types: [LLMTokenizer.TokenType]
    let attrs: [TokenAttributes]
    /// Token id by bytes; the first id wins when a file repeats a token.
    let ids: [ArraySlice<UInt8>: Int32]
    /// BPE merge rank by "left right" bytes.
    let merges: [[UInt8]: Int32]
    /// `<0xXX>` (else the byte itself as a token, else the unknown token) for each byte: SentencePiece fallback.
    let byteTokens: [Int32?]
    /// Special tokens (control, user-defined, unknown) in llama.cpp's matching order: longest text first.
    let specials: [Int32]
    /// A byte trie over the special tokens' texts, for finding every occurrence in one pass.
    let trie: SpecialTrie

    init(
        tokens raw: [String], scores: [Float], types: [LLMTokenizer.TokenType], merges: [[UInt8]: Int32],
        model: LLMTokenizer.Model, unknownID: Int32?, fimRolesFromMetadata: Set<String>,
        modelName: String, preName: String, architecture: String
    ) {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(raw.count)
        var ids: [ArraySlice<UInt8>: Int32] = [:]
        ids.reserveCapacity(raw.count)
        for (i, s) in raw.enumerated() {
            var b = Array(s.utf8)
            if b.isEmpty { b = Array("[EMPTY_\(i)]".utf8) }
            tokens.append(b)
            if ids[b[...]] == nil { ids[b[...]] = Int32(i) }
        }
        self.tokens = tokens
        self.scores = scores
        self.types = types
        self.ids = ids
        self.merges = merges

        // Attributes: the file's types, then llama.cpp's adjustments by token text (llama_vocab::impl::load).
        var attrs = types.map(TokenAttributes.init)
        func id(_ text: String) -> Int? { ids[Array(text.utf8)[...]].map(Int.init) }
        let fimNames: [String: [String]] = [
            "pre": [
                "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                "<|code_prefix|>", "<|prefix|>",
            ],
            "suf": [
                "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                "<|code_suffix|>", "<|suffix|>",
            ],
            "mid": [
                "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                "<|code_middle|>", "<|middle|>",
            ],
            "pad": ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"],
            "rep": ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"],
            "sep": ["<|file_sep|>"],
        ]
        for (role, names) in fimNames where !fimRolesFromMetadata.contains(role) {
            for name in names { if let i = id(name) { attrs[i].insert(.control) } }
        }
        let endOfGeneration = [
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[",
        ]
        for name in endOfGeneration { if let i = id(name) { attrs[i].insert(.control) } }
        for name in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let i = id(name) { attrs[i] = .userDefined }
        }
        let hasCall = id("<|call|>") != nil || id("<|calls|>") != nil
        if let end = id("<|end|>"), hasCall, id("<|return|>") != nil || id("<|flush|>") != nil {
            attrs[end] = .userDefined
        }
        if id("<|tool_response>") != nil, let s = id("</s>") { attrs[s] = .normal }
        let special: TokenAttributes = [.control, .userDefined, .unknown]
        // Whitespace stripping around some special tokens, by model name, pre-tokenizer or architecture.
        let name = modelName.lowercased()
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: preName.contains)
            || ["nomic-bert-moe", "jina-bert-v3"].contains(where: architecture.contains)
        {
            if let i = id("<mask>") { attrs[i].insert(.lstrip) }
        } else if name.contains("phi-3") || name.contains("phi3") {
            for i in attrs.indices where !attrs[i].isDisjoint(with: special) { attrs[i].insert(.rstrip) }
            if let i = id("</s>") { attrs[i].insert(.rstrip) }
            for t in ["<unk>", "<s>", "<|endoftext|>"] { if let i = id(t) { attrs[i].remove(.rstrip) } }
        } else if name.contains("modern-bert") {
            if let i = id("[MASK]") { attrs[i].insert(.lstrip) }
        }
        self.attrs = attrs

        // llama.cpp sorts the special tokens by length with std::sort, which leaves the order of equal lengths
        // unspecified; here they stay in id order (it matters only where two equal-length tokens overlap).
        specials = (0..<Int32(tokens.count)).filter { !attrs[Int($0)].isDisjoint(with: special) }
            .enumerated().sorted { a, b in
                let (la, lb) = (tokens[Int(a.element)].count, tokens[Int(b.element)].count)
                return la != lb ? la > lb : a.offset < b.offset
            }.map(\.element)
        trie = SpecialTrie(specials.map { ($0, tokens[Int($0)]) })

        byteTokens = (0..<256).map { b -> Int32? in
            let hex = String(b, radix: 16, uppercase: true)
            let name = "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
            if model == .sentencePiece {
                return ids[Array(name.utf8)[...]] ?? ids[[UInt8(b)][...]] ?? unknownID
            }
            return ids[Array(name.utf8)[...]]
        }
    }

    /// The key of a merge line: llama.cpp splits "left right" at the first space after the first byte.
    static func mergeKey(_ line: String) -> [UInt8] {
        let b = Array(line.utf8)
        guard b.count > 1, let sp = b[1...].firstIndex(of: 0x20) else { return [0x20] }
        return Array(b[..<sp]) + [0x20] + Array(b[(sp + 1)...])
    }

    /// llama.cpp's tokenizer_st_partition: each special token in turn (longest first) claims its leftmost
    /// non-overlapping occurrences that lie wholly in text no earlier token claimed (with the whitespace before
    /// an lstrip token and after an rstrip token, which is dropped). Control and unknown tokens take part only
    /// when `parseSpecial`.
    func partition(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var occurrences: [(order: Int32, start: Int, length: Int)] = []
        let skip: TokenAttributes = parseSpecial ? [] : [.control, .unknown]
        trie.forEachMatch(in: text) { order, start, length in
            let id = specials[Int(order)]
            if attrs[Int(id)].isDisjoint(with: skip) { occurrences.append((order, start, length)) }
        }
        guard !occurrences.isEmpty else { return [.text(0..<text.count)] }
        occurrences.sort { $0.order != $1.order ? $0.order < $1.order : $0.start < $1.start }
        var claimed = [Bool](repeating: false, count: text.count)
        // Claimed ranges: a token, or (id nil) whitespace an lstrip/rstrip token dropped.
        var taken: [(start: Int, length: Int, id: Int32?)] = []
        // C's isspace in the "C" locale, as llama.cpp strips.
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        for o in occurrences {
            let r = o.start..<o.start + o.length
            if r.contains(where: { claimed[$0] }) { continue }
            for i in r { claimed[i] = true }
            let id = specials[Int(o.order)]
            taken.append((o.start, o.length, id))
            if attrs[Int(id)].contains(.lstrip) {
                var s = o.start
                while s > 0 && !claimed[s - 1] && isSpace(text[s - 1]) {
                    s -= 1
                    claimed[s] = true
                }
                if s < o.start { taken.append((s, o.start - s, nil)) }
            }
            if attrs[Int(id)].contains(.rstrip) {
                var e = r.upperBound
                while e < text.count && !claimed[e] && isSpace(text[e]) {
                    claimed[e] = true
                    e += 1
                }
                if e > r.upperBound { taken.append((r.upperBound, e - r.upperBound, nil)) }
            }
        }
        taken.sort { $0.start < $1.start }
        var out: [Fragment] = []
        var pos = 0
        for t in taken {
            if t.start > pos { out.append(.text(pos..<t.start)) }
            if let id = t.id { out.append(.token(id)) }
            pos = t.start + t.length
        }
        if pos < text.count { out.append(.text(pos..<text.count)) }
        return out
    }
}

/// A byte trie of the special tokens' texts; a match reports the token's place in the matching order.
struct SpecialTrie: Sendable {
    /// Child of (node << 8 | byte).
    private var edges: [Int: Int32] = [:]
    /// The token order ending at each node, or -1.
    private var terminal: [Int32] = [-1]
    private var firstBytes = [Bool](repeating: false, count: 256)

    init(_ entries: [(Int32, [UInt8])]) {
        for (order, (_, bytes)) in entries.enumerated() where !bytes.isEmpty {
            var node = 0
            for b in bytes {
                let key = node << 8 | Int(b)
                if let next = edges[key] {
                    node = Int(next)
                } else {
                    terminal.append(-1)
                    edges[key] = Int32(terminal.count - 1)
                    node = terminal.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = Int32(order) }
            firstBytes[Int(bytes[0])] = true
        }
    }

    /// Calls `body(order, start, length)` for every occurrence of every token in `text`, overlapping included.
    func forEachMatch(in text: [UInt8], _ body: (Int32, Int, Int) -> Void) {
        for start in text.indices where firstBytes[Int(text[start])] {
            var node = 0
            var i = start
            while i < text.count, let next = edges[node << 8 | Int(text[i])] {
                node = Int(next)
                i += 1
                if terminal[node] >= 0 { body(terminal[node], start, i - start) }
            }
        }
    }
}

/// GPT-2's byte-level alphabet: every byte as a printable code point (llama.cpp's unicode_byte_to_utf8).
enum ByteLevel {
    /// The code point standing for each byte.
    static let scalars: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 256)
        var printable = [Bool](repeating: false, count: 256)
        for b in 0x21...0x7E { printable[b] = true }
        for b in 0xA1...0xAC { printable[b] = true }
        for b in 0xAE...0xFF { printable[b] = true }
        var n: UInt32 = 0
        for b in 0..<256 {
            if printable[b] {
                map[b] = UInt32(b)
            } else {
                map[b] = 256 + n
                n += 1
            }
        }
        return map
    }()

    /// The UTF-8 bytes of each byte's code point.
    static let encoded: [[UInt8]] = scalars.map { Array(String(Unicode.Scalar($0)!).utf8) }

    static let byteOf: [UInt32: UInt8] = Dictionary(
        uniqueKeysWithValues: scalars.enumerated().map { ($0.element, UInt8($0.offset)) })

    /// A token's text back to bytes (llama.cpp's llama_decode_text, including its "[UNK_BYTE_0x..]" for a code
    /// point outside the alphabet).
    static func decode(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for s in String(decoding: text, as: UTF8.self).unicodeScalars {
            if let b = byteOf[s.value] {
                out.append(b)
            } else {
                let utf8 = Array(String(s).utf8)
                out += Array("[UNK_BYTE_0x".utf8)
                for c in utf8 {
                    let h = String(c, radix: 16)
                    out += Array((h.count == 1 ? "0" + h : h).utf8)
                }
                out += text
                out += Array("]".utf8)
            }
        }
        return out
    }
}
