// A progress line on stderr for interactive runs: phase, item n/N and an ETA. Silent when stderr is not a
// terminal (CI logs, redirects), so machine output and logs stay clean.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws "[phase] n/N item  ETA 1m05s" on one terminal line, redrawn in place. Calls may come from any thread.
public final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    /// False when stderr is not a TTY: every call is then a no-op.
    public let isEnabled: Bool
    private let write: (String) -> Void
    private let clock: any BenchClock
    private var phase = ""
    private var total = 0
    private var done = 0
    private var phaseStartNs: UInt64 = 0
    private var drewLine = false

    /// True when file descriptor 2 is a terminal.
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// - Parameters:
    ///   - isEnabled: defaults to `stderrIsTerminal`.
    ///   - write: where text goes (stderr by default; tests capture it).
    public init(isEnabled: Bool = ProgressReporter.stderrIsTerminal, clock: any BenchClock = MonotonicClock(),
                write: @escaping (String) -> Void = ProgressReporter.writeStderr) {
        self.isEnabled = isEnabled; self.clock = clock; self.write = write
    }

    public static func writeStderr(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { posixWrite(2, $0.baseAddress, $0.count) }
    }

    /// Starts a phase of `total` items (e.g. "verify", 40).
    public func begin(phase: String, total: Int) {
        lock.lock(); defer { lock.unlock() }
        self.phase = phase; self.total = max(total, 0); done = 0; phaseStartNs = clock.nowNs()
        draw(item: "")
    }

    /// Marks one more item as started and shows it.
    public func step(_ item: String) {
        lock.lock(); defer { lock.unlock() }
        draw(item: item)
        done += 1
    }

    /// Clears the line (call before printing anything else, and at the end).
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        guard isEnabled, drewLine else { return }
        write("\r\u{1B}[2K")
        drewLine = false
    }

    private func draw(item: String) {
        guard isEnabled else { return }
        let elapsed = clock.nowNs() &- phaseStartNs
        write("\r\u{1B}[2K" + ProgressReporter.line(phase: phase, index: done + 1, total: total, item: item,
                                                    completed: done, elapsedNs: elapsed))
        drewLine = true
    }

    /// The text of one progress line (pure). ETA = elapsed / completed * remaining, shown once one item is done.
    public static func line(phase: String, index: Int, total: Int, item: String, completed: Int,
                            elapsedNs: UInt64) -> String {
        var s = "[\(phase)] \(min(index, max(total, 1)))/\(total)"
        if !item.isEmpty { s += " \(item)" }
        if completed > 0 && total > completed {
            let perItem = Double(elapsedNs) / Double(completed)
            let remaining = perItem * Double(total - completed) / 1e9
            s += "  ETA \(formatDuration(seconds: remaining))"
        }
        return s
    }

    /// "45s", "3m07s", "1h02m".
    public static func formatDuration(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(min(seconds.rounded(), 359_999))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + pad2(s % 60) + "s" }
        return "\(s / 3600)h" + pad2((s % 3600) / 60) + "m"
    }

    private static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}

#if canImport(Glibc)
private let posixWrite = Glibc.write
#else
private let posixWrite = Darwin.write
#endif
