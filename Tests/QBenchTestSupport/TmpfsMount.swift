// A tiny tmpfs mounted over a scratch folder, for full-disk tests (needs root; CI runs as root).
import Foundation
import XCTest

public final class TmpfsMount {
    public let url: URL

    /// Mounts a tmpfs of `size` (e.g. "64k") over `dir`; skips the test with the reason when mounting fails.
    public init(over dir: URL, size: String) throws {
        url = dir
        let status = try TmpfsMount.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir.path])
        try XCTSkipUnless(status == 0, "mounting a tmpfs needs root (CI runs as root)")
    }

    /// Unmounts; call in a `defer`.
    public func unmount() { _ = try? TmpfsMount.run("/bin/umount", [url.path]) }

    private static func run(_ exe: String, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw XCTSkip("cannot run \(exe): \(error)") }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
