// Progress on stderr, in one of three styles: a line redrawn in place on a terminal (phase, item n/N, ETA),
// plain lines for logs (phase start and end with counts and elapsed time, and a line every 10 s during a long
// phase, so a CI log is never silent for minutes), or nothing. Results never go here: they go to stdout.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `--progress` asks for. `auto` is `terminal` when stderr is a terminal, else `plain`.
public enum ProgressMode: String, CaseIterable, Sendable {
    case auto, plain, none
}

/// Reports phases and items on stderr. Calls may come from any thread.
public final class ProgressReporter: @unchecked Sendable {
    /// How progress is shown.
    public enum Style: Sendable, Equatable {
        /// "[phase] n/N item  ETA 1m05s", redrawn on one line.
        case terminal
        /// "qbench: phase n/N (12s)" lines: at a phase's start and end, and every `intervalNs` of a long phase.
        case plain(intervalNs: UInt64)
        /// Nothing.
        case silent
    }

    /// Plain lines during a phase come at most this often (and only when an item starts).
    public static let plainIntervalNs: UInt64 = 10_000_000_000

    private let lock = NSLock()
    public let style: Style
    private let write: (String) -> Void
    private let clock: any BenchClock
    private var phase = ""
    private var total = 0
    private var done = 0
    private var phaseStartNs: UInt64 = 0
    private var lastLineNs: UInt64 = 0
    private var inPhase = false
    private var drewLine = false

    /// True when file descriptor 2 is a terminal.
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// False for `.silent`: every call is then a no-op.
    public var isEnabled: Bool { style != .silent }

    /// The style `mode` means for a stderr that is (or is not) a terminal.
    public static func style(
        for mode: ProgressMode, stderrIsTerminal: Bool = ProgressReporter.stderrIsTerminal
    )
        -> Style
    {
        switch mode {
        case .auto: return stderrIsTerminal ? .terminal : .plain(intervalNs: plainIntervalNs)
        case .plain: return .plain(intervalNs: plainIntervalNs)
        case .none: return .silent
        }
    }

    /// - Parameters:
    ///   - style: defaults to what `--progress auto` gives for this process's stderr.
    ///   - write: where text goes (stderr by default; tests capture it).
    public init(
        style: Style = ProgressReporter.style(for: .auto), clock: any BenchClock = MonotonicClock(),
        write: @escaping (String) -> Void = ProgressReporter.writeStderr
    ) {
        self.style = style; self.clock = clock; self.write = write
    }

    /// `mode` on this process's stderr.
    public convenience init(mode: ProgressMode) { self.init(style: ProgressReporter.style(for: mode)) }

    /// `isEnabled`: the terminal line; else nothing.
    public convenience init(
        isEnabled: Bool, clock: any BenchClock = MonotonicClock(),
        write: @escaping (String) -> Void = ProgressReporter.writeStderr
    ) {
        self.init(style: isEnabled ? .terminal : .silent, clock: clock, write: write)
    }

    public static func writeStderr(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { posixWrite(2, $0.baseAddress, $0.count) }
    }

    /// Starts a phase of `total` items (e.g. "verify", 40).
    public func begin(phase: String, total: Int) {
        lock.lock(); defer { lock.unlock() }
        self.phase = phase; self.total = max(total, 0); done = 0; phaseStartNs = clock.nowNs()
        lastLineNs = phaseStartNs; inPhase = true
        switch style {
        case .terminal: draw(item: "")
        case .plain: write("qbench: \(phase): \(self.total) items\n")
        case .silent: break
        }
    }

    /// Marks one more item as started and shows it.
    public func step(_ item: String) {
        lock.lock(); defer { lock.unlock() }
        switch style {
        case .terminal:
            draw(item: item)
        case .plain(let interval):
            let now = clock.nowNs()
            if now &- lastLineNs >= interval {
                lastLineNs = now
                write(
                    ProgressReporter.plainLine(
                        phase: phase, completed: done, total: total, item: item,
                        elapsedNs: now &- phaseStartNs) + "\n")
            }
        case .silent:
            break
        }
        done += 1
    }

    /// Ends the phase: clears the terminal line, or writes the plain end line (items and elapsed time). Call
    /// before printing anything else, and at the end.
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        switch style {
        case .terminal:
            guard drewLine else { return }
            write("\r\u{1B}[2K")
            drewLine = false
        case .plain:
            guard inPhase else { return }
            let elapsed = ProgressReporter.formatDuration(seconds: Double(clock.nowNs() &- phaseStartNs) / 1e9)
            write("qbench: \(phase) done: \(done)/\(total) in \(elapsed)\n")
        case .silent:
            break
        }
        inPhase = false
    }

    /// A line that belongs with the progress (what a run is about to do): written in the terminal and plain
    /// styles (clearing the terminal line first), not when silent.
    public func note(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        switch style {
        case .terminal:
            write((drewLine ? "\r\u{1B}[2K" : "") + text + "\n")
            drewLine = false
        case .plain:
            write(text + "\n")
        case .silent:
            break
        }
    }

    private func draw(item: String) {
        let elapsed = clock.nowNs() &- phaseStartNs
        write(
            "\r\u{1B}[2K"
                + ProgressReporter.line(
                    phase: phase, index: done + 1, total: total, item: item,
                    completed: done, elapsedNs: elapsed))
        drewLine = true
    }

    /// The text of one progress line (pure). ETA = elapsed / completed * remaining, shown once one item is done.
    public static func line(
        phase: String, index: Int, total: Int, item: String, completed: Int,
        elapsedNs: UInt64
    ) -> String {
        var s = "[\(phase)] \(min(index, max(total, 1)))/\(total)"
        if !item.isEmpty { s += " \(item)" }
        if let eta = eta(total: total, completed: completed, elapsedNs: elapsedNs) { s += "  ETA \(eta)" }
        return s
    }

    /// One plain line during a phase (pure): "qbench: verify 40/139 (12s, ETA 30s): gemv q4_0 avx2", where 40 items
    /// are done and `item` is the one starting.
    public static func plainLine(phase: String, completed: Int, total: Int, item: String, elapsedNs: UInt64) -> String {
        var s = "qbench: \(phase) \(completed)/\(total) (\(formatDuration(seconds: Double(elapsedNs) / 1e9))"
        if let eta = eta(total: total, completed: completed, elapsedNs: elapsedNs) { s += ", ETA \(eta)" }
        s += ")"
        if !item.isEmpty { s += ": \(item)" }
        return s
    }

    static func eta(total: Int, completed: Int, elapsedNs: UInt64) -> String? {
        guard completed > 0 && total > completed else { return nil }
        let perItem = Double(elapsedNs) / Double(completed)
        return formatDuration(seconds: perItem * Double(total - completed) / 1e9)
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
