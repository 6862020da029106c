// Battery discharge power (/sys/class/power_supply/BAT*/power_now in microwatts, or current_now x voltage_now).
// Only meaningful while discharging: on AC power_now is the charge rate, not the system's draw. It is whole-system
// power sampled at start and end, so it suits long intervals and labels itself as such.

public struct BatteryMeter: EnergyMeter {
    public let sysfs: any SysfsReader
    public let battery: String
    /// True when the battery reports current and voltage instead of power.
    public let usesCurrentTimesVoltage: Bool
    public let clock: any BenchClock
    public var source: EnergySource { .battery }
    public var detail: String {
        "\(battery) " + (usesCurrentTimesVoltage ? "current_now x voltage_now" : "power_now")
            + ", whole-system power sampled at start and end"
    }

    static let base = "class/power_supply"

    public static func discover(
        _ sysfs: any SysfsReader, clock: any BenchClock = MonotonicClock()
    )
        -> Result<BatteryMeter, EnergyUnavailable>
    {
        func fail(_ r: String) -> Result<BatteryMeter, EnergyUnavailable> { .failure(EnergyUnavailable(.battery, r)) }
        guard let supplies = sysfs.list(base) else { return fail("\(sysfs.display(base)) does not exist") }
        let batteries = supplies.filter { $0.hasPrefix("BAT") }
        guard !batteries.isEmpty else { return fail("no battery under \(sysfs.display(base))") }
        var reasons: [String] = []
        for bat in batteries {
            let dir = "\(base)/\(bat)"
            let status = (try? sysfs.read("\(dir)/status")) ?? "Unknown"
            guard status == "Discharging" else {
                reasons.append("\(bat) is \(status) (power_now then is not the system's draw)")
                continue
            }
            if (try? sysfs.readUInt64("\(dir)/power_now")) != nil {
                return .success(BatteryMeter(sysfs: sysfs, battery: bat, usesCurrentTimesVoltage: false, clock: clock))
            }
            if (try? sysfs.readUInt64("\(dir)/current_now")) != nil,
                (try? sysfs.readUInt64("\(dir)/voltage_now")) != nil
            {
                return .success(BatteryMeter(sysfs: sysfs, battery: bat, usesCurrentTimesVoltage: true, clock: clock))
            }
            reasons.append("\(bat) has neither power_now nor current_now and voltage_now")
        }
        return fail(reasons.joined(separator: "; "))
    }

    /// Microwatts now.
    func microwatts() throws -> Double {
        let dir = "\(BatteryMeter.base)/\(battery)"
        if usesCurrentTimesVoltage {
            let ua = Double(try sysfs.readUInt64("\(dir)/current_now"))
            let uv = Double(try sysfs.readUInt64("\(dir)/voltage_now"))
            return ua * uv / 1e6
        }
        return Double(try sysfs.readUInt64("\(dir)/power_now"))
    }

    public func read() throws -> EnergyReading {
        EnergyReading(wallNs: clock.nowNs(), values: [try microwatts()])
    }

    public func joules(from start: EnergyReading, to end: EnergyReading) -> Double {
        guard let a = start.values.first, let b = end.values.first else { return 0 }
        return (a + b) / 2 / 1e6 * Double(end.wallNs &- start.wallNs) / 1e9
    }
}
