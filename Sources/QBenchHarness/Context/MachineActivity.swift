// How busy the machine was around a run: the CPU time other processes used over a short window, from /proc/stat
// (the whole machine) minus /proc/self/stat (this process), and the CPU clock where it is readable. Every file is
// read through one closure, so tests replay captured text.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file by absolute path ("/proc/stat"); nil when it is missing or unreadable.
public typealias ProcFileReader = @Sendable (String) -> String?

/// The live file system's /proc and /sys.
public enum ProcFiles {
    public static let live: ProcFileReader = { path in
        // /proc files report size 0; Foundation reads them to the end.
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The machine-wide CPU time of `/proc/stat`'s first line, in clock ticks (USER_HZ) summed over every CPU.
public struct CPUTimes: Sendable, Equatable {
    /// user + nice + system + irq + softirq (guest time is already inside user and nice).
    public var busy: UInt64
    /// idle + iowait.
    public var idle: UInt64
    /// Time the hypervisor ran something else while a virtual CPU wanted to run.
    public var steal: UInt64
    /// The `cpuN` lines: the CPUs online when the file was read.
    public var cpuIndices: [Int]

    public init(busy: UInt64, idle: UInt64, steal: UInt64, cpuIndices: [Int]) {
        self.busy = busy; self.idle = idle; self.steal = steal; self.cpuIndices = cpuIndices
    }

    public var total: UInt64 { busy &+ idle &+ steal }

    /// Parses the text of `/proc/stat` (pure). Missing trailing columns of older kernels count as 0.
    /// - Returns: nil when there is no aggregate `cpu` line with at least user, nice, system and idle.
    public static func parse(procStat text: String) -> CPUTimes? {
        var times: CPUTimes?
        var cpus: [Int] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let name = fields.first, name.hasPrefix("cpu") else { continue }
            if name == "cpu" {
                let v = fields.dropFirst().map { UInt64($0) }
                guard v.count >= 4, !v.prefix(8).contains(where: { $0 == nil }) else { return nil }
                let n = v.prefix(8).map { $0! } + Array(repeating: 0, count: max(0, 8 - v.count))
                // user nice system idle iowait irq softirq steal (guest, guest_nice are inside user, nice)
                times = CPUTimes(
                    busy: n[0] &+ n[1] &+ n[2] &+ n[5] &+ n[6], idle: n[3] &+ n[4], steal: n[7],
                    cpuIndices: [])
            } else if let i = Int(name.dropFirst(3)) {
                cpus.append(i)
            }
        }
        times?.cpuIndices = cpus
        return times
    }

    /// This process's CPU time, utime + stime in clock ticks, from the text of `/proc/self/stat` (pure). The
    /// command name in parentheses may hold spaces and parentheses, so fields are counted after the last `)`.
    public static func parseOwnTicks(selfStat text: String) -> UInt64? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // After ")": state(3) ppid(4) ... utime(14) stime(15).
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let utime = UInt64(fields[11]), let stime = UInt64(fields[12]) else { return nil }
        return utime &+ stime
    }
}

/// CPU use over one window, in cores: clock ticks of a kind over all ticks of the window, times the CPU count
/// (1.0 = one CPU busy for the whole window).
public struct MachineActivity: Codable, Sendable, Equatable {
    /// Everything but this process: the machine's busy time minus this process's CPU time (at least 0).
    public var otherCores: Double
    /// This process.
    public var ownCores: Double
    /// Stolen by the hypervisor (virtual machines; 0 elsewhere).
    public var stealCores: Double
    /// CPUs online (`cpuN` lines of /proc/stat).
    public var cpus: Int
    /// Length of the window by the monotonic clock.
    public var windowMs: Double

    public init(otherCores: Double, ownCores: Double, stealCores: Double, cpus: Int, windowMs: Double) {
        self.otherCores = otherCores; self.ownCores = ownCores; self.stealCores = stealCores; self.cpus = cpus
        self.windowMs = windowMs
    }

    /// The activity between two readings of /proc/stat and /proc/self/stat (pure).
    /// - Returns: nil when no tick passed or a counter went backwards.
    public static func between(
        before: CPUTimes, ownBefore: UInt64, after: CPUTimes, ownAfter: UInt64,
        windowNs: UInt64
    ) -> MachineActivity? {
        guard after.busy >= before.busy, after.idle >= before.idle, after.steal >= before.steal,
            ownAfter >= ownBefore, after.total > before.total
        else { return nil }
        let cpus = max(1, after.cpuIndices.count)
        let ticks = Double(after.total - before.total)
        let cores = { (t: UInt64) in Double(t) / ticks * Double(cpus) }
        let busy = after.busy - before.busy, own = ownAfter - ownBefore
        return MachineActivity(
            otherCores: cores(busy > own ? busy - own : 0), ownCores: cores(own),
            stealCores: cores(after.steal - before.steal), cpus: cpus,
            windowMs: Double(windowNs) / 1e6)
    }
}

