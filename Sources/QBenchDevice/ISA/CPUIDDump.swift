// Parser for hwloc-gather-cpuid dumps (one file per PU: `MASK EAX EBX ECX EDX => EAX EBX ECX EDX`, hex, `#`
// comments) and the replay reader built from one. Every failure is a one-line QBError naming the file.
import Foundation
import QBenchSupport

/// A parsed CPUID dump of one logical processor.
public struct CPUIDDump: Equatable, Sendable {
    /// The file the entries came from (for messages and reports).
    public var path: String
    public var entries: [CPUIDEntry]

    public init(path: String, entries: [CPUIDEntry]) { self.path = path; self.entries = entries }

    /// Loads a dump from a `pu*` file, or from a folder of them (then `pu0` is used).
    ///
    /// - Throws: `QBError.badInput` when the path is missing or unreadable, the folder has no `pu0`, the file is
    ///   empty, a line is malformed (with its line number), or leaf 0 is absent.
    public static func load(_ url: URL) throws -> CPUIDDump {
        var file = url
        if try InputFile.kind(url.path) == .directory {
            file = url.appendingPathComponent("pu0")
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw QBError.badInput(
                    path: url.path,
                    message: "folder has no pu0 file; expected hwloc-gather-cpuid output (pu0, pu1, ...)")
            }
        }
        // A dump is a few KB; 16 MB leaves room for any real one and stops /dev/zero-like inputs.
        let text: String
        do {
            text = try InputFile.text(file.path, maxBytes: 16 << 20)
        } catch QBError.badInput(_, let message) where message == "not UTF-8 text" {
            throw QBError.badInput(path: file.path, message: "not a text file; expected a hwloc-gather-cpuid dump")
        }
        return try parse(text, path: file.path)
    }

    /// Parses dump text. `path` only names the input in errors.
    public static func parse(_ text: String, path: String) throws -> CPUIDDump {
        var entries: [CPUIDEntry] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }) {
            // isNewline also matches "\r\n", which Swift treats as one Character, so CRLF dumps parse too.
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if tokens.isEmpty { continue }
            guard let entry = parseEntry(tokens) else {
                let shown = rawLine.count > 60 ? String(rawLine.prefix(60)) + "..." : String(rawLine)
                throw QBError.badInput(
                    path: path,
                    message:
                        "line \(lineNumber): expected `MASK EAX EBX ECX EDX => EAX EBX ECX EDX` in hex, "
                        + "got `\(shown.trimmingCharacters(in: .whitespacesAndNewlines))`"
                )
            }
            entries.append(entry)
        }
        guard !entries.isEmpty else {
            throw QBError.badInput(path: path, message: "empty CPUID dump: no `MASK ... => ...` lines")
        }
        let dump = CPUIDDump(path: path, entries: entries)
        guard dump.reader(xcr0Override: nil).cpuid(leaf: 0, subleaf: 0) != nil else {
            throw QBError.badInput(
                path: path, message: "no CPUID leaf 0 (vendor and highest leaf); not a complete hwloc-gather-cpuid dump"
            )
        }
        return dump
    }

    private static func parseEntry(_ tokens: [Substring]) -> CPUIDEntry? {
        guard tokens.count == 10, tokens[5] == "=>" else { return nil }
        var values: [UInt32] = []
        for (i, token) in tokens.enumerated() where i != 5 {
            guard let v = parseHex32(token) else { return nil }
            values.append(v)
        }
        // The mask names input registers (bits 0-3); anything else is not hwloc's format.
        guard values[0] & ~0xF == 0 else { return nil }
        return CPUIDEntry(
            mask: values[0],
            inputs: CPUIDRegisters(eax: values[1], ebx: values[2], ecx: values[3], edx: values[4]),
            outputs: CPUIDRegisters(eax: values[5], ebx: values[6], ecx: values[7], edx: values[8]))
    }

    private static func parseHex32(_ token: Substring) -> UInt32? {
        var digits = token
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        // UInt32(_:radix:) accepts a sign; a dump never has one, so only hex digits pass.
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }) else { return nil }
        return UInt32(digits, radix: 16)
    }

    /// A replay reader over this dump.
    ///
    /// XCR0 is not in a dump. Without an override it is taken to be every state component CPUID leaf 0xD
    /// sub-leaf 0 reports as supported (EDX:EAX), i.e. an OS that enables everything the CPU has; an override
    /// models an OS or VM that leaves some state off.
    public func reader(xcr0Override: UInt64?) -> CapturedHardware {
        var hw = CapturedHardware(arch: .x86_64, os: .linux, sourceLabel: "fixture", cpuidEntries: entries)
        if let value = xcr0Override {
            hw.xcr0Reading = XCR0Reading(value: value, source: .override)
        } else if let maxLeaf = hw.cpuid(leaf: 0, subleaf: 0)?.eax, maxLeaf >= 0xD,
            let d0 = hw.cpuid(leaf: 0xD, subleaf: 0)
        {
            hw.xcr0Reading = XCR0Reading(value: UInt64(d0.eax) | UInt64(d0.edx) << 32, source: .fixtureLeaf0xD)
        }
        // A dump cannot say whether Linux would grant AMX tile data: assume it does whenever XCR0 enables the
        // tile state (bits 17-18), which is what a Linux >= 5.16 kernel on that CPU does.
        if let x = hw.xcr0Reading?.value, x & X86XCR0.amxTileMask == X86XCR0.amxTileMask {
            hw.amx = .granted
        } else {
            hw.amx = .unavailable
        }
        return hw
    }
}

/// The `--xcr0 HEX` option.
public enum XCR0Option {
    /// Parses a 64-bit hex value, with or without `0x`.
    ///
    /// - Throws: `QBError.badOption(flag: "--xcr0", ...)` for empty, signed, non-hex or wider-than-64-bit values.
    public static func parse(_ text: String) throws -> UInt64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func bad(_ why: String) -> QBError {
            .badOption(flag: "--xcr0", message: "\(why); expected a hex XCR0 value such as 0xe7 or 2e7")
        }
        guard !trimmed.isEmpty else { throw bad("empty value") }
        if trimmed.hasPrefix("-") { throw bad("negative value `\(trimmed)`") }
        var digits = Substring(trimmed)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty else { throw bad("no digits after 0x") }
        guard digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { throw bad("`\(trimmed)` is not hex") }
        let significant = digits.drop(while: { $0 == "0" })
        guard significant.count <= 16, let value = UInt64(digits, radix: 16) else {
            throw bad("`\(trimmed)` is wider than 64 bits")
        }
        return value
    }
}
