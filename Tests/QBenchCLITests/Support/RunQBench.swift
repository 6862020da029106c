// Runs the built `qbench` executable as a child process, optionally under an emulator, and captures its output.
import Foundation
import XCTest

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum QBenchBinary {
    /// The `qbench` built next to the test bundle.
    static var url: URL {
        if let env = ProcessInfo.processInfo.environment["QBENCH_BIN"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return Bundle.main.bundleURL.appendingPathComponent("qbench")
    }

    static func require() throws -> URL {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: url.path),
            "qbench binary not built at \(url.path) (run swift build first)")
        return url
    }

    /// Runs `qbench args`, or `wrapper... qbench args` when a wrapper (e.g. qemu-x86_64 -cpu Haswell) is given.
    static func run(
        _ args: [String], wrapper: [String] = [], timeout: TimeInterval = 300,
        signal: (number: Int32, after: TimeInterval)? = nil
    ) throws -> CommandResult {
        let bin = try require()
        return try runProcess(
            wrapper.isEmpty ? bin.path : wrapper[0],
            (wrapper.isEmpty ? [] : Array(wrapper.dropFirst()) + [bin.path]) + args, timeout: timeout,
            signal: signal)
    }
}

/// Finds an executable on PATH.
func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// - Parameter signal: sent to the child this long after it started (a user's Ctrl-C, a scheduler's SIGTERM).
func runProcess(
    _ exe: String, _ args: [String], timeout: TimeInterval = 300,
    signal: (number: Int32, after: TimeInterval)? = nil
) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe.hasPrefix("/") ? exe : (which(exe) ?? exe))
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    if let signal {
        let pid = p.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + signal.after) { kill(pid, signal.number) }
    }
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }  // each written by one reader, read after the group
    let outBox = Box(), errBox = Box()
    let group = DispatchGroup()
    group.enter();
    DispatchQueue.global().async {
        outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave()
    }
    group.enter();
    DispatchQueue.global().async {
        errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave()
    }
    if group.wait(timeout: .now() + timeout) == .timedOut { p.terminate(); group.wait() }
    p.waitUntilExit()
    return CommandResult(
        status: p.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
        stderr: String(decoding: errBox.data, as: UTF8.self))
}
