// Checked writes to stdout: a full disk (> /dev/full) or a closed stdout is one line on stderr and exit 1, not a
// trap in FileHandle's write or output silently lost. A pipe closed by its reader (`| head`) still ends the
// process with SIGPIPE, as for any Unix tool.
import Foundation
import QBenchSupport

enum Stdout {
    /// - Throws: `QBError.io(path: "stdout", ...)` with the reason.
    static func write(_ data: Data) throws { try FileDescriptor.writeAll(1, data, path: "stdout") }

    static func write(_ text: String) throws { try write(Data(text.utf8)) }
}
