// The BPE pre-tokenizers: how llama.cpp cuts text into words before the merges run, for the
// `tokenizer.ggml.pre` values this suite supports. llama.cpp writes each split as a regex; it runs some of them
// through hand-written scanners (src/unicode.cpp: gpt2, llama3, qwen2) and the rest through std::regex over a
// "collapsed" text where every non-ASCII code point stands for its Unicode category. The scanners here follow
// those semantics code point by code point, without a regex engine:
//   gpt-2     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)   (llama.cpp's scanner)
//   llama-bpe (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
//             |\s*[\r\n]+|\s+(?!\S)|\s+                                               (llama.cpp's scanner)
//   qwen2     the same with \p{N} (one digit)                                           (llama.cpp's scanner)
//   default   [\p{P}\$\+<=>\^~\|]+ , then the gpt-2 scanner, then \p{N}+ , then [0-9][0-9][0-9]  (split in turn)
// Categories: \p{L} letters (Lu Ll Lt Lm Lo), \p{N} numbers (Nd Nl No), \p{P} punctuation, \s the White_Space
// property, as llama.cpp's generated tables have them (from Swift's Unicode data here).

/// One code point's classes, as llama.cpp's `unicode_cpt_flags` has them.
struct CodepointClass: Equatable {
    enum Category: UInt8 {
        case undefined, number, letter, separator, mark, punctuation, symbol, control
    }
    let category: Category
    let isWhitespace: Bool

    var isLetter: Bool { category == .letter }
    var isNumber: Bool { category == .number }

    init(_ cp: UInt32) {
        guard let s = Unicode.Scalar(cp) else {
            category = .undefined
            isWhitespace = false
            return
        }
        let p = s.properties
        isWhitespace = p.isWhitespace
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            category = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            category = .number
        case .nonspacingMark, .spacingMark, .enclosingMark:
            category = .mark
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            category = .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            category = .symbol
        case .spaceSeparator, .lineSeparator, .paragraphSeparator:
            category = .separator
        case .control, .format, .surrogate, .privateUse:
            category = .control
        case .unassigned:
            category = .undefined
        @unknown default:
            category = .undefined
        }
    }

    /// The 128 ASCII classes, computed once.
    static let ascii: [CodepointClass] = (0..<128).map { CodepointClass(UInt32($0)) }

    static func of(_ cp: UInt32) -> CodepointClass {
        cp < 128 ? ascii[Int(cp)] : CodepointClass(cp)
    }
}

/// The pre-tokenizer splits of llama.cpp for one `tokenizer.ggml.pre` family.
enum PreTokenizerSplit {
    case gpt2
    case llama3
    case qwen2
    case defaultSplit

    /// The words of `bytes` (valid UTF-8), as byte ranges in order, covering all of it.
    func words(_ bytes: ArraySlice<UInt8>) -> [Range<Int>] {
        let text = CodepointText(bytes)
        let all = [0..<text.count]
        let segments: [Range<Int>]
        switch self {
        case .gpt2:
            segments = text.split(all, Self.scanGPT2)
        case .llama3:
            segments = text.split(all) { t, r in Self.scanLlama3(t, r, maxDigits: 3) }
        case .qwen2:
            segments = text.split(all) { t, r in Self.scanLlama3(t, r, maxDigits: 1) }
        case .defaultSplit:
            var s = text.splitByMatches(all, Self.matchDefaultPunctuation)
            s = text.split(s, Self.scanGPT2)
            s = text.splitByMatches(s, Self.matchNumbers)
            segments = text.splitByMatches(s, Self.matchThreeASCIIDigits)
        }
        return segments.map { text.byteOffsets[$0.lowerBound]..<text.byteOffsets[$0.upperBound] }
    }

