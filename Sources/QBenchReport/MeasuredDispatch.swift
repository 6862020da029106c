// Dispatch chosen by measurement (`qbench tune`): from a run that timed every verified variant of an (op, format)
// on the same shapes, per (op, weight format, activation format, threads) the variant with the least total median
// time over the shapes every candidate was measured on, when it beats the static plan's by more than 5 %. Written
// per device (its id and the qbench version) to the user's cache folder or a chosen file; `qbench llm --dispatch
// measured|FILE` runs on it. The static plan stays the default and the reference; a measured plan only ever names
// variants the run verified.
import Foundation
import QBenchFormats
import QBenchKernels
import QBenchSupport

public struct MeasuredDispatch: Codable, Sendable, Equatable {
    public static let schemaName = "qbench.dispatch/1"
    /// How much faster (in total) a variant must be than the planned one to replace it: 5 %.
    public static let switchMargin = 0.05

    public struct Entry: Codable, Sendable, Equatable {
        public var op: KernelOp
        public var weightFormat: String
        public var activationFormat: String
        public var threads: Int
        /// The measured choice.
        public var variant: String
        /// What the static plan runs for this (op, format) on the device, when the run recorded it.
        public var planned: String?
        /// Shapes the totals are over (every candidate measured on each).
        public var shapes: [String]
        /// Sum of the median ns per call over `shapes`, per verified candidate.
        public var totalsNs: [String: Double]

        /// planned total / chosen total (1 when the plan already chose the fastest); nil without a planned total.
        public var speedup: Double? {
            guard let p = planned, let tp = totalsNs[p], let tc = totalsNs[variant], tc > 0 else { return nil }
            return tp / tc
        }
    }

    public var schema: String
    public var deviceId: String
    public var qbenchVersion: String
    public var createdAt: String
    /// The report the timings come from, and its profile.
    public var source: String
    public var profile: String
    public var entries: [Entry]

    /// Derives the plan from a report's results (pure). Only results of variants the report lists as verified
    /// count; groups with one candidate are kept (the choice is then that variant).
    public static func derive(from r: Report, source: String, createdAt: String) -> MeasuredDispatch {
        let verified = Set(
            r.kernels.filter { $0.status == .verified }.map { "\($0.op.rawValue)/\($0.weightFormat)/\($0.variant)" })
        struct Key: Hashable { var op: KernelOp; var wf: String; var af: String; var threads: Int }
        let rows = r.results.filter { verified.contains("\($0.op.rawValue)/\($0.weightFormat)/\($0.variant)") }
        var entries: [Entry] = []
        for (key, group) in Dictionary(
            grouping: rows, by: { Key(op: $0.op, wf: $0.weightFormat, af: $0.activationFormat, threads: $0.threads) })
        {
            // Per variant and shape the best median (a shape may be timed cold and warm).
            var best: [String: [String: Double]] = [:]
            for row in group {
                let s = "\(row.shape)"
                best[row.variant, default: [:]][s] = min(best[row.variant]?[s] ?? .infinity, row.medianNs)
            }
            var common: Set<String>?
            for m in best.values { common = common.map { $0.intersection(m.keys) } ?? Set(m.keys) }
            guard let shapes = common, !shapes.isEmpty else { continue }
            var totals: [String: Double] = [:]
            for (v, m) in best { totals[v] = shapes.reduce(0) { $0 + m[$1]! } }
            guard var pick = totals.min(by: { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }) else {
                continue
            }
            // The plan's choice for the (op, format), when it is a candidate of this activation format.
            let check = (r.dispatchCheck ?? []).first {
                $0.op == key.op && $0.weightFormat == key.wf && $0.threads == key.threads
            }
            let planned = check.flatMap { totals[$0.planned] == nil ? nil : $0.planned }
            // The static plan keeps its choice unless another variant beats it by more than the margin: a 2 % edge
            // on one run is noise on a shared host, not a reason to leave the reference plan.
            if let p = planned, let tp = totals[p], tp <= pick.value * (1 + switchMargin) { pick = (p, tp) }
            entries.append(
                Entry(
                    op: key.op, weightFormat: key.wf, activationFormat: key.af, threads: key.threads, variant: pick.key,
                    planned: planned, shapes: shapes.sorted(), totalsNs: totals))
        }
        entries.sort {
            ($0.op.rawValue, $0.weightFormat, $0.activationFormat, $0.threads) < (
                $1.op.rawValue, $1.weightFormat, $1.activationFormat, $1.threads
            )
        }
        return MeasuredDispatch(
            schema: schemaName, deviceId: r.device.id, qbenchVersion: r.run.qbenchVersion, createdAt: createdAt,
            source: source, profile: r.run.profile, entries: entries)
    }

    /// The measured variant for (op, weight format, activation format) at `threads`, or at the nearest thread count
    /// measured (ties: the lower); nil when the plan has no entry for the (op, format).
    public func variant(op: KernelOp, weightFormat: String, activationFormat: String, threads: Int) -> String? {
        // Results name the activation format plainly ("q8_0"); kernel rows add the handling ("q8_0/dynamic").
        let plain = { (a: String) in a.split(separator: "/").first.map(String.init) ?? a }
        let es = entries.filter {
            $0.op == op && $0.weightFormat == weightFormat && plain($0.activationFormat) == plain(activationFormat)
        }
        return es.min { (abs($0.threads - threads), $0.threads) < (abs($1.threads - threads), $1.threads) }?.variant
    }

    /// The per-device file in the user's cache folder: `$XDG_CACHE_HOME/qbench/dispatch/<device id>-<version>.json`
    /// (`~/.cache` without XDG_CACHE_HOME).
    public static func defaultPath(deviceID: String, version: String = QBenchVersion.string) -> String {
        let env = ProcessInfo.processInfo.environment
        let base =
            env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.cache")
        return base + "/qbench/dispatch/\(deviceID)-\(version).json"
    }

    /// The plan a `--dispatch static|measured|FILE` option names for the device `deviceID`: nil for `static`;
    /// `measured` is this device's file in the cache folder (`defaultPath`), anything else a file.
    /// - Throws: `QBError.badOption` (`--dispatch`) when `measured` has no file yet; `QBError.badInput` naming the
    ///   file when it cannot be read or is another device's plan.
    public static func forOption(_ value: String, deviceID: String) throws -> (plan: MeasuredDispatch, path: String)? {
        if value == "static" { return nil }
        let path = value == "measured" ? defaultPath(deviceID: deviceID) : value
        guard value != "measured" || FileManager.default.fileExists(atPath: path) else {
            throw QBError.badOption(
                flag: "--dispatch",
                message: "no measured plan for this device at \(path); make one with `qbench tune REPORT`")
        }
        let plan = try load(path)
        guard plan.deviceId == deviceID else {
            throw QBError.badInput(
                path: path, message: "a plan for device \(plan.deviceId); this device is \(deviceID)")
        }
        return (plan, path)
    }

    /// Reads a dispatch file.
    /// - Throws: `QBError.badInput` naming the file: unreadable, not JSON, another schema, or a missing field.
    public static func load(_ path: String) throws -> MeasuredDispatch {
        let data = try InputFile.bytes(path, upTo: 64 << 20)
        let d: MeasuredDispatch
        do { d = try QBJSON.decoder().decode(MeasuredDispatch.self, from: Data(data)) } catch {
            throw QBError.badInput(path: path, message: "not a qbench dispatch file (\(schemaName)): \(error)")
        }
        guard d.schema == schemaName else {
            throw QBError.badInput(path: path, message: "schema \(quoted(d.schema)), expected \(schemaName)")
        }
        return d
    }
}
