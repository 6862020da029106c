// Checked writes to stdout: a full disk (> /dev/full) or a closed stdout is one line on stderr and exit 1, not a
// trap in FileHandle's write or output silently lost. A pipe closed by its reader (`| head`) still ends the
// process with SIGPIPE, as for any Unix tool.
import Foundation
import QBenchSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum Stdout {
    /// Writes all of `data` to file descriptor 1.
    /// - Throws: `QBError.io(path: "stdout", ...)` with the reason.
    static func write(_ data: Data) throws {
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count {
                #if canImport(Glibc)
                let n = Glibc.write(1, buf.baseAddress! + off, buf.count - off)
                #elseif canImport(Musl)
                let n = Musl.write(1, buf.baseAddress! + off, buf.count - off)
                #else
                let n = Darwin.write(1, buf.baseAddress! + off, buf.count - off)
                #endif
                if n < 0 {
                    if errno == EINTR { continue }
                    throw QBError.io(path: "stdout", message: String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }

    static func write(_ text: String) throws { try write(Data(text.utf8)) }
}
