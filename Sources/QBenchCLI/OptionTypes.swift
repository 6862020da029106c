// Option values typed once and shared by every command: the same option is spelled, parsed, listed in --help and
// completed the same way wherever it appears. Parsing accepts any text; the check (one line naming the flag,
// exit 64) happens in each command's validate(), with the parsers the core uses for profiles.
import ArgumentParser
import QBenchFormats
import QBenchKernels
import QBenchProfiles
import QBenchSupport

/// `--formats LIST`: weight formats, comma or space separated, or `all`.
struct FormatListArgument: ExpressibleByArgument {
    let text: String
    init?(argument: String) { text = argument }
    static var allValueStrings: [String] { WeightFormat.allCases.map(\.rawValue) + ["all"] }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
    /// - Throws: `QBError.badOption` naming `flag` and the unknown name.
    func formats(flag: String = "--formats") throws -> [WeightFormat] { try WeightFormat.parseList(text, flag: flag) }
}

/// `--threads LIST`: thread counts, comma separated: numbers, `cores`, `pus`.
struct ThreadListArgument: ExpressibleByArgument {
    let text: String
    init?(argument: String) { text = argument }
    static var allValueStrings: [String] { ["cores", "pus"] }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
    /// Items that are not thread counts at all fail here; numbers out of range are checked with the profile's rule
    /// once merged into it, so the flag and a profile key give the same message.
    /// - Throws: `QBError.badOption(flag: "--threads", ...)`.
    func counts() throws -> [ThreadCount] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else {
            throw QBError.badOption(flag: "--threads", message: "empty list; \(ThreadCount.expectation)")
        }
        return try items.map { item in
            guard let t = ThreadCount(text: item) else {
                throw QBError.badOption(
                    flag: "--threads", message: "`\(item)` is not a thread count; \(ThreadCount.expectation)")
            }
            return t
        }
    }
}

/// A kernel variant name (`--max-isa`), checked against this machine's architecture in validate().
struct VariantArgument: ExpressibleByArgument {
    let name: String
    init?(argument: String) { name = argument }
    /// Every variant of every architecture (the check narrows it to this one).
    static var allValueStrings: [String] { KernelVariantName.allCases.map(\.rawValue) }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// `--variants LIST`: kernel variant names, comma separated.
struct VariantListArgument: ExpressibleByArgument {
    let names: [String]
    init?(argument: String) {
        names = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    static var allValueStrings: [String] { VariantArgument.allValueStrings }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
