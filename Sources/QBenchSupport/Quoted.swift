// Quoting untrusted names for one-line error messages.

/// A file-supplied name or string, quoted for a one-line message: control characters escaped, and cut to
/// 80 characters, so a hostile key cannot break the line or flood the terminal.
public func quoted(_ s: String, _ quote: Character = "'") -> String {
    let cut = s.unicodeScalars.count > 80
    let head = cut ? String(String.UnicodeScalarView(s.unicodeScalars.prefix(80))) : s
    return "\(quote)\(escapingLineBreaks(head))\(cut ? "…" : "")\(quote)"
}

/// `s` with line breaks, tabs and other control or format characters written as escapes (`\n`, `\u{7}`), so it
/// stays on one line. The one escaper for messages (`quoted`, `QBError.oneLine`).
public func escapingLineBreaks(_ s: String) -> String {
    func plain(_ ch: Unicode.Scalar) -> Bool {
        let c = ch.properties.generalCategory
        return c != .control && c != .format && ch != "\u{2028}" && ch != "\u{2029}"
    }
    guard !s.unicodeScalars.allSatisfy(plain) else { return s }
    var out = ""
    for ch in s.unicodeScalars {
        switch ch {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default: if plain(ch) { out.unicodeScalars.append(ch) } else { out += "\\u{\(String(ch.value, radix: 16))}" }
        }
    }
    return out
}