/// The CPUs' clock at one moment.
public struct CPUFrequency: Codable, Sendable, Equatable {
    /// `scaling_cur_freq` (cpufreq, per CPU) or `cpuinfo` (the `cpu MHz` lines of /proc/cpuinfo).
    public var source: String
    /// CPUs read.
    public var cpus: Int
    public var minMhz: Double
    public var meanMhz: Double
    public var maxMhz: Double

    public init(source: String, cpus: Int, minMhz: Double, meanMhz: Double, maxMhz: Double) {
        self.source = source; self.cpus = cpus; self.minMhz = minMhz; self.meanMhz = meanMhz; self.maxMhz = maxMhz
    }

    /// Summarizes per-CPU clocks in MHz; nil when there are none.
    public static func summary(source: String, mhz: [Double]) -> CPUFrequency? {
        let v = mhz.filter { $0.isFinite && $0 > 0 }
        guard let lo = v.min(), let hi = v.max() else { return nil }
        return CPUFrequency(
            source: source, cpus: v.count, minMhz: lo, meanMhz: v.reduce(0, +) / Double(v.count),
            maxMhz: hi)
    }

    /// The `cpu MHz` values of a /proc/cpuinfo text (pure); empty on architectures that print none (ARM).
    public static func parseCPUInfo(_ text: String) -> [Double] {
        text.split(separator: "\n").compactMap { line -> Double? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "cpu MHz" else { return nil }
            return Double(parts[1].trimmingCharacters(in: .whitespaces))
        }
    }

    /// Reads the clock of `cpus` (indices): cpufreq's `scaling_cur_freq` (kHz) when every one is readable, else
    /// the `cpu MHz` lines of /proc/cpuinfo; nil when neither says anything (VMs without cpufreq on ARM, ...).
    public static func read(_ read: ProcFileReader, cpus: [Int]) -> CPUFrequency? {
        let sysfs = cpus.map { i in
            read("/sys/devices/system/cpu/cpu\(i)/cpufreq/scaling_cur_freq")
                .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if !sysfs.isEmpty, !sysfs.contains(where: { $0 == nil }),
            let f = summary(source: "scaling_cur_freq", mhz: sysfs.map { $0! / 1000 })
        {
            return f
        }
        return read("/proc/cpuinfo").flatMap { summary(source: "cpuinfo", mhz: parseCPUInfo($0)) }
    }
}

/// The machine at one point of a run: other processes' CPU use over a short window, and the CPU clock.
public struct MachineSnapshot: Codable, Sendable, Equatable {
    /// nil when /proc/stat or /proc/self/stat is not readable (not Linux) or no tick passed.
    public var activity: MachineActivity?
    /// nil when no clock is readable.
    public var frequency: CPUFrequency?

    public init(activity: MachineActivity?, frequency: CPUFrequency?) {
        self.activity = activity; self.frequency = frequency
    }
}

/// Takes `MachineSnapshot`s: reads /proc/stat and /proc/self/stat, waits `windowNs` doing nothing, reads them
/// again, then reads the clock.
public struct MachineActivityProbe: Sendable {
    public var read: ProcFileReader
    public var clock: any BenchClock
    public var sleep: @Sendable (UInt64) -> Void
    public var windowNs: UInt64

    /// 250 ms: 25 ticks per CPU at the usual USER_HZ of 100, so one tick is 0.04 of a core.
    public static let defaultWindowNs: UInt64 = 250_000_000

    public init(
        read: @escaping ProcFileReader = ProcFiles.live, clock: any BenchClock = MonotonicClock(),
        sleep: @escaping @Sendable (UInt64) -> Void = { ns in usleep(UInt32(min(ns / 1000, 10_000_000))) },
        windowNs: UInt64 = MachineActivityProbe.defaultWindowNs
    ) {
        self.read = read; self.clock = clock; self.sleep = sleep; self.windowNs = windowNs
    }

    public func snapshot() -> MachineSnapshot {
        let t0 = clock.nowNs()
        let before = read("/proc/stat").flatMap(CPUTimes.parse(procStat:))
        let ownBefore = read("/proc/self/stat").flatMap(CPUTimes.parseOwnTicks(selfStat:))
        sleep(windowNs)
        let after = read("/proc/stat").flatMap(CPUTimes.parse(procStat:))
        let ownAfter = read("/proc/self/stat").flatMap(CPUTimes.parseOwnTicks(selfStat:))
        let elapsed = clock.nowNs() &- t0
        var activity: MachineActivity?
        if let before, let ownBefore, let after, let ownAfter {
            activity = MachineActivity.between(
                before: before, ownBefore: ownBefore, after: after, ownAfter: ownAfter,
                windowNs: elapsed)
        }
        let cpus = after?.cpuIndices ?? before?.cpuIndices ?? []
        return MachineSnapshot(activity: activity, frequency: CPUFrequency.read(read, cpus: cpus))
    }
}
