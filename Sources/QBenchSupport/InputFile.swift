// Every file option (--profile, --topology-xml, --cpuid-dump, --model) refuses the same things with the same words:
// an empty path, a missing file, a folder, and special files (a FIFO would block forever, /dev/zero never ends).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum InputFile {
    public enum Kind: Equatable, Sendable { case regular, directory }

    /// What `path` is, when it is a regular file or a folder.
    /// - Throws: `QBError.badInput` naming the path: empty, missing, or not a regular file or folder.
    public static func kind(_ path: String) throws -> Kind {
        guard !path.isEmpty else { throw QBError.badInput(path: "\"\"", message: "empty path; expected a file") }
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw QBError.badInput(
                path: path, message: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        let format = UInt32(st.st_mode) & UInt32(S_IFMT)
        if format == UInt32(S_IFDIR) { return .directory }
        if let why = problem(format: format) { throw QBError.badInput(path: path, message: why) }
        return .regular
    }

    /// Why a file of this `st_mode & S_IFMT` cannot be read as an input file (nil for a regular file, and for a
    /// folder, which callers judge): the one wording for every file option.
    public static func problem(format: UInt32) -> String? {
        // UInt32 on both sides: mode_t and the S_IF* constants have different widths on Linux and Darwin.
        switch format {
        case UInt32(S_IFREG), UInt32(S_IFDIR): return nil
        case UInt32(S_IFIFO): return "is a FIFO, not a regular file"
        case UInt32(S_IFCHR), UInt32(S_IFBLK): return "is a device, not a regular file"
        case UInt32(S_IFSOCK): return "is a socket, not a regular file"
        default: return "is not a regular file"
        }
    }

    /// Checks that `path` is a regular file.
    /// - Throws: `QBError.badInput` as `kind(_:)`, or for a folder.
    public static func requireRegular(_ path: String) throws {
        if try kind(path) == .directory { throw QBError.badInput(path: path, message: "is a folder, not a file") }
    }

    /// The first `limit` bytes of a regular file (all of it when shorter): callers reading `limit` = their maximum
    /// + 1 learn that a file is too large without reading it all.
    /// - Throws: `QBError.badInput` as `requireRegular`; `QBError.io` when it cannot be opened or read.
    public static func bytes(_ path: String, upTo limit: Int) throws -> Data {
        try requireRegular(path)
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw QBError.io(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { try? h.close() }
        do { return try h.read(upToCount: limit) ?? Data() } catch {
            throw QBError.io(path: path, message: "cannot read: \(String(cString: strerror(errno)))")
        }
    }

    /// The text of a regular file of at most `maxBytes` bytes.
    /// - Throws: `QBError.badInput` as `requireRegular`, for a larger file or one that is not UTF-8 text;
    ///   `QBError.io` when it cannot be read.
    public static func text(_ path: String, maxBytes: Int) throws -> String {
        let data = try bytes(path, upTo: maxBytes + 1)
        guard data.count <= maxBytes else {
            throw QBError.badInput(path: path, message: "larger than \(maxBytes) bytes; expected a small text file")
        }
        guard let s = String(data: data, encoding: .utf8) else {
            throw QBError.badInput(path: path, message: "not UTF-8 text")
        }
        return s
    }
}
