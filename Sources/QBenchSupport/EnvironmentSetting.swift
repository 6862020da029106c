// Environment variables the suite reads, parsed strictly: a malformed or out-of-range value is one line naming the
// variable (a usage error), never silently taken or wrapped around.
import Foundation

public enum EnvironmentSetting {
    /// Every variable a run reads, for the report (`run.provenance.environment`).
    public static let names = ["QBENCH_INJECT_SLOWDOWN", "QBENCH_POOL_SPIN_US", "QBENCH_PROFILES"]

    /// A whole number from `environment[name]`, `defaultValue` when unset.
    /// - Throws: `QBError.badOption(flag: name, ...)` for an empty value, anything but decimal digits (no sign,
    ///   exponent or blanks), or a number outside `range`.
    public static func integer(
        _ name: String, default defaultValue: Int, range: ClosedRange<Int>,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Int {
        guard let text = environment[name] else { return defaultValue }
        let expected = "expected a whole number in \(range.lowerBound)...\(range.upperBound)"
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw QBError.badOption(flag: name, message: "`\(text)` is not a whole number; \(expected)")
        }
        guard let v = Int(text), range.contains(v) else {
            throw QBError.badOption(flag: name, message: "\(text) is out of range; \(expected)")
        }
        return v
    }

    /// The variables of `names` that are set, for the record.
    public static func inForce(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        environment.filter { names.contains($0.key) }
    }
}
