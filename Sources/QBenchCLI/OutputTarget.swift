// Where a rendering command's output goes: stdout, or a file written atomically that never replaces one of the
// command's inputs and replaces another existing file only with --force.
import Foundation
import QBenchSupport

struct OutputTarget {
    let path: String?
    let force: Bool

    /// Checked in validate() and again before writing: no empty path, no folder, not one of `inputs`.
    /// - Throws: `QBError.badOption(flag: "--out", ...)`.
    func check(inputs: [String]) throws {
        guard let path else { return }
        guard !path.isEmpty else { throw QBError.badOption(flag: "--out", message: "empty path; expected a file name") }
        let target = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs
        where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path == target {
            throw QBError.badOption(flag: "--out", message: "\(path) is an input; write to another file")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw QBError.badOption(flag: "--out", message: "\(path) is a folder; expected a file name")
        }
    }

    /// Writes `data` to stdout, or to the file (atomically; an existing file is replaced only with --force).
    /// - Throws: `QBError.io` naming the file or stdout.
    func write(_ data: Data) throws {
        guard let path else { return try Stdout.write(data) }
        try AtomicFile.write(data, to: URL(fileURLWithPath: path), replace: force)
    }
}
