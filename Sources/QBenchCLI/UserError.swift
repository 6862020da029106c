// Turns typed errors into one line on stderr and exit code 1, with no Swift trace.
import ArgumentParser
import Foundation
import QBenchSupport

/// Runs `body`, converting a `QBError` into "qbench: <message>" on stderr and its exit code.
func reportingUserErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as QBError {
        FileHandle.standardError.write(Data("qbench: \(error.oneLine.description)\n".utf8))
        throw ExitCode(ExitCodes.code(for: error))
    }
}

/// For `validate()`: a bad option value becomes a `ValidationError` (one line, exit 64 through `runMain`); other
/// errors pass through.
func validating(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as QBError {
        if case .badOption = error { throw ValidationError(error.description) }
        throw error
    }
}

/// An option that names a file or folder must not be empty (an empty path would mean the current folder).
/// - Throws: `QBError.badOption` naming the flag.
func requireNonEmptyPaths(_ options: [(flag: String, value: String?)]) throws {
    for (flag, value) in options where value?.isEmpty == true {
        throw QBError.badOption(flag: flag, message: "empty path; expected a file or folder name")
    }
}

extension ExitCodes {
    /// A bad option value is a usage error (64, before any work); anything else a user error (1): an unreadable
    /// or malformed file, an I/O failure.
    static func code(for error: QBError) -> Int32 {
        switch error {
        case .badOption: return usage
        case let .interrupted(signal, _): return 128 + signal
        default: return usageOrInternal
        }
    }
}

extension QBench {
    /// The entry point: like `main()`, except that a parse or validation error is one line on stderr,
    /// `qbench: <flag>: <what was expected>`, with exit code 64 (`--help` and `--version` print as usual).
    public static func runMain(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch let error as QBError {
            FileHandle.standardError.write(Data("qbench: \(error.oneLine.description)\n".utf8))
            Foundation.exit(ExitCodes.code(for: error))
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            if error is ExitCode { Foundation.exit(code.rawValue) }
            let text = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("qbench: \(text)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
