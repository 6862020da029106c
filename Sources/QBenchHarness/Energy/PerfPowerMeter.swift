// The perf `power` PMU (/sys/bus/event_source/devices/power): the same RAPL counters through
// perf_event_open, which needs root or CAP_PERFMON (or perf_event_paranoid <= 0) for this system-wide PMU.
// Detection reads sysfs only; opening goes through `PerfEventOpening` so tests script the counters.

/// One event of the power PMU, e.g. energy-pkg (event=0x02, scale 2.3283064365386962890625e-10 J).
public struct PerfPowerEvent: Sendable, Equatable {
    public var name: String
    public var config: UInt64
    /// Joules per count (the `.scale` file; perf documents the unit in `.unit`, "Joules").
    public var scale: Double
    public var unit: String
}

/// What sysfs says about the power PMU.
public struct PerfPowerPMU: Sendable, Equatable {
    /// perf_event_attr.type for this PMU (the `type` file).
    public var type: UInt32
    public var events: [PerfPowerEvent]
    /// One CPU per package to open the events on (the `cpumask` file).
    public var cpus: [Int32]

    static let base = "bus/event_source/devices/power"

    /// Reads the PMU description from sysfs.
    public static func detect(_ sysfs: any SysfsReader) -> Result<PerfPowerPMU, EnergyUnavailable> {
        func fail(_ r: String) -> Result<PerfPowerPMU, EnergyUnavailable> { .failure(EnergyUnavailable(.perf, r)) }
        guard let files = sysfs.list("\(base)/events") else {
            return fail("\(sysfs.display(base)) does not exist (no RAPL perf PMU on this kernel or CPU)")
        }
        guard let typeText = try? sysfs.read("\(base)/type"), let type = UInt32(typeText) else {
            return fail("\(sysfs.display(base))/type is missing or not a number")
        }
        var events: [PerfPowerEvent] = []
        for f in files where f.hasPrefix("energy-") && !f.contains(".") {
            guard let spec = try? sysfs.read("\(base)/events/\(f)"), let config = parseEventConfig(spec) else {
                continue
            }
            let scale = (try? sysfs.read("\(base)/events/\(f).scale")).flatMap { Double($0) } ?? 1
            let unit = (try? sysfs.read("\(base)/events/\(f).unit")) ?? "?"
            events.append(PerfPowerEvent(name: f, config: config, scale: scale, unit: unit))
        }
        guard !events.isEmpty else { return fail("\(sysfs.display(base))/events lists no energy-* events") }
        let cpus = parseCPUList((try? sysfs.read("\(base)/cpumask")) ?? "0")
        return .success(PerfPowerPMU(type: type, events: events, cpus: cpus.isEmpty ? [0] : cpus))
    }

    /// "event=0x02" -> 2 (other terms such as "umask=" are not used by the power PMU).
    static func parseEventConfig(_ spec: String) -> UInt64? {
        for term in spec.split(separator: ",") {
            let kv = term.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters() == "event" else { continue }
            let v = kv[1].trimmingCharacters()
            return v.hasPrefix("0x") ? UInt64(v.dropFirst(2), radix: 16) : UInt64(v)
        }
        return nil
    }

    /// "0", "0,64", "0-1" -> first CPU of each listed range's entries.
    static func parseCPUList(_ s: String) -> [Int32] {
        var out: [Int32] = []
        for part in s.split(separator: ",") {
            let bounds = part.split(separator: "-")
            if let lo = Int32(bounds[0].trimmingCharacters()) {
                if bounds.count == 2, let hi = Int32(bounds[1].trimmingCharacters()), hi >= lo {
                    out += Array(lo...min(hi, lo + 1023))
                } else {
                    out.append(lo)
                }
            }
        }
        return out
    }

    /// The events to sum: pkg (+ ram) when present, else psys; cores/gpu are parts of pkg.
    public var eventsToSum: [PerfPowerEvent] {
        let pkg = events.filter { $0.name == "energy-pkg" }
        if !pkg.isEmpty { return pkg + events.filter { $0.name == "energy-ram" } }
        let psys = events.filter { $0.name == "energy-psys" }
        return psys.isEmpty ? [] : psys
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self).trimmingWhitespace() }
}

