// `qbench probe --json`: what the device layer found, plus the kernel dispatch it implies.
import QBenchDevice

/// `qbench probe --json`: the device profile and the dispatch tiers it qualifies for.
public struct ProbeReport: Codable, Sendable, Equatable {
    public static let schema = "qbench.probe/1"
    public var schema: String = ProbeReport.schema
    public var device: DeviceProfile
    /// Per format family, the kernel tiers the device qualifies for, best first (`scalar` always last).
    public var dispatchTiers: [FormatFamily: [DispatchTier]]
    /// The real dispatch plan over this binary's kernel registry: per (op, weight, activation) the chosen
    /// variant, its fallbacks, and the variants excluded with the features they miss. Pure: nothing runs.
    public var plan: DispatchPlan
    /// The tiers and the plan follow from the device's usable features (and SVE length) alone.
    public init(device: DeviceProfile) {
        self.device = device
        self.dispatchTiers = DispatchTiers.tiers(device: device)
        self.plan = KernelDispatch.plan(device: device)
    }

    /// Probes the live machine or replays fixtures (`DeviceProbe.probe`) and adds the dispatch view.
    public static func probe(_ options: ProbeOptions = ProbeOptions()) throws -> ProbeReport {
        ProbeReport(device: try DeviceProbe.probe(options))
    }
}