    // MARK: llama.cpp's scanners (each returns the ends of its pieces within the segment)

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`, then `\s+`, then one code point.
    static func scanGPT2(_ t: CodepointText, _ seg: Range<Int>) -> [Int] {
        var ends: [Int] = []
        let hi = seg.upperBound
        var pos = seg.lowerBound
        while pos < hi {
            let c = t.cps[pos]
            if let n = contraction(t, pos, hi, caseInsensitive: false) {
                pos += n
                ends.append(pos)
                continue
            }
            let f2 = c == 0x20 ? pos + 1 : pos
            if t.isLetter(f2, hi) {
                pos = f2
                while t.isLetter(pos, hi) { pos += 1 }
                ends.append(pos)
                continue
            }
            if t.isNumber(f2, hi) {
                pos = f2
                while t.isNumber(pos, hi) { pos += 1 }
                ends.append(pos)
                continue
            }
            if t.isOther(f2, hi) {
                pos = f2
                while t.isOther(pos, hi) { pos += 1 }
                ends.append(pos)
                continue
            }
            var spaces = 0
            while t.isSpace(pos + spaces, hi) { spaces += 1 }
            if spaces > 1 && pos + spaces < hi {
                pos += spaces - 1
            } else if spaces > 0 {
                pos += spaces
            } else {
                pos += 1
            }
            ends.append(pos)
        }
        return ends
    }

    /// llama-bpe (`maxDigits` 3) and qwen2 (`maxDigits` 1).
    static func scanLlama3(_ t: CodepointText, _ seg: Range<Int>, maxDigits: Int) -> [Int] {
        var ends: [Int] = []
        let hi = seg.upperBound
        var pos = seg.lowerBound
        while pos < hi {
            let c = t.cps[pos]
            if let n = contraction(t, pos, hi, caseInsensitive: true) {
                pos += n
                ends.append(pos)
                continue
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(c == 0x0D || c == 0x0A || t.isNumber(pos, hi)) && (t.isLetter(pos, hi) || t.isLetter(pos + 1, hi)) {
                pos += 1
                while t.isLetter(pos, hi) { pos += 1 }
                ends.append(pos)
                continue
            }
            // \p{N}{1,maxDigits}
            if t.isNumber(pos, hi) {
                var start = pos
                while t.isNumber(pos, hi) {
                    pos += 1
                    if pos - start >= maxDigits {
                        ends.append(pos)
                        start = pos
                    }
                }
                if ends.last != pos { ends.append(pos) }
                continue
            }
            // <space>?[^\s\p{L}\p{N}]+[\r\n]*  (entered, as llama.cpp does, when the next code point is not a
            // space, letter or number - also when there is none)
            let f2 = c == 0x20 ? pos + 1 : pos
            if !(t.isSpace(f2, hi) || t.isLetter(f2, hi) || t.isNumber(f2, hi)) {
                pos = f2
                while t.isOther(pos, hi) { pos += 1 }
                while pos < hi && (t.cps[pos] == 0x0D || t.cps[pos] == 0x0A) { pos += 1 }
                ends.append(pos)
                continue
            }
            var spaces = 0
            var lastNewlineEnd = 0
            while t.isSpace(pos + spaces, hi) {
                let c2 = t.cps[pos + spaces]
                if c2 == 0x0D || c2 == 0x0A { lastNewlineEnd = pos + spaces + 1 }
                spaces += 1
            }
            if lastNewlineEnd > 0 {
                pos = lastNewlineEnd  // \s*[\r\n]+
            } else if spaces > 1 && pos + spaces < hi {
                pos += spaces - 1  // \s+(?!\S)
            } else if spaces > 0 {
                pos += spaces  // \s+
            } else {
                pos += 1
            }
            ends.append(pos)
        }
        return ends
    }

    /// The length of `'s|'t|'re|'ve|'m|'ll|'d` at `pos`, if any.
    static func contraction(_ t: CodepointText, _ pos: Int, _ hi: Int, caseInsensitive: Bool) -> Int? {
        guard t.cps[pos] == 0x27, pos + 1 < hi else { return nil }
        func lower(_ c: UInt32) -> UInt32 { caseInsensitive && c >= 0x41 && c <= 0x5A ? c + 0x20 : c }
        let n = lower(t.cps[pos + 1])
        if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 { return 2 }  // s t m d
        guard pos + 2 < hi else { return nil }
        let nn = lower(t.cps[pos + 2])
        if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) { return 3 }  // re ve ll
        return nil
    }

    // MARK: std::regex splits of the default pre-tokenizer (each returns the match length at pos, 0 for none)

    /// `[\p{P}\$\+<=>\^~\|]+` over llama.cpp's collapsed text: ASCII punctuation and symbols except the backtick,
    /// and non-ASCII punctuation that is not white space.
    static func matchDefaultPunctuation(_ t: CodepointText, _ pos: Int, _ hi: Int) -> Int {
        func inClass(_ c: UInt32) -> Bool {
            if c < 128 {
                return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x5F)
                    || (c >= 0x7B && c <= 0x7E)
            }
            let k = CodepointClass.of(c)
            return !k.isWhitespace && k.category == .punctuation
        }
        var p = pos
        while p < hi && inClass(t.cps[p]) { p += 1 }
        return p - pos
    }

    /// `\p{N}+` over the collapsed text.
    static func matchNumbers(_ t: CodepointText, _ pos: Int, _ hi: Int) -> Int {
        func inClass(_ c: UInt32) -> Bool {
            if c < 128 { return c >= 0x30 && c <= 0x39 }
            let k = CodepointClass.of(c)
            return !k.isWhitespace && k.isNumber
        }
        var p = pos
        while p < hi && inClass(t.cps[p]) { p += 1 }
        return p - pos
    }

    /// `[0-9][0-9][0-9]`.
    static func matchThreeASCIIDigits(_ t: CodepointText, _ pos: Int, _ hi: Int) -> Int {
        guard pos + 3 <= hi else { return 0 }
        for i in pos..<pos + 3 where !(t.cps[i] >= 0x30 && t.cps[i] <= 0x39) { return 0 }
        return 3
    }
}

