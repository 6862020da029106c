// The one text-table renderer for every command's terminal output (run, accuracy, probe).

/// Columns padded to their widest cell, two spaces apart, with no trailing blanks.
public struct TextTable {
    public var header: [String]
    public var rows: [[String]] = []
    /// Columns aligned right (the numeric ones).
    public var rightAligned: Set<Int>
    /// Put in front of every line (e.g. two spaces under a heading).
    public var indent: String

    public init(_ header: [String], rightAligned: Set<Int> = [], indent: String = "") {
        self.header = header; self.rightAligned = rightAligned; self.indent = indent
    }

    public mutating func append(_ row: [String]) { rows.append(row) }

    /// The table, one line per row after the header, each ending in a newline.
    public func render() -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for row in all {
            var line = indent
            for (i, c) in row.enumerated() where i < widths.count {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += (i == 0 ? "" : "  ") + (rightAligned.contains(i) ? pad + c : c + pad)
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
