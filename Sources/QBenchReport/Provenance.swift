// Where a report's figures came from: the build of qbench that measured them, the command line, the limits in
// force, and how busy the machine was at the start and the end (`run.provenance`, docs/report.md). Also the
// run-level warnings drawn from them: a busy machine, a result far above its ceiling.
import Foundation
import QBenchSupport
import QBenchDevice
import QBenchHarness
import QBenchProfiles

/// How the qbench binary that made a report was built.
public struct BuildProvenance: Codable, Sendable, Equatable {
    /// The git commit of the source tree, stamped at build time; absent when built without git (a tarball).
    public var commit: String?
    /// The tree had uncommitted changes or untracked files when built; absent when `commit` is.
    public var dirty: Bool?
    /// `debug` or `release`.
    public var configuration: String
    /// The flags the C kernels were compiled with (Package.swift's `cqbenchFlags`).
    public var cFlags: [String]
    /// The C compiler (`clang ` + `__clang_version__`).
    public var cCompiler: String
    /// The Swift compiler, as resolved at compile time (`ToolchainInfo.swiftVersion`).
    public var swift: String

    public init(
        commit: String?, dirty: Bool?, configuration: String, cFlags: [String], cCompiler: String,
        swift: String
    ) {
        self.commit = commit; self.dirty = dirty; self.configuration = configuration; self.cFlags = cFlags
        self.cCompiler = cCompiler; self.swift = swift
    }

    /// This binary's build.
    public static var current: BuildProvenance {
        BuildProvenance(
            commit: BuildInfo.commit, dirty: BuildInfo.dirty, configuration: BuildInfo.configuration,
            cFlags: ToolchainInfo.cFlags, cCompiler: ToolchainInfo.cCompiler,
            swift: ToolchainInfo.swiftVersion)
    }
}

/// What a run was made with and under.
public struct RunProvenance: Codable, Sendable, Equatable {
    public var build: BuildProvenance
    /// The process's arguments, the program first (`CommandLine.arguments`).
    public var commandLine: [String]
    /// The sampling and validity limits in force: the profile's `quick` timing when `run.quick`, else `timing`.
    public var timing: TimingProfile
    /// The profile's gate thresholds.
    public var gate: GateThresholds
    /// Before anything was measured; absent when not taken.
    public var machineAtStart: MachineSnapshot?
    /// After the last measurement; absent when not taken.
    public var machineAtEnd: MachineSnapshot?
    /// The `QBENCH_*` environment variables in force (`EnvironmentSetting.names`); absent when none was set.
    public var environment: [String: String]?

    public init(
        build: BuildProvenance = .current, commandLine: [String], timing: TimingProfile,
        gate: GateThresholds, machineAtStart: MachineSnapshot? = nil, machineAtEnd: MachineSnapshot? = nil
    ) {
        self.build = build; self.commandLine = commandLine; self.timing = timing; self.gate = gate
        self.machineAtStart = machineAtStart; self.machineAtEnd = machineAtEnd
        let env = EnvironmentSetting.inForce()
        self.environment = env.isEmpty ? nil : env
    }
}

/// Warnings about how far a run's figures can be trusted. They go to `run.warnings`; validity is not changed.
public enum RunWarnings {
    /// Other processes' CPU use, in cores, above which a window counts as busy.
    public static let busyCores = 0.25
    /// A roofline fraction above this means the ceiling was measured low (a result cannot beat its real ceiling).
    public static let aboveCeilingFraction = 1.15

    /// One line when other processes used more than `busyCores` in the window at the start or at the end of
    /// the run, naming both figures; empty otherwise (and when neither window was measured).
    public static func busyMachine(start: MachineSnapshot?, end: MachineSnapshot?) -> [String] {
        let windows = [("start", start?.activity), ("end", end?.activity)].compactMap { w in w.1.map { (w.0, $0) } }
        guard windows.contains(where: { $0.1.otherCores > busyCores }),
            let ms = windows.map({ $0.1.windowMs }).max()
        else { return [] }
        let figures = windows.map { "\(f2($0.1.otherCores)) cores at the \($0.0)" }
        return [
            "machine busy: other processes used \(figures.joined(separator: " and ")) of the run ("
                + "\(Int(ms.rounded())) ms windows; warning above \(f2(busyCores)) cores): figures may be lower than "
                + "this device can do"
        ]
    }

    /// Results whose roofline fraction is above `aboveCeilingFraction`: one line per ceiling (bound and thread
    /// count), since one ceiling measured low lifts every result under it. A single result is named with its
    /// fraction; several are counted and the `listed` highest named with theirs (every fraction is in the report).
    public static func aboveCeiling(_ results: [ResultRow], listed: Int = 3) -> [String] {
        let above = results.compactMap { r in r.roofline.map { (row: r, point: $0) } }
            .filter { $0.point.fraction > aboveCeilingFraction }
        var order: [String] = []
        var groups: [String: [(row: ResultRow, point: RooflinePoint)]] = [:]
        for a in above {
            let ceiling = "\(a.point.bound.rawValue) ceiling at t\(a.row.threads)"
            if groups[ceiling] == nil { order.append(ceiling) }
            groups[ceiling, default: []].append(a)
        }
        let limit = "(above \(f2(aboveCeilingFraction))): the ceiling was measured low"
        return order.map { ceiling in
            let g = groups[ceiling]!.sorted { $0.point.fraction > $1.point.fraction }
            if g.count == 1 {
                return "\(g[0].row.key) reached \(f2(g[0].point.fraction)) of its \(ceiling) \(limit)"
            }
            let named = g.prefix(listed).map { "\($0.row.key) \(f2($0.point.fraction))" }.joined(separator: ", ")
            return "\(g.count) results reached more than \(f2(aboveCeilingFraction)) of their \(ceiling), highest "
                + "\(named)\(g.count > listed ? ", ..." : ""): the ceiling was measured low"
        }
    }

    static func f2(_ x: Double) -> String { String(format: "%.2f", x) }
}
