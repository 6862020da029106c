// Fault injection for testing `qbench gate` end to end: QBENCH_INJECT_SLOWDOWN='<key regex>=<factor>' makes every
// timed call of the results whose key matches the regex take `factor` times as long, by spinning after the call
// (until factor times its own time, or factor times its time back to back without the slowdown, whichever is
// later; `InjectedSlowdown.slowed`). The kernel's outputs are untouched; the report records the setting in
// `run.injected`, and `qbench gate` names it in its verdict.
import Foundation
import QBenchSupport
import QBenchHarness

/// A parsed `QBENCH_INJECT_SLOWDOWN`.
public struct InjectedSlowdown: Sendable {
    public static let variable = "QBENCH_INJECT_SLOWDOWN"

    /// The setting as given (recorded in the report).
    public let text: String
    public let factor: Double
    let pattern: String

    /// The setting from the environment; nil when unset.
    /// - Throws: `QBError.badOption(flag: "QBENCH_INJECT_SLOWDOWN", ...)` for a value that is not
    ///   `<regex>=<factor>` with a valid regex and a factor in 1...100.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> InjectedSlowdown? {
        guard let text = environment[variable] else { return nil }
        return try parse(text)
    }

    /// Parses `<key regex>=<factor>` (the last `=` separates them, so the regex may contain `=`).
    public static func parse(_ text: String) throws -> InjectedSlowdown {
        let expected = "expected '<key regex>=<factor>' with a factor from 1 to 100, e.g. 'gemv/q4_0/.*=1.10'"
        guard let eq = text.lastIndex(of: "=") else {
            throw QBError.badOption(flag: variable, message: "`\(text)`: no '='; \(expected)")
        }
        let pattern = String(text[..<eq])
        let factorText = String(text[text.index(after: eq)...])
        guard !pattern.isEmpty, let factor = Double(factorText), factor >= 1, factor <= 100 else {
            throw QBError.badOption(flag: variable, message: "`\(text)`: \(expected)")
        }
        guard (try? Regex(pattern)) != nil else {
            throw QBError.badOption(flag: variable, message: "`\(pattern)` is not a valid regular expression")
        }
        return InjectedSlowdown(text: text, factor: factor, pattern: pattern)
    }

    /// True when the result key matches the regex (searched, not anchored).
    public func matches(_ key: String) -> Bool {
        guard let re = try? Regex(pattern) else { return false }
        return key.contains(re)
    }

    /// `call` followed by a spin until `factor` times the time it took has passed since it began, or `factor` times
    /// `referenceNs` (the call's time measured back to back without the slowdown), whichever is later. Without the
    /// reference a DRAM-bound kernel escapes part of the slowdown: spaced out by the spins its calls run faster
    /// (a 1.3x spin measured 1.11x on a cold q4_0 gemv), so the spin, a share of its own time, shrinks with it.
    public func slowed(
        _ call: @escaping () -> Void, clock: any BenchClock = MonotonicClock(), referenceNs: UInt64? = nil
    ) -> () -> Void {
        let factor = factor
        let floor = referenceNs.map { UInt64(Double($0) * factor) } ?? 0
        return {
            let t0 = clock.nowNs()
            call()
            let own = clock.nowNs() &- t0
            let until = t0 &+ max(UInt64(Double(own) * factor), floor)
            while clock.nowNs() < until {}
        }
    }

    /// The median time of `calls` back-to-back calls of `call` (the reference of `slowed`).
    public static func reference(
        _ call: () -> Void, calls: Int = 5, clock: any BenchClock = MonotonicClock()
    ) -> UInt64 {
        var times: [UInt64] = []
        for _ in 0..<max(1, calls) {
            let t0 = clock.nowNs()
            call()
            times.append(clock.nowNs() &- t0)
        }
        return times.sorted()[times.count / 2]
    }
}