/// UTF-8 text as code points with their byte offsets (`byteOffsets[count]` is the end) and classes.
struct CodepointText {
    var cps: [UInt32] = []
    var classes: [CodepointClass] = []
    var byteOffsets: [Int] = []
    var count: Int { cps.count }

    /// Decodes `bytes`, which must be valid UTF-8 (a Swift string's bytes, or a run of them between special
    /// tokens); offsets are indices into the slice's base.
    init(_ bytes: ArraySlice<UInt8>) {
        cps.reserveCapacity(bytes.count)
        byteOffsets.reserveCapacity(bytes.count + 1)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b0 = UInt32(bytes[i])
            let len = utf8Length(bytes[i])
            var cp = b0
            if len > 1, i + len <= bytes.endIndex {
                cp = b0 & (0xFF >> (len + 1))
                for k in 1..<len { cp = (cp << 6) | (UInt32(bytes[i + k]) & 0x3F) }
            }
            cps.append(cp)
            byteOffsets.append(i)
            i += min(len, bytes.endIndex - i)
        }
        byteOffsets.append(bytes.endIndex)
        classes = cps.map(CodepointClass.of)
    }

    func isLetter(_ p: Int, _ hi: Int) -> Bool { p < hi && classes[p].isLetter }
    func isNumber(_ p: Int, _ hi: Int) -> Bool { p < hi && classes[p].isNumber }
    func isSpace(_ p: Int, _ hi: Int) -> Bool { p < hi && classes[p].isWhitespace }
    /// `[^\s\p{L}\p{N}]` within the segment.
    func isOther(_ p: Int, _ hi: Int) -> Bool {
        p < hi && !(classes[p].isWhitespace || classes[p].isLetter || classes[p].isNumber)
    }

    /// Each segment cut at the piece ends a scanner reports (empty pieces dropped).
    func split(_ segments: [Range<Int>], _ scan: (CodepointText, Range<Int>) -> [Int]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(segments.count)
        for seg in segments {
            var start = seg.lowerBound
            for end in scan(self, seg) where end > start {
                out.append(start..<end)
                start = end
            }
        }
        return out
    }

    /// Each segment cut as llama.cpp's std::regex split does: every match is a piece, and so is every run of
    /// code points between matches.
    func splitByMatches(_ segments: [Range<Int>], _ match: (CodepointText, Int, Int) -> Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(segments.count)
        for seg in segments {
            var gapStart = seg.lowerBound
            var pos = seg.lowerBound
            while pos < seg.upperBound {
                let n = match(self, pos, seg.upperBound)
                if n == 0 {
                    pos += 1
                    continue
                }
                if pos > gapStart { out.append(gapStart..<pos) }
                out.append(pos..<pos + n)
                pos += n
                gapStart = pos
            }
            if seg.upperBound > gapStart { out.append(gapStart..<seg.upperBound) }
        }
        return out
    }
}

/// The length of the UTF-8 sequence that `lead` starts, from its high four bits as llama.cpp's
/// `unicode_len_utf8` reads it (a stray continuation byte counts as one).
@inline(__always)
func utf8Length(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
}
