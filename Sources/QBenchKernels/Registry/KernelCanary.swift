// Crash isolation: a variant runs once in a forked child (kernels/canary.c) before anything trusts it, so an
// illegal instruction, a bad pointer or a hang costs a status row, not the run.
import CQBench
import Foundation
import QBenchFormats

/// How the canary child ended.
public enum CanaryOutcome: Equatable, Sendable {
    case ok
    case crashed(signal: Int32)
    case timeout
    case exited(code: Int32)
    /// The child could not be started (fork or allocation failed), with errno.
    case notRun(errno: Int32)
}

public enum KernelCanary {
    /// Default wait before the child is killed. Canary shapes take microseconds; this only bounds hangs.
    public static let defaultTimeoutMs = 10_000

    /// Runs a registered variant in a child process. Does not check CPU features: that is the caller's
    /// decision (`KernelVerifier`), and tests rely on it to provoke SIGILL.
    public static func run(
        _ v: KernelVariant, registry: KernelRegistry = .builtIn,
        timeoutMs: Int = defaultTimeoutMs
    ) -> CanaryOutcome {
        guard let e = registry.entry(v) else { return .notRun(errno: ENOENT) }
        return run(entry: e, group: v.group, timeoutMs: timeoutMs)
    }

    /// Runs any entry (tests use the misbehaving `qb_canary_test_*` kernels).
    public static func run(entry: UnsafePointer<qb_kernel_entry>, group: Int, timeoutMs: Int) -> CanaryOutcome {
        // Row bytes come from the formats (the one place they are defined); a name the formats do not know
        // (the misbehaving test kernels) gets a generous 4 bytes per element.
        let k = Int(QB_CANARY_K)
        let w = String(cString: entry.pointee.wfmt), x = String(cString: entry.pointee.afmt)
        let wStride = (try? WeightFormat(rawValue: w)?.rowBytes(k: k)) ?? nil
        let xStride = (try? ActivationFormat(rawValue: x)?.rowBytes(k: k)) ?? nil
        var r = qb_canary_result()
        _ = qb_canary_run(entry, Int32(group), wStride ?? 4 * k, xStride ?? 4 * k, Int32(clamping: timeoutMs), &r)
        switch r.outcome {
        case Int32(QB_CANARY_OK.rawValue): return .ok
        case Int32(QB_CANARY_SIGNALED.rawValue): return .crashed(signal: r.signal)
        case Int32(QB_CANARY_TIMEOUT.rawValue): return .timeout
        case Int32(QB_CANARY_EXITED.rawValue): return .exited(code: r.exit_code)
        default: return .notRun(errno: r.error)
        }
    }

    /// Conventional name of a signal number ("SIGILL"), or "signal N".
    public static func signalName(_ s: Int32) -> String {
        let names: [Int32: String] = [
            SIGILL: "SIGILL", SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
            SIGABRT: "SIGABRT", SIGKILL: "SIGKILL", SIGTRAP: "SIGTRAP", SIGSYS: "SIGSYS",
            SIGTERM: "SIGTERM",
        ]
        return names[s] ?? "signal \(s)"
    }
}
