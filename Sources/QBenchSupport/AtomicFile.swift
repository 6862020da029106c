// Reports and re-quantized models are written to a temp file in the same folder, flushed to disk and renamed,
// so an interrupted run or a full disk never leaves a partial file and never clobbers what the user had with half
// a file. The temp file is removed on every failure path.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum AtomicFile {
    /// Writes `data` to `url` atomically: a fresh temp file in the same folder (created exclusively), written in
    /// full, fsync'd, then renamed over `url` (`replace`) or linked to it only if `url` does not exist yet.
    /// - Parameter replace: false publishes with a no-replace link, so two writers cannot both "succeed": the
    ///   second gets "already exists".
    /// - Throws: `QBError.io` naming the file: the folder cannot be created or written, the disk is full, or
    ///   (`replace == false`) the file exists.
    public static func write(_ data: Data, to url: URL, replace: Bool = true) throws {
        let dir = url.deletingLastPathComponent()
        try makeDirectories(dir)
        let (fd, tmp) = try createTemp(for: url)
        var published = false
        defer { if !published { unlink(tmp) } }
        do {
            try FileDescriptor.writeAll(fd, data, path: url.path)
            guard fsync(fd) == 0 else { throw QBError.io(path: url.path, message: errnoText()) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw QBError.io(path: url.path, message: errnoText()) }
        if replace {
            guard rename(tmp, url.path) == 0 else { throw QBError.io(path: url.path, message: errnoText()) }
        } else {
            // link(2) fails with EEXIST when the name is taken: an atomic "create only if absent".
            if link(tmp, url.path) == 0 {
                unlink(tmp)
            } else {
                let err = errno
                if err == EEXIST {
                    throw QBError.io(path: url.path, message: "already exists; pass --force to replace it")
                }
                // A filesystem without hard links (some FUSE and FAT mounts): check, then rename. Not atomic
                // against a concurrent writer, but it does not refuse every write there.
                guard err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EMLINK else {
                    throw QBError.io(path: url.path, message: String(cString: strerror(err)))
                }
                if FileManager.default.fileExists(atPath: url.path) {
                    throw QBError.io(path: url.path, message: "already exists; pass --force to replace it")
                }
                guard rename(tmp, url.path) == 0 else { throw QBError.io(path: url.path, message: errnoText()) }
            }
        }
        published = true
        syncDirectory(dir)
    }

    /// Checks, before long work, that a file can be created in `dir` (made when missing): creates and removes a
    /// probe file.
    /// - Throws: `QBError.io` naming `dir` (or the file in the way) and why it cannot be written.
    public static func checkWritableDirectory(_ dir: URL) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw QBError.io(path: dir.path, message: "is a file, not a folder")
        }
        try makeDirectories(dir)
        let (fd, tmp) = try createTemp(for: dir.appendingPathComponent("write-check"))
        close(fd)
        unlink(tmp)
    }

    /// A new, exclusively created temp file beside `url`: `.NAME.tmp-PID-RANDOM`.
    static func createTemp(for url: URL) throws -> (Int32, String) {
        let dir = url.deletingLastPathComponent().path
        for _ in 0..<16 {
            let tmp = "\(dir)/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, tmp) }
            if errno != EEXIST { throw QBError.io(path: dir, message: "cannot write here: \(errnoText())") }
        }
        throw QBError.io(path: dir, message: "cannot create a temporary file")
    }

    /// Makes the rename durable (best effort: not every filesystem supports fsync on a directory).
    static func syncDirectory(_ dir: URL) {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// `mkdir -p`: each missing folder of `dir` is created; the error names the folder and the POSIX reason.
    static func makeDirectories(_ dir: URL) throws {
        var path = ""
        for part in dir.standardizedFileURL.path.split(separator: "/", omittingEmptySubsequences: true) {
            path += "/" + part
            if mkdir(path, 0o755) == 0 { continue }
            let err = errno
            var st = stat()
            if err == EEXIST, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { continue }
            let why = err == EEXIST ? "a file is in the way" : String(cString: strerror(err))
            throw QBError.io(path: dir.path, message: "cannot create the folder: \(why) (\(path))")
        }
    }
}
