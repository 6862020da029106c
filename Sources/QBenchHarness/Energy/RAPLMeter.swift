// RAPL through the Linux powercap sysfs interface (/sys/class/powercap/intel-rapl:*).
//
// Zones are `intel-rapl:<pkg>` (name "package-N", or "psys" on client parts) with sub-zones
// `intel-rapl:<pkg>:<n>` ("core", "uncore", "dram"). AMD Zen parts register under the same intel-rapl
// control type upstream; `amd-rapl:*` is accepted as well because some tools and kernels name it so.
// `intel-rapl-mmio:*` duplicates package-0 through MMIO and is skipped to avoid double counting.
// Since the PLATYPUS fix (CVE-2020-8694, November 2020) energy_uj is readable by root only.

/// One powercap zone used by the meter.
public struct RAPLDomain: Sendable, Equatable {
    /// Directory name, e.g. "intel-rapl:0:2".
    public var zone: String
    /// Its `name` file: "package-0", "dram", "psys", ...
    public var name: String
    /// The counter's range: energy_uj wraps back to 0 after this value.
    public var maxEnergyRangeUj: UInt64
}

/// Sums package (and dram) RAPL counters, or psys when no package zone exists.
public struct RAPLMeter: EnergyMeter {
    public let sysfs: any SysfsReader
    public let domains: [RAPLDomain]
    public let clock: any BenchClock
    public var source: EnergySource { .rapl }
    public var detail: String { domains.map { "\($0.zone) \($0.name)" }.joined(separator: " + ") }

    static let base = "class/powercap"

    /// Finds the zones to sum and checks that their counters are readable.
    /// - Returns: the meter, or the reason RAPL cannot be used here.
    public static func discover(
        _ sysfs: any SysfsReader, clock: any BenchClock = MonotonicClock()
    )
        -> Result<RAPLMeter, EnergyUnavailable>
    {
        func fail(_ r: String) -> Result<RAPLMeter, EnergyUnavailable> { .failure(EnergyUnavailable(.rapl, r)) }
        guard let entries = sysfs.list(base) else {
            return fail(
                "\(sysfs.display(base)) does not exist "
                    + "(no powercap driver: a VM, a container, or a kernel without intel_rapl)"
            )
        }
        let zones = entries.filter(isRAPLZone)
        guard !zones.isEmpty else {
            return fail("\(sysfs.display(base)) has no intel-rapl or amd-rapl zones")
        }
        var named: [(zone: String, name: String)] = []
        for z in zones {
            guard let name = try? sysfs.read("\(base)/\(z)/name") else { continue }
            named.append((z, name))
        }
        var chosen = named.filter { $0.name.hasPrefix("package") && $0.zone.split(separator: ":").count == 2 }
        if chosen.isEmpty { chosen = named.filter { $0.name == "psys" } }
        guard !chosen.isEmpty else {
            return fail(
                "no package or psys zone among \(named.map { "\($0.zone) \($0.name)" }.joined(separator: ", "))")
        }
        // DRAM is a sibling of the package in the hardware but a sub-zone in sysfs; it is not part of package energy.
        if chosen.first?.name != "psys" { chosen += named.filter { $0.name == "dram" } }

        var domains: [RAPLDomain] = []
        for c in chosen {
            let dir = "\(base)/\(c.zone)"
            do {
                let range = try sysfs.readUInt64("\(dir)/max_energy_range_uj")
                _ = try sysfs.readUInt64("\(dir)/energy_uj")
                domains.append(RAPLDomain(zone: c.zone, name: c.name, maxEnergyRangeUj: range))
            } catch SysfsError.permissionDenied(let path) {
                return fail(
                    "\(path) is readable by root only (restricted since the 2020 PLATYPUS fix, CVE-2020-8694); "
                        + "run as root or grant read access to energy_uj"
                )
            } catch {
                return fail("\(error)")
            }
        }
        return .success(RAPLMeter(sysfs: sysfs, domains: domains, clock: clock))
    }

    static func isRAPLZone(_ name: String) -> Bool {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0] == "intel-rapl" || parts[0] == "amd-rapl" else {
            return false
        }
        return parts.dropFirst().allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    public func read() throws -> EnergyReading {
        let now = clock.nowNs()
        let values = try domains.map { Double(try sysfs.readUInt64("\(RAPLMeter.base)/\($0.zone)/energy_uj")) }
        return EnergyReading(wallNs: now, values: values)
    }

    public func joules(from start: EnergyReading, to end: EnergyReading) -> Double {
        var uj = 0.0
        for (i, d) in domains.enumerated() where i < start.values.count && i < end.values.count {
            uj += RAPLMeter.deltaUj(from: start.values[i], to: end.values[i], maxRangeUj: Double(d.maxEnergyRangeUj))
        }
        return uj / 1e6
    }

    /// Counter difference with one wrap allowed: the kernel reports energy_uj modulo max_energy_range_uj
    /// (to within one hardware energy unit), so a smaller end value means it wrapped once. More than one wrap
    /// in one interval (minutes at server power) cannot be seen; callers keep intervals short.
    public static func deltaUj(from a: Double, to b: Double, maxRangeUj: Double) -> Double {
        if b >= a { return b - a }
        return maxRangeUj > a ? (maxRangeUj - a) + b : b
    }
}
