// Turns typed errors into one line on stderr and exit code 1, with no Swift trace.
import ArgumentParser
import Foundation
import QBenchSupport

/// Runs `body`, converting a `QBError` into "qbench: <message>" on stderr and `ExitCode(1)`.
func reportingUserErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as QBError {
        FileHandle.standardError.write(Data("qbench: \(error.description)\n".utf8))
        throw ExitCode(ExitCodes.usageOrInternal)
    }
}
