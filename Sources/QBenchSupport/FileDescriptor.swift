// The one write loop over a POSIX file descriptor: every byte written, EINTR retried, a failure one QBError line.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum FileDescriptor {
    /// Writes all of `data` to `fd`.
    /// - Throws: `QBError.io(path: path, ...)` with the POSIX reason (a full disk, a closed descriptor).
    public static func writeAll(_ fd: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count {
                #if canImport(Glibc)
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                #elseif canImport(Musl)
                let n = Musl.write(fd, buf.baseAddress! + off, buf.count - off)
                #else
                let n = Darwin.write(fd, buf.baseAddress! + off, buf.count - off)
                #endif
                if n < 0 {
                    if errno == EINTR { continue }
                    throw QBError.io(path: path, message: String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }
}
