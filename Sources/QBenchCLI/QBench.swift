// The `qbench` command tree. Each subcommand lives in its own file as `extension QBench`.
import ArgumentParser
import QBenchSupport

public struct QBench: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "qbench",
        abstract: "What this CPU can do with quantized LLM kernels: features, speed, energy and accuracy.",
        discussion: """
            Examples:
              qbench probe                 Show this device's features, topology and dispatch tiers.
              qbench probe --json          The same as JSON (schema in docs/probe.md).
            """,
        version: QBenchVersion.string,
        subcommands: QBench.allSubcommands
    )

    public init() {}
}

/// Exit codes shared by every command (docs/cli.md).
public enum ExitCodes {
    public static let pass: Int32 = 0
    public static let usageOrInternal: Int32 = 1
    /// A usage error: unknown flag, missing or bad option value (EX_USAGE).
    public static let usage: Int32 = 64
    public static let performanceRegression: Int32 = 2
    public static let correctnessRegression: Int32 = 3
    public static let invalidRun: Int32 = 4
    public static let baselineNotComparable: Int32 = 5
}
