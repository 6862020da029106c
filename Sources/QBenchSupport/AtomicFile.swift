// Reports and re-quantized models are written to a temp file in the same folder and renamed,
// so an interrupted run never leaves a partial file and never clobbers what the user had with half a file.
import Foundation

public enum AtomicFile {
    /// Writes `data` to `url` atomically (temp file + rename in the same directory).
    /// - Throws: `QBError.io` naming the file when the folder cannot be created or written.
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
            try data.write(to: tmp)
            if rename(tmp.path, url.path) != 0 {
                let err = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: tmp)
                throw QBError.io(path: url.path, message: err)
            }
        } catch let e as QBError {
            throw e
        } catch {
            throw QBError.io(path: url.path, message: error.localizedDescription)
        }
    }
}
