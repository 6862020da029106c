// Ctrl-C handling for long runs: the first SIGINT raises a flag the run loop checks between items
// (the sampler checks it between samples); the caller then stops cleanly and writes nothing partial
// (reports go through `AtomicFile`). The handler also restores the default action, so a second Ctrl-C
// kills the process the ordinary way.
import QBenchSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A flag raised by a signal (or by hand) and polled by the run loop.
///
/// The storage is a raw `sig_atomic_t` cell reached through a pointer: the signal handler must not touch
/// Swift globals that need lazy initialisation or exclusivity bookkeeping.
public final class InterruptFlag: @unchecked Sendable {
    private let cell: UnsafeMutablePointer<sig_atomic_t>

    public init() {
        cell = .allocate(capacity: 1)
        cell.initialize(to: 0)
    }

    deinit {
        if InterruptFlag.installedCell == cell { InterruptFlag.installedCell = nil }
        cell.deallocate()
    }

    /// True once the signal arrived (or `raise()` was called).
    public var isRaised: Bool { cell.pointee != 0 }

    /// The signal that raised the flag (SIGINT for `raise()`), nil while it is down.
    public var signal: Int32? { cell.pointee == 0 ? nil : Int32(cell.pointee) }

    /// The exit status a process stopped by this signal reports by convention: 128 + the signal (130 for
    /// SIGINT, 143 for SIGTERM).
    public var exitStatus: Int32? { signal.map { 128 + $0 } }

    public func raise() { cell.pointee = sig_atomic_t(SIGINT) }

    /// Throws `QBError.interrupted` once the flag is up: for loops that stop between items and keep nothing
    /// partial. `what` names the work in the message ("the analysis").
    public func check(what: String) throws {
        guard let sig = signal else { return }
        let name = sig == SIGINT ? "SIGINT (Ctrl-C)" : sig == SIGTERM ? "SIGTERM" : "signal \(sig)"
        throw QBError.interrupted(
            signal: sig, message: "interrupted by \(name) before \(what) finished; nothing written")
    }
    public func reset() { cell.pointee = 0 }

    /// Installs the handler that raises this flag (one flag per process; a later call replaces it).
    /// - Parameter signals: the signals to catch: SIGINT (Ctrl-C) and SIGTERM (what `timeout`, Kubernetes and
    ///   Slurm send), handled alike.
    public func installHandler(signals: [Int32] = [SIGINT, SIGTERM]) {
        InterruptFlag.installedCell = cell
        for sig in signals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = interruptFlagHandler
            #else
            action.__sigaction_u.__sa_handler = interruptFlagHandler
            #endif
            sigemptyset(&action.sa_mask)
            // SA_RESETHAND: after the first delivery the default action is back, so a second Ctrl-C kills.
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
            var previous = sigaction()
            sigaction(sig, &action, &previous)
            // A second install must not record our own handler as the one to restore.
            if InterruptFlag.previous[sig] == nil { InterruptFlag.previous[sig] = previous }
        }
    }

    /// Restores the handlers that were in place before `installHandler`.
    public func uninstallHandler() {
        for (sig, prev) in InterruptFlag.previous {
            var p = prev
            sigaction(sig, &p, nil)
        }
        InterruptFlag.previous = [:]
        if InterruptFlag.installedCell == cell { InterruptFlag.installedCell = nil }
    }

    // Set before the handler is installed, read by the handler. `nonisolated(unsafe)` because the only
    // concurrent reader is the signal handler, which reads a pointer-sized value.
    nonisolated(unsafe) static var installedCell: UnsafeMutablePointer<sig_atomic_t>?
    nonisolated(unsafe) static var previous: [Int32: sigaction] = [:]
}

private func interruptFlagHandler(_ signal: Int32) {
    InterruptFlag.installedCell?.pointee = sig_atomic_t(signal)
}
