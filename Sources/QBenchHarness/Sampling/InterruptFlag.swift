// Ctrl-C handling for long runs: the first SIGINT raises a flag the run loop checks between items
// (the sampler checks it between samples); the caller then stops cleanly and writes nothing partial
// (reports go through `AtomicFile`). The handler also restores the default action, so a second Ctrl-C
// kills the process the ordinary way.
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

    public func raise() { cell.pointee = 1 }
    public func reset() { cell.pointee = 0 }

    /// Installs the SIGINT handler that raises this flag (one flag per process; a later call replaces it).
    /// - Parameter signals: the signals to catch (SIGINT by default; add SIGTERM for batch schedulers).
    public func installHandler(signals: [Int32] = [SIGINT]) {
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
    InterruptFlag.installedCell?.pointee = 1
}
