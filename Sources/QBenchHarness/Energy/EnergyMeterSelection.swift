// Chooses the energy meter: rapl, perf, hwmon, battery, powermetrics, then the modeled proxy, keeping the
// reason each earlier source failed so the report can say why its figures are what they are.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything the selection reads, injectable so tests replay other machines.
public struct EnergyEnvironment: Sendable {
    public var sysfs: any SysfsReader
    public var isDarwin: Bool
    public var fileExists: @Sendable (String) -> Bool
    public var cpuModel: String
    /// Physical cores, for `--tdp` watts per thread.
    public var cores: Int
    public var tdpOverrideWatts: Double?
    /// nil: perf_event_open is not attempted (detection only).
    public var perf: (any PerfEventOpening)?
    public var clock: any BenchClock
    public var cpuTimeNs: @Sendable () -> UInt64
    /// Sleeps for the given nanoseconds (the perf probe waits to see counters advance).
    public var wait: @Sendable (UInt64) -> Void

    public init(
        sysfs: any SysfsReader, isDarwin: Bool, fileExists: @escaping @Sendable (String) -> Bool,
        cpuModel: String, cores: Int, tdpOverrideWatts: Double? = nil, perf: (any PerfEventOpening)?,
        clock: any BenchClock = MonotonicClock(), cpuTimeNs: @escaping @Sendable () -> UInt64 = processCPUTimeNs,
        wait: @escaping @Sendable (UInt64) -> Void = { _ in }
    ) {
        self.sysfs = sysfs; self.isDarwin = isDarwin; self.fileExists = fileExists; self.cpuModel = cpuModel
        self.cores = cores; self.tdpOverrideWatts = tdpOverrideWatts; self.perf = perf; self.clock = clock
        self.cpuTimeNs = cpuTimeNs; self.wait = wait
    }

    /// This machine: /sys, perf_event_open on Linux, real CPU time and sleeps.
    public static func live(cpuModel: String, cores: Int, tdpOverrideWatts: Double? = nil) -> EnergyEnvironment {
        #if os(Linux)
        let perf: (any PerfEventOpening)? = LinuxPerfEvents()
        #else
        let perf: (any PerfEventOpening)? = nil
        #endif
        #if os(macOS)
        let darwin = true
        #else
        let darwin = false
        #endif
        return EnergyEnvironment(
            sysfs: DirectorySysfs(root: "/sys"), isDarwin: darwin,
            fileExists: { access($0, F_OK) == 0 }, cpuModel: cpuModel, cores: cores,
            tdpOverrideWatts: tdpOverrideWatts, perf: perf,
            wait: { ns in
                var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
                var rest = timespec()
                while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
            })
    }
}

/// What the report records about the meter used for the whole run.
public struct EnergyMeterInfo: Codable, Sendable, Equatable {
    public var source: EnergySource
    public var detail: String
    /// Why each earlier source was not used ("rapl: ...", "perf: ..."), in the order tried.
    public var fallbackReasons: [String]
    public init(source: EnergySource, detail: String, fallbackReasons: [String]) {
        self.source = source; self.detail = detail; self.fallbackReasons = fallbackReasons
    }
}

/// The chosen meter and the sources passed over.
public struct EnergyMeterChoice: Sendable {
    public var meter: any EnergyMeter
    public var unavailable: [EnergyUnavailable]
    public var info: EnergyMeterInfo {
        EnergyMeterInfo(source: meter.source, detail: meter.detail, fallbackReasons: unavailable.map(\.description))
    }
}

public enum EnergyMeters {
    /// The order sources are tried in.
    public static let order: [EnergySource] = [.rapl, .perf, .hwmon, .battery, .powermetrics, .modeled]

    /// Tries each source in `order` and returns the first that works; `modeled` always does.
    /// - Parameter only: restrict to one source (a `--energy` flag); when it fails the modeled proxy is used,
    ///   with the reason.
    public static func select(_ env: EnergyEnvironment, only: EnergySource? = nil) -> EnergyMeterChoice {
        var failed: [EnergyUnavailable] = []
        for source in order where only == nil || only == source || source == .modeled {
            switch attempt(source, env) {
            case .success(let m): return EnergyMeterChoice(meter: m, unavailable: failed)
            case .failure(let why): failed.append(why)
            }
        }
        // Unreachable: `modeled` never fails. Kept total rather than trapping.
        return EnergyMeterChoice(meter: modeled(env), unavailable: failed)
    }

    /// One source, on its own.
    public static func attempt(
        _ source: EnergySource, _ env: EnergyEnvironment
    ) -> Result<any EnergyMeter, EnergyUnavailable> {
        switch source {
        case .rapl: return RAPLMeter.discover(env.sysfs, clock: env.clock).map { $0 }
        case .perf:
            switch PerfPowerPMU.detect(env.sysfs) {
            case .failure(let e): return .failure(e)
            case .success(let pmu):
                guard let perf = env.perf else {
                    return .failure(
                        EnergyUnavailable(
                            .perf,
                            "power PMU present (\(pmu.events.map(\.name).joined(separator: ", "))) "
                                + "but perf_event_open is not available on this platform"
                        ))
                }
                return PerfPowerMeter.open(pmu: pmu, perf: perf, clock: env.clock, wait: env.wait).map { $0 }
            }
        case .hwmon: return HwmonMeter.discover(env.sysfs, clock: env.clock).map { $0 }
        case .battery: return BatteryMeter.discover(env.sysfs, clock: env.clock).map { $0 }
        case .powermetrics: return .failure(powermetricsStatus(env))
        case .modeled: return .success(modeled(env))
        }
    }

    /// macOS powermetrics is detected, not driven: it needs root and runs as a separate sampling process.
    static func powermetricsStatus(_ env: EnergyEnvironment) -> EnergyUnavailable {
        guard env.isDarwin else { return EnergyUnavailable(.powermetrics, "not macOS") }
        let path = "/usr/bin/powermetrics"
        guard env.fileExists(path) else { return EnergyUnavailable(.powermetrics, "\(path) not found") }
        return EnergyUnavailable(
            .powermetrics,
            "\(path) found but not used: it needs root and samples as a separate process, "
                + "which qbench does not drive yet"
        )
    }

    static func modeled(_ env: EnergyEnvironment) -> ModeledEnergyMeter {
        ModeledEnergyMeter.make(
            cpuModel: env.cpuModel, cores: env.cores, tdpOverrideWatts: env.tdpOverrideWatts,
            cpuTimeNs: env.cpuTimeNs, clock: env.clock)
    }
}
