// hwmon energy and power inputs (/sys/class/hwmon/hwmon*/): energyN_input is a cumulative microjoule
// counter (amd_energy on Zen: Ecore### per core, Esocket# per socket); powerN_input / powerN_average are
// instantaneous microwatts (acpi_power_meter, board rail monitors). GPU drivers' sensors are ignored:
// they measure the GPU, not the CPU running the kernels.

/// Energy counters or power inputs of one hwmon device.
public struct HwmonMeter: EnergyMeter {
    public enum Kind: String, Sendable { case energy, power }
    public let sysfs: any SysfsReader
    public let device: String
    public let deviceName: String
    public let kind: Kind
    /// File names read on every `read()` (energy1_input, ... or power1_input, ...).
    public let inputs: [String]
    public let clock: any BenchClock
    public var source: EnergySource { .hwmon }
    public var detail: String {
        "\(device) (\(deviceName)) " + inputs.joined(separator: " + ")
            + (kind == .power ? ", power sampled at start and end" : "")
    }

    static let base = "class/hwmon"
    static let gpuDrivers: Set<String> = ["amdgpu", "radeon", "nouveau", "i915", "xe"]

    public static func discover(
        _ sysfs: any SysfsReader, clock: any BenchClock = MonotonicClock()
    )
        -> Result<HwmonMeter, EnergyUnavailable>
    {
        func fail(_ r: String) -> Result<HwmonMeter, EnergyUnavailable> { .failure(EnergyUnavailable(.hwmon, r)) }
        guard let devices = sysfs.list(base) else { return fail("\(sysfs.display(base)) does not exist") }
        var denied: String?
        var candidates: [(dev: String, name: String, kind: Kind, inputs: [String])] = []
        for dev in devices where dev.hasPrefix("hwmon") {
            let dir = "\(base)/\(dev)"
            guard let files = sysfs.list(dir) else { continue }
            let name = (try? sysfs.read("\(dir)/name")) ?? "?"
            if gpuDrivers.contains(name) { continue }
            let energy = files.filter { $0.hasPrefix("energy") && $0.hasSuffix("_input") }
            let power = files.filter { $0.hasPrefix("power") && ($0.hasSuffix("_input") || $0.hasSuffix("_average")) }
            for (kind, list) in [(Kind.energy, energy), (Kind.power, power)] where !list.isEmpty {
                // When labels separate sockets from cores (amd_energy), sockets alone already contain the cores.
                let labelled = list.map { f -> (String, String) in
                    let stem = f.split(separator: "_").first.map(String.init) ?? f  // "energy1_input" -> "energy1"
                    let label = (try? sysfs.read("\(dir)/\(stem)_label")) ?? ""
                    return (f, label.lowercased())
                }
                let sockets = labelled.filter { $0.1.contains("socket") || $0.1.contains("package") }.map(\.0)
                var chosen = sockets.isEmpty ? list : sockets
                // powerN_average and powerN_input of the same sensor are one reading, not two.
                if kind == .power {
                    let inputs = Set(
                        chosen.filter { $0.hasSuffix("_input") }.map { $0.replacingSuffix("_input", with: "") })
                    chosen = chosen.filter {
                        !($0.hasSuffix("_average") && inputs.contains($0.replacingSuffix("_average", with: "")))
                    }
                }
                var readable: [String] = []
                for f in chosen {
                    do {
                        _ = try sysfs.readUInt64("\(dir)/\(f)"); readable.append(f)
                    } catch SysfsError.permissionDenied(let p) {
                        denied = p
                    } catch {}
                }
                if !readable.isEmpty { candidates.append((dev, name, kind, readable)) }
            }
        }
        // Energy counters integrate in hardware; prefer them over sampled power.
        let pick = candidates.first { $0.kind == .energy } ?? candidates.first
        guard let c = pick else {
            if let d = denied {
                return fail(
                    "\(d): permission denied (hwmon energy is root-only on kernels with the 2020 RAPL restriction)")
            }
            return fail(
                "no hwmon device with energy*_input or power*_input (devices: \(devices.joined(separator: ", ")))")
        }
        return .success(
            HwmonMeter(sysfs: sysfs, device: c.dev, deviceName: c.name, kind: c.kind, inputs: c.inputs, clock: clock))
    }

    public func read() throws -> EnergyReading {
        let now = clock.nowNs()
        return EnergyReading(
            wallNs: now, values: try inputs.map { Double(try sysfs.readUInt64("\(HwmonMeter.base)/\(device)/\($0)")) })
    }

    public func joules(from start: EnergyReading, to end: EnergyReading) -> Double {
        let n = min(start.values.count, end.values.count)
        switch kind {
        case .energy:
            // amd_energy accumulates in 64 bits in the driver; a decrease means a reset, counted as 0.
            return (0..<n).reduce(0) { $0 + max(end.values[$1] - start.values[$1], 0) } / 1e6
        case .power:
            let seconds = Double(end.wallNs &- start.wallNs) / 1e9
            let avgMicrowatts = (0..<n).reduce(0) { $0 + (start.values[$1] + end.values[$1]) / 2 }
            return avgMicrowatts / 1e6 * seconds
        }
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with new: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + new : self
    }
}
