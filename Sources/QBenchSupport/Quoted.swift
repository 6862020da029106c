// Quoting untrusted names for one-line error messages.

/// A file-supplied name or string, quoted for a one-line message: control characters escaped, and cut to
/// 80 characters, so a hostile key cannot break the line or flood the terminal.
public func quoted(_ s: String, _ quote: Character = "'") -> String {
    var out = ""
    for (n, ch) in s.unicodeScalars.enumerated() {
        if n == 80 { out += "…"; break }
        switch ch {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if ch.properties.generalCategory == .control || ch.properties.generalCategory == .format
                || ch == "\u{2028}" || ch == "\u{2029}"
            {
                out += "\\u{\(String(ch.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(ch)
            }
        }
    }
    return "\(quote)\(out)\(quote)"
}
