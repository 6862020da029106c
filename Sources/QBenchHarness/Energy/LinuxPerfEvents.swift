// perf_event_open for the power PMU on Linux. Swift cannot call the variadic syscall(2) directly, so the
// libc symbol is called through a fixed six-argument C prototype: on x86_64 and aarch64 Linux integer
// variadic arguments travel in the same registers as fixed ones. (A `qb_hw_perf_event_open` shim in
// CQBench would be the cleaner seam; this file is the only place that knows the difference.)
#if os(Linux)
import Glibc

public struct LinuxPerfEvents: PerfEventOpening {
    private typealias SyscallFn = @convention(c) (Int, Int, Int, Int, Int, Int) -> Int
    private static let syscallFn: SyscallFn? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "syscall") else { return nil }
        return unsafeBitCast(sym, to: SyscallFn.self)
    }()

    #if arch(x86_64)
    private static let nrPerfEventOpen = 298
    #elseif arch(arm64)
    private static let nrPerfEventOpen = 241
    #else
    private static let nrPerfEventOpen = -1
    #endif

    public init() {}

    public func open(type: UInt32, config: UInt64, cpu: Int32) throws -> Int32 {
        guard let fn = LinuxPerfEvents.syscallFn, LinuxPerfEvents.nrPerfEventOpen >= 0 else {
            throw EnergyUnavailable(.perf, "perf_event_open is not available on this architecture")
        }
        // perf_event_attr, PERF_ATTR_SIZE_VER0 (64 bytes): type u32, size u32, config u64, rest zero
        // (counting, enabled at open, no sampling).
        var attr = [UInt8](repeating: 0, count: 64)
        attr.withUnsafeMutableBytes { p in
            p.storeBytes(of: type, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: UInt32(64), toByteOffset: 4, as: UInt32.self)
            p.storeBytes(of: config, toByteOffset: 8, as: UInt64.self)
        }
        let perfFlagFdCloexec = 8
        let fd = attr.withUnsafeMutableBytes { p in
            fn(LinuxPerfEvents.nrPerfEventOpen, Int(bitPattern: p.baseAddress), -1, Int(cpu), -1, perfFlagFdCloexec)
        }
        if fd < 0 {
            let e = errno
            var why = String(cString: strerror(e))
            if e == EACCES || e == EPERM {
                let paranoid = (try? DirectorySysfs(root: "/proc/sys/kernel").read("perf_event_paranoid")) ?? "?"
                why += " (system-wide PMU needs root or CAP_PERFMON; perf_event_paranoid is \(paranoid))"
            }
            throw EnergyUnavailable(.perf, why)
        }
        return Int32(truncatingIfNeeded: fd)
    }

    public func read(_ fd: Int32) throws -> UInt64 {
        var value: UInt64 = 0
        let n = Glibc.read(fd, &value, 8)
        guard n == 8 else { throw EnergyUnavailable(.perf, "read of perf counter fd \(fd) returned \(n)") }
        return value
    }

    public func close(_ fd: Int32) { _ = Glibc.close(fd) }
}
#endif