/// Opens and reads perf counters. Live on Linux: `LinuxPerfEvents`; tests script values.
public protocol PerfEventOpening: Sendable {
    /// Opens a system-wide counting event on `cpu` and returns its file descriptor.
    /// - Throws: `EnergyUnavailable` carrying the errno text.
    func open(type: UInt32, config: UInt64, cpu: Int32) throws -> Int32
    func read(_ fd: Int32) throws -> UInt64
    func close(_ fd: Int32)
}

/// Reads energy through open perf events. Closes them when released.
public final class PerfPowerMeter: EnergyMeter, @unchecked Sendable {
    public let pmu: PerfPowerPMU
    private let perf: any PerfEventOpening
    private let clock: any BenchClock
    /// (event, fd) per opened counter.
    private let counters: [(event: PerfPowerEvent, fd: Int32)]
    public var source: EnergySource { .perf }
    public var detail: String {
        "perf power PMU: " + pmu.eventsToSum.map(\.name).joined(separator: " + ")
            + " on cpu " + pmu.cpus.map(String.init).joined(separator: ",")
    }

    init(pmu: PerfPowerPMU, perf: any PerfEventOpening, clock: any BenchClock, counters: [(PerfPowerEvent, Int32)]) {
        self.pmu = pmu; self.perf = perf; self.clock = clock
        self.counters = counters.map { (event: $0.0, fd: $0.1) }
    }

    deinit { for c in counters { perf.close(c.fd) } }

    /// Opens the PMU's energy events and checks that they count: the counters are read twice `probeNs`
    /// apart and must advance (virtual machines may expose the PMU with counters stuck at zero).
    public static func open(
        pmu: PerfPowerPMU, perf: any PerfEventOpening, clock: any BenchClock = MonotonicClock(),
        probeNs: UInt64 = 50_000_000, wait: (UInt64) -> Void
    )
        -> Result<PerfPowerMeter, EnergyUnavailable>
    {
        let events = pmu.eventsToSum
        guard !events.isEmpty else {
            return .failure(
                EnergyUnavailable(
                    .perf,
                    "power PMU has no energy-pkg or energy-psys event "
                        + "(has \(pmu.events.map(\.name).joined(separator: ", ")))"
                ))
        }
        var opened: [(PerfPowerEvent, Int32)] = []
        for e in events {
            for cpu in pmu.cpus {
                do { opened.append((e, try perf.open(type: pmu.type, config: e.config, cpu: cpu))) } catch {
                    for o in opened { perf.close(o.1) }
                    return .failure(EnergyUnavailable(.perf, "perf_event_open(power/\(e.name)/, cpu \(cpu)): \(error)"))
                }
            }
        }
        let meter = PerfPowerMeter(pmu: pmu, perf: perf, clock: clock, counters: opened)
        do {
            let a = try meter.read()
            wait(probeNs)
            let b = try meter.read()
            guard meter.joules(from: a, to: b) > 0 else {
                return .failure(
                    EnergyUnavailable(
                        .perf,
                        "power/\(events.map(\.name).joined(separator: ","))/ opened but did not advance in "
                            + "\(probeNs / 1_000_000) ms (a virtualised PMU that reads zero)"
                    ))
            }
        } catch {
            return .failure(EnergyUnavailable(.perf, "reading power PMU counters: \(error)"))
        }
        return .success(meter)
    }

    public func read() throws -> EnergyReading {
        let now = clock.nowNs()
        return EnergyReading(wallNs: now, values: try counters.map { Double(try perf.read($0.fd)) })
    }

    /// perf counts are 64-bit and do not wrap in practice; the scale converts counts to joules.
    public func joules(from start: EnergyReading, to end: EnergyReading) -> Double {
        var j = 0.0
        for (i, c) in counters.enumerated() where i < start.values.count && i < end.values.count {
            j += max(end.values[i] - start.values[i], 0) * c.event.scale
        }
        return j
    }
}
