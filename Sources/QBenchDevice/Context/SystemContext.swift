// The software context a benchmark ran in: kernel, distribution, microcode, frequency governor, transparent
// huge pages. Read from files under one injectable root so tests replay captured layouts.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct SystemContext: Sendable, Equatable {
    /// `/proc/cpuinfo` `microcode` of the first CPU listing one (x86 Linux), e.g. `0xb000040`.
    public var microcode: String?
    /// `Linux 6.1.0-18-amd64`: `/proc/sys/kernel/{ostype,osrelease}`, or `uname()` on the live root.
    public var kernel: String
    /// `/etc/os-release` `PRETTY_NAME` (else `NAME`), or the kernel type when there is none.
    public var osName: String
    /// `cpu0` `scaling_governor`, nil when cpufreq is absent (common in VMs).
    public var frequencyGovernor: String?
    /// The bracketed choice of `/sys/kernel/mm/transparent_hugepage/enabled`.
    public var transparentHugepages: String?
    /// `/proc/meminfo` `MemTotal` in bytes.
    public var memTotalBytes: UInt64?

    public init(
        microcode: String?, kernel: String, osName: String, frequencyGovernor: String?,
        transparentHugepages: String?, memTotalBytes: UInt64?
    ) {
        self.microcode = microcode; self.kernel = kernel; self.osName = osName
        self.frequencyGovernor = frequencyGovernor; self.transparentHugepages = transparentHugepages
        self.memTotalBytes = memTotalBytes
    }

    /// The live filesystem root.
    public static let liveRoot = URL(fileURLWithPath: "/")

    /// Reads the context under `root` (the live system by default). Missing files give nil fields, never errors:
    /// a container or a non-Linux system simply knows less.
    public static func read(root: URL = liveRoot) -> SystemContext {
        let file = { (path: String) -> String? in
            let url = root.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
        let isLive = root.standardizedFileURL.path == "/"

        var kernel: String?
        if let release = file("proc/sys/kernel/osrelease").flatMap(firstLine) {
            let type = file("proc/sys/kernel/ostype").flatMap(firstLine) ?? "Linux"
            kernel = "\(type) \(release)"
        } else if isLive {
            kernel = unameKernel()
        }
        let kernelType = kernel.map { String($0.prefix(while: { $0 != " " })) }
        let osName = file("etc/os-release").flatMap(parseOSRelease) ?? kernelType ?? "unknown"

        return SystemContext(
            microcode: file("proc/cpuinfo").flatMap(parseMicrocode),
            kernel: kernel ?? "unknown",
            osName: osName,
            frequencyGovernor: file("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").flatMap(firstLine),
            transparentHugepages: file("sys/kernel/mm/transparent_hugepage/enabled").flatMap(parseBracketedChoice),
            memTotalBytes: file("proc/meminfo").flatMap(parseMemTotal))
    }

    /// The profile's `os` section.
    public var os: OSInfo { OSInfo(name: osName, kernel: kernel, frequencyGovernor: frequencyGovernor) }

    /// The profile's `memory` section: the kernel's `MemTotal` when known, else hwloc's total, else 0.
    ///
    /// `MemTotal` wins because it is what the OS can hand out; hwloc sums the NUMA nodes' own counters, which
    /// can lag behind it (on the development VM, after memory hot-plug, node0 says 12.7 GiB while MemTotal says
    /// 23.5 GiB).
    public func memory(hwlocTotalBytes: UInt64) -> MemoryInfo {
        MemoryInfo(totalBytes: memTotalBytes ?? hwlocTotalBytes, transparentHugepages: transparentHugepages)
    }

    // MARK: Pure parsers (each takes a whole file's text)

    static func firstLine(_ text: String) -> String? {
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true).first
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return (line?.isEmpty ?? true) ? nil : line
    }

    /// `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"` -> `Debian GNU/Linux 12 (bookworm)`; `NAME` when no pretty name.
    static func parseOSRelease(_ text: String) -> String? {
        var fields: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = String(value.dropFirst().dropLast())
            }
            fields[String(line[..<eq])] = value
        }
        for key in ["PRETTY_NAME", "NAME"] { if let v = fields[key], !v.isEmpty { return v } }
        return nil
    }

    /// The first `microcode : 0x...` line of `/proc/cpuinfo`.
    static func parseMicrocode(_ text: String) -> String? {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard key == "microcode" else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// `always [madvise] never` -> `madvise`.
    static func parseBracketedChoice(_ text: String) -> String? {
        guard let open = text.firstIndex(of: "["),
            let close = text[open...].firstIndex(of: "]")
        else { return nil }
        let choice = text[text.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
        return choice.isEmpty ? nil : choice
    }

    /// `MemTotal:       16384000 kB` -> bytes (the kernel's "kB" is KiB).
    static func parseMemTotal(_ text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kib = UInt64(parts[1]) else { return nil }
            let (bytes, overflow) = kib.multipliedReportingOverflow(by: 1024)
            return overflow ? nil : bytes
        }
        return nil
    }

    static func unameKernel() -> String? {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        let sys = withUnsafeBytes(of: u.sysname) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        let rel = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return "\(sys) \(rel)"
    }
}
