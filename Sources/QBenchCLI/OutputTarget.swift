// Where a rendering command's output goes: stdout, or a file written atomically that never replaces one of the
// command's inputs and replaces another existing file only with --force.
import Foundation
import QBenchSupport

struct OutputTarget {
    let path: String?
    let force: Bool

    /// Checked before any work (in validate(), or once folders of inputs are expanded): no empty path, not a
    /// folder, not one of `inputs` (the same file by device and inode, whatever the spelling), and a folder a file
    /// can be written to.
    /// - Throws: `QBError.badOption(flag: "--out", ...)` (exit 64); `QBError.io` when the folder cannot be written.
    func check(inputs: [String]) throws {
        guard let path else { return }
        guard !path.isEmpty else { throw QBError.badOption(flag: "--out", message: "empty path; expected a file name") }
        if let input = inputs.first(where: { Self.sameFile(path, $0) }) {
            throw QBError.badOption(
                flag: "--out", message: "\(path) is an input; write to another file: it is the input \(input)")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw QBError.badOption(flag: "--out", message: "\(path) is a folder; expected a file name")
        }
        try AtomicFile.checkWritableDirectory(URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    /// True when both paths name one existing file (same device and inode: links and `..` included).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Writes `data` to stdout, or to the file (atomically; an existing file is replaced only with --force).
    /// - Throws: `QBError.io` naming the file or stdout.
    func write(_ data: Data) throws {
        guard let path else { return try Stdout.write(data) }
        try AtomicFile.write(data, to: URL(fileURLWithPath: path), replace: force)
    }
}
