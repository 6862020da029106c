// Small formatting rules shared by the report renderers: numbers with significant digits, CSV fields (RFC 4180)
// and Markdown table cells.
import Foundation

enum Fmt {
    /// `value` with about three significant digits ("12.3", "0.0421", "1234"); "-" for nil, "inf" for infinity.
    static func num(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        let a = abs(value)
        if a == 0 { return "0" }
        if a >= 100 { return String(format: "%.0f", value) }
        if a >= 10 { return String(format: "%.1f", value) }
        if a >= 1 { return String(format: "%.2f", value) }
        if a >= 0.001 { return String(format: "%.3g", value) }
        return String(format: "%.2e", value)
    }

    /// A fraction as a percentage ("94%"), "-" for nil.
    static func percent(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return "-" }
        return String(format: "%.0f%%", fraction * 100)
    }

    /// A result measured again (`ResultRow.firstAttempt`) as plain text after its key: the first attempt's median and
    /// reasons, the retake's median and verdict; nil for a result measured once. Markdown and HTML both list these.
    static func retake(_ x: ResultRow) -> String? {
        guard let f = x.firstAttempt else { return nil }
        return "first attempt \(duration(ns: f.medianNs)) (\(f.reasons.joined(separator: "; "))); "
            + "retake \(duration(ns: x.medianNs)), \(x.validity.valid ? "valid" : "not valid")"
    }

    /// Nanoseconds in the unit that keeps the figure readable ("813 ns", "12.3 us", "4.56 ms", "1.20 s").
    static func duration(ns: Double) -> String {
        if ns >= 1e9 { return String(format: "%.2f s", ns / 1e9) }
        if ns >= 1e6 { return String(format: "%.2f ms", ns / 1e6) }
        if ns >= 1e3 { return String(format: "%.1f us", ns / 1e3) }
        return String(format: "%.0f ns", ns)
    }
}

/// RFC 4180: fields with a comma, a double quote, CR or LF are quoted, and quotes inside are doubled; records end
/// in CRLF.
public enum CSV {
    public static func field(_ s: String) -> String {
        // "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return s
        }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func record(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }
}

enum MD {
    /// A table cell: pipes escaped and line breaks flattened so the row stays one line.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in "---|" }.joined() + "\n"
        for r in rows { out += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }
}
