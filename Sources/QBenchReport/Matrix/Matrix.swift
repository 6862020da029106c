// The cross-device compatibility matrix (`qbench matrix`): which kernels run on which device, how fast, and what
// that means in tokens/s, J/token and tokens per dollar. A pure function of loaded reports (and an optional price
// table); the renderers (MatrixRender.swift) only format it. Field documentation: docs/cli.md, `qbench matrix`.
import QBenchSupport
import QBenchFormats
import QBenchKernels
import QBenchHarness

/// The matrix: one column per device (and dispatch limit), one row per (op, weight format), then the token
/// estimates per model profile. Encoded with QBJSON as `qbench matrix --format json`.
public struct CompatibilityMatrix: Codable, Sendable, Equatable {
    /// Always `qbench.matrix/1`.
    public static let schemaID = "qbench.matrix/1"
    public var schema: String = CompatibilityMatrix.schemaID
    /// The columns, in the order their first report was given.
    public var devices: [MatrixDevice]
    /// gemv, gemm (and any other matrix op a report has), each with every weight format some report has a kernel
    /// for; one cell per device, in `devices` order.
    public var rows: [MatrixRow]
    /// Per model profile and format: one cell per device, in `devices` order.
    public var estimates: [MatrixEstimateRow]
    /// Per model and format run end to end (reports made with `qbench run --model`): one cell per device, in
    /// `devices` order. Measured, unlike `estimates`; absent when no report has an `llm` section.
    public var measured: [MatrixMeasuredRow]?
    /// What a reader needs to know: reports left out as older duplicates, prices matching no device, mixed
    /// profiles or quick runs.
    public var notes: [String]
}

/// One column: a device, or a device under a dispatch limit (`--max-isa`, `--variants`) that makes it run other
/// kernels than it could.
public struct MatrixDevice: Codable, Sendable, Equatable {
    /// The column's key: the device id, with ` [limit]` when the run had a dispatch limit.
    public var key: String
    /// The device's 16-hex-digit fingerprint (`device.id`).
    public var id: String
    /// The first 8 characters of `id` (all of it when two columns' ids share them).
    public var shortId: String
    /// `device.cpu.model`.
    public var cpuModel: String
    /// `x86_64` or `aarch64`.
    public var arch: String
    /// The best variant the device's usable features qualify for on the int8 ladder (the quantized formats' path).
    public var cpuTier: String?
    /// The best variant that verified for a matrix kernel in this report (below `cpu_tier` under a limit).
    public var isa: String?
    /// The dispatch limit the run had (`--max-isa scalar`), from the kernel rows it excluded.
    public var limit: String?
    /// The full-core thread count: the largest thread count among the report's results.
    public var threads: Int?
    /// The energy meter of the run (`energy.source`).
    public var energySource: String
    /// The report the column shows, its `run.started_at`, profile and quick flag.
    public var report: String
    public var startedAt: String
    public var profile: String
    public var quick: Bool
    /// USD per hour from `--price`, when the file names this device.
    public var pricePerHour: Double?
    /// Older reports of the same column that were left out.
    public var olderReports: [String]
}

/// One (op, weight format) across the devices.
public struct MatrixRow: Codable, Sendable, Equatable {
    public var op: KernelOp
    public var weightFormat: String
    public var cells: [MatrixCell]
}

/// What a cell is.
public enum MatrixCellStatus: String, Codable, Sendable, Equatable {
    /// A variant verified and was benchmarked: figures present.
    case measured
    /// A variant verified but the run has no benchmark of this op and format (not in its profile).
    case notMeasured = "not_measured"
    /// No variant verified: `reason` says why (`unsupported: avx512_vnni`, `crashed: SIGILL`, `mismatch`).
    case notRunning = "not_running"
    /// The report has no kernel row for this op and format (another build of qbench).
    case noKernel = "no_kernel"
}

/// One device's figures for one (op, weight format).
public struct MatrixCell: Codable, Sendable, Equatable {
    /// The column's `MatrixDevice.key`.
    public var device: String
    public var status: MatrixCellStatus
    /// The best verified variant (by the dispatch preference of its format family), when one verified.
    public var variant: String?
    public var activationFormat: String?
    /// The variant is scalar: nothing faster runs (`reason` says why the next variant does not).
    public var onlyScalar: Bool
    /// Why nothing runs (`not_running`), why only scalar runs, or a fault of a better variant (`avx2: mismatch`).
    public var reason: String?
    /// Throughput over the benchmarked shapes (total bytes or operations / total median time), in `unit`.
    public var throughput: Double?
    /// `GB/s` for gemv (memory-bound decode), `GOP/s` for gemm.
    public var unit: String?
    public var threads: Int?
    /// `warm` when warm-cache results exist (preferred), else `cold`.
    public var cacheState: CacheState?
    /// How many shapes the figures cover.
    public var shapes: Int?
    /// Roofline fraction weighted by each shape's median time, over the shapes that have one.
    public var rooflineFraction: Double?
    /// False when a result behind the figures is marked invalid (too few samples, too noisy).
    public var valid: Bool?

    public init(device: String, status: MatrixCellStatus, variant: String? = nil, reason: String? = nil) {
        self.device = device; self.status = status; self.variant = variant; self.reason = reason
        self.onlyScalar = variant == KernelVariantName.scalar.rawValue
    }
}

/// One model profile and format across the devices.
public struct MatrixEstimateRow: Codable, Sendable, Equatable {
    public var model: String
    public var format: String
    public var cells: [MatrixEstimateCell]
}

/// One model and format run end to end, across the devices.
public struct MatrixMeasuredRow: Codable, Sendable, Equatable {
    public var model: String
    public var format: String
    /// One per device, in `devices` order; nil where the device's report has no run of this model and format.
    public var cells: [LLMResult?]
}

/// One device's projection for a model and format (the report's estimate at its largest thread count).
public struct MatrixEstimateCell: Codable, Sendable, Equatable {
    public var device: String
    /// False when the report has no estimate for this model and format (the other fields are then absent).
    public var present: Bool
    public var threads: Int?
    public var promptLength: Int?
    public var decodeTokensPerS: Double?
    public var prefillTokensPerS: Double?
    /// Decode joules per token, and the meter it came from.
    public var joulesPerToken: Double?
    public var energySource: String?
    /// decode tokens/s x 3600 / USD per hour, when the device has a price.
    public var tokensPerDollar: Double?

    public init(device: String) { self.device = device; self.present = false }
}

public enum MatrixBuilder {
    /// The matrix of `reports` (pure: no file is read).
    ///
    /// Columns are devices (`device.id`, plus the dispatch limit when a run had one); of several reports of one
    /// column the newest by `run.started_at` is used and the others are named in `notes`. Each cell takes the best
    /// verified variant by the format family's dispatch preference that has results at the report's largest
    /// thread count (warm cache preferred), else the best verified variant as `not_measured`.
    /// - Parameter prices: USD per hour by device id or CPU model.
    /// Weight formats in the order `WeightFormat` declares them (names it does not know last, by name).
    static let formatRank = Dictionary(
        uniqueKeysWithValues: WeightFormat.allCases.enumerated().map { ($1.rawValue, $0) })

    static func formatPrecedes(_ x: String, _ y: String) -> Bool {
        let a = formatRank[x] ?? Int.max, b = formatRank[y] ?? Int.max
        return a != b ? a < b : x < y
    }

    public static func build(_ reports: [LoadedReport], prices: PriceTable? = nil) -> CompatibilityMatrix {
        var notes: [String] = []
        let columns = chooseColumns(reports, notes: &notes)
        var devices = columns.map { device(for: $0.chosen, older: $0.older) }
        let short = shortIds(devices.map(\.id))
        for i in devices.indices {
            devices[i].shortId = short[i]
            devices[i].pricePerHour = prices?.price(id: devices[i].id, cpuModel: devices[i].cpuModel)
        }
        for c in columns where !c.older.isEmpty {
            let d = c.chosen.report
            notes.append(
                "\(d.device.cpu.model) (\(c.chosen.report.device.id)\(c.limit.map { ", \($0)" } ?? "")): "
                    + "\(c.older.count + 1) reports; using the newest, \(c.chosen.path) (started \(d.run.startedAt)); "
                    + "left out: \(c.older.joined(separator: ", "))")
        }
        if let prices {
            for key in prices.unmatched(ids: Set(devices.map(\.id)), cpuModels: Set(devices.map(\.cpuModel))) {
                notes.append("price file \(prices.path): \(quoted(key)) matches no device id or CPU model")
            }
        }
        let profiles = Set(devices.map(\.profile))
        if profiles.count > 1 {
            notes.append(
                "the columns ran different profiles (\(profiles.sorted().joined(separator: ", "))): "
                    + "their shapes differ, so compare figures with care")
        }
        if devices.contains(where: \.quick) {
            notes.append("quick runs (--quick) are marked `quick`: their figures are indicative only")
        }

        let indexes = columns.map { ReportIndex($0.chosen.report) }
        let rows = matrixRows(devices: devices, indexes: indexes)
        let estimates = estimateRows(devices: devices, reports: columns.map(\.chosen.report))
        if !estimates.isEmpty { notes.append(Estimates.exclusionNote) }
        let measured = measuredRows(devices: devices, reports: columns.map(\.chosen.report))
        return CompatibilityMatrix(
            devices: devices, rows: rows, estimates: estimates, measured: measured.isEmpty ? nil : measured,
            notes: notes)
    }

    // MARK: columns

    struct Column {
        var key: String
        var limit: String?
        var chosen: LoadedReport
        var older: [String]
    }

    /// The dispatch limit a run had, from the kernel rows it excluded ("excluded by --max-isa scalar").
    static func limit(of report: Report) -> String? {
        let prefix = "excluded by "
        let limits = Set(
            report.kernels.compactMap { k -> String? in
                guard k.status == .unverified, let d = k.detail, d.hasPrefix(prefix) else { return nil }
                return String(d.dropFirst(prefix.count))
            })
        return limits.isEmpty ? nil : limits.sorted().joined(separator: "; ")
    }

    /// One column per (device id, limit), in order of first appearance; the newest report of each (the later one
    /// given when two started at the same second).
    static func chooseColumns(_ reports: [LoadedReport], notes: inout [String]) -> [Column] {
        var order: [String] = []
        var byKey: [String: Column] = [:]
        for r in reports {
            let limit = limit(of: r.report)
            let key = r.report.device.id + (limit.map { " [\($0)]" } ?? "")
            guard var c = byKey[key] else {
                order.append(key)
                byKey[key] = Column(key: key, limit: limit, chosen: r, older: [])
                continue
            }
            // ISO 8601 UTC timestamps of one format order as text.
            if r.report.run.startedAt >= c.chosen.report.run.startedAt {
                c.older.append(c.chosen.path)
                c.chosen = r
            } else {
                c.older.append(r.path)
            }
            byKey[key] = c
        }
        return order.map { byKey[$0]! }
    }

    static func device(for loaded: LoadedReport, older: [String]) -> MatrixDevice {
        let r = loaded.report
        let d = r.device
        let limit = limit(of: r)
        let pref = rank(KernelDispatch.preference(family: .int8, arch: d.cpu.arch, sveVectorBits: d.cpu.sveVectorBits))
        let verified = Set(r.kernels.filter { $0.op != .quantizeRow && $0.status == .verified }.map(\.variant))
        return MatrixDevice(
            key: d.id + (limit.map { " [\($0)]" } ?? ""), id: d.id, shortId: String(d.id.prefix(8)),
            cpuModel: d.cpu.model, arch: d.cpu.arch,
            cpuTier: DispatchTiers.tiers(device: d)[.int8]?.first?.variant.rawValue,
            isa: verified.sorted { ordered($0, $1, pref) }.first, limit: limit,
            threads: r.results.map(\.threads).max(), energySource: r.energy.source.rawValue, report: loaded.path,
            startedAt: r.run.startedAt, profile: r.run.profile, quick: r.run.quick, pricePerHour: nil,
            olderReports: older)
    }

    /// The first 8 characters of each id, or the whole id where two different ids share them.
    static func shortIds(_ ids: [String]) -> [String] {
        var owners: [String: Set<String>] = [:]
        for id in ids { owners[String(id.prefix(8)), default: []].insert(id) }
        return ids.map { owners[String($0.prefix(8))]!.count > 1 ? $0 : String($0.prefix(8)) }
    }

    // MARK: cells

    /// A report's kernel rows and results grouped once, so a cell is a dictionary lookup, not a scan.
    struct ReportIndex {
        let report: Report
        /// (op, weight format) -> kernel rows.
        let kernels: [String: [KernelRow]]
        /// (op, weight format, variant) -> results at the report's largest thread count.
        let results: [String: [ResultRow]]
        let threads: Int?
        init(_ report: Report) {
            self.report = report
            kernels = Dictionary(grouping: report.kernels.filter { $0.op != .quantizeRow }) {
                "\($0.op)/\($0.weightFormat)"
            }
            let t = report.results.map(\.threads).max()
            threads = t
            results = Dictionary(grouping: report.results.filter { $0.threads == t }) {
                "\($0.op)/\($0.weightFormat)/\($0.variant)"
            }
        }
    }

    static func rank(_ names: [KernelVariantName]) -> [String: Int] {
        Dictionary(names.enumerated().map { ($1.rawValue, $0) }, uniquingKeysWith: min)
    }

    /// Preference order; variants the ladder does not know come last, by name.
    static func ordered(_ a: String, _ b: String, _ rank: [String: Int]) -> Bool {
        let ra = rank[a] ?? Int.max, rb = rank[b] ?? Int.max
        return ra != rb ? ra < rb : a < b
    }

    static func matrixRows(devices: [MatrixDevice], indexes: [ReportIndex]) -> [MatrixRow] {
        var pairs = Set<String>()
        var keys: [(op: KernelOp, format: String)] = []
        for ix in indexes {
            for k in ix.report.kernels where k.op != .quantizeRow && pairs.insert("\(k.op)/\(k.weightFormat)").inserted
            {
                keys.append((k.op, k.weightFormat))
            }
        }
        keys.sort { $0.op != $1.op ? $0.op < $1.op : formatPrecedes($0.format, $1.format) }
        return keys.map { key in
            MatrixRow(
                op: key.op, weightFormat: key.format,
                cells: zip(devices, indexes).map { cell(op: key.op, format: key.format, device: $0, index: $1) })
        }
    }

    /// The statuses that explain why a variant does not run, most telling first.
    static let problemOrder: [KernelStatus] = [.crashed, .mismatch, .timeout, .unsupported, .unverified, .notBuilt]

    /// "unsupported: avx512_vnni", "crashed: SIGILL", "mismatch", "excluded by --max-isa scalar".
    public static func reasonText(_ k: KernelRow) -> String {
        switch k.status {
        case .unsupported:
            let m = k.missingFeatures ?? []
            return m.isEmpty ? "unsupported" : "unsupported: \(m.joined(separator: ", "))"
        case .crashed: return "crashed: \(k.signal ?? "unknown signal")"
        case .unverified:
            // A dispatch limit speaks for itself: "excluded by --max-isa scalar".
            guard let d = k.detail else { return "unverified" }
            return d.hasPrefix("excluded by ") ? d : "unverified: \(d)"
        case .notBuilt: return "not built"
        case .mismatch, .timeout, .verified: return k.status.rawValue
        }
    }

    /// Among rows that did not verify: the most telling status, and of the rows with it the best variant.
    static func worst(_ rows: [KernelRow], _ rank: [String: Int]) -> KernelRow? {
        for s in problemOrder {
            if let k = rows.filter({ $0.status == s }).sorted(by: { ordered($0.variant, $1.variant, rank) }).first {
                return k
            }
        }
        return nil
    }

    /// One cell (see `build`).
    static func cell(op: KernelOp, format: String, device: MatrixDevice, index: ReportIndex) -> MatrixCell {
        guard let rows = index.kernels["\(op)/\(format)"], !rows.isEmpty else {
            return MatrixCell(device: device.key, status: .noKernel, reason: "no kernel in this report")
        }
        let family = WeightFormat(rawValue: format).flatMap { FormatFamily($0) }
        let d = index.report.device
        let rank = rank(
            KernelDispatch.preference(family: family, op: op, arch: d.cpu.arch, sveVectorBits: d.cpu.sveVectorBits))
        let verified = rows.filter { $0.status == .verified }.sorted { ordered($0.variant, $1.variant, rank) }
        guard let best = verified.first else {
            let w = worst(rows, rank)
            return MatrixCell(
                device: device.key, status: .notRunning, reason: w.map(reasonText) ?? "no verified variant")
        }
        // The best verified variant with results; the dispatcher's choice is benchmarked on every shape.
        let measured = verified.first { index.results["\(op)/\(format)/\($0.variant)"] != nil }
        var c = MatrixCell(device: device.key, status: measured == nil ? .notMeasured : .measured)
        let chosen = measured ?? best
        c.variant = chosen.variant
        c.activationFormat = chosen.activationFormat
        c.onlyScalar = chosen.variant == KernelVariantName.scalar.rawValue
        let others = rows.filter { $0.status != .verified && $0.variant != KernelVariantName.scalar.rawValue }
        if c.onlyScalar {
            // Why the next variant up (the closest to running) does not run.
            let next = others.sorted { ordered($1.variant, $0.variant, rank) }.first
            c.reason = next.map { "\($0.variant): \(reasonText($0))" } ?? "scalar is the only kernel"
        } else if let fault = worst(others.filter { [.crashed, .mismatch, .timeout].contains($0.status) }, rank) {
            c.reason = "\(fault.variant): \(reasonText(fault))"
        }
        if let m = measured, let results = index.results["\(op)/\(format)/\(m.variant)"] {
            let warm = results.filter { $0.cacheState == .warm }
            let pool = warm.isEmpty ? results : warm
            // The activation format that was benchmarked (a format can verify with several).
            c.activationFormat = Array(Set(pool.map(\.activationFormat))).sorted().joined(separator: ", ")
            let perOps = op == .gemm
            let totalNs = pool.reduce(0) { $0 + $1.medianNs }
            let amount = pool.reduce(0) { $0 + (perOps ? $1.opsPerCall : $1.bytesPerCall) }
            c.throughput = totalNs > 0 ? amount / totalNs : nil
            c.unit = perOps ? "GOP/s" : "GB/s"
            c.threads = index.threads
            c.cacheState = warm.isEmpty ? .cold : .warm
            c.shapes = pool.count
            let roofed = pool.filter { $0.roofline != nil && $0.medianNs > 0 }
            let roofNs = roofed.reduce(0) { $0 + $1.medianNs }
            if roofNs > 0 {
                c.rooflineFraction = roofed.reduce(0) { $0 + $1.roofline!.fraction * $1.medianNs } / roofNs
            }
            c.valid = pool.allSatisfy { $0.validity.valid }
        }
        return c
    }

    // MARK: estimates

    /// Per (model, format), in model then format order: each report's item at its largest thread count.
    static func bestPerModelAndFormat<T>(
        _ reports: [Report], _ items: (Report) -> [T], model: (T) -> String, format: (T) -> String,
        threads: (T) -> Int
    ) -> (keys: [(model: String, format: String)], chosen: [[String: T]]) {
        var keys: [(model: String, format: String)] = []
        var seen = Set<String>()
        let chosen: [[String: T]] = reports.map { r in
            var best: [String: T] = [:]
            for e in items(r) {
                let k = "\(model(e))\u{0}\(format(e))"
                if seen.insert(k).inserted { keys.append((model(e), format(e))) }
                if let b = best[k], threads(b) >= threads(e) { continue }
                best[k] = e
            }
            return best
        }
        keys.sort { $0.model != $1.model ? $0.model < $1.model : formatPrecedes($0.format, $1.format) }
        return (keys, chosen)
    }

    static func estimateRows(devices: [MatrixDevice], reports: [Report]) -> [MatrixEstimateRow] {
        let (keys, chosen) = bestPerModelAndFormat(
            reports, \.estimates, model: \.model, format: \.format, threads: \.threads)
        return keys.map { key in
            MatrixEstimateRow(
                model: key.model, format: key.format,
                cells: zip(devices, chosen).map { device, byKey in
                    var c = MatrixEstimateCell(device: device.key)
                    guard let e = byKey["\(key.model)\u{0}\(key.format)"] else { return c }
                    c.present = true
                    c.threads = e.threads
                    c.promptLength = e.promptLength
                    c.decodeTokensPerS = e.decodeTokensPerS
                    c.prefillTokensPerS = e.prefillTokensPerS
                    c.joulesPerToken = e.joulesPerToken
                    c.energySource = e.joulesPerToken == nil ? nil : e.energySource?.rawValue
                    c.tokensPerDollar = tokensPerDollar(
                        decodeTokensPerS: e.decodeTokensPerS, usdPerHour: device.pricePerHour)
                    return c
                })
        }
    }

    /// Per (model, format): each device's `llm` result at its largest thread count.
    static func measuredRows(devices: [MatrixDevice], reports: [Report]) -> [MatrixMeasuredRow] {
        let (keys, chosen) = bestPerModelAndFormat(
            reports, { $0.llm ?? [] }, model: \.model, format: \.format, threads: \.threads)
        return keys.map { key in
            MatrixMeasuredRow(
                model: key.model, format: key.format, cells: chosen.map { $0["\(key.model)\u{0}\(key.format)"] })
        }
    }

    /// decode tokens/s x 3600 s/h / (USD/h); nil without a positive price or a rate.
    public static func tokensPerDollar(decodeTokensPerS: Double?, usdPerHour: Double?) -> Double? {
        guard let t = decodeTokensPerS, let p = usdPerHour, p > 0, t.isFinite else { return nil }
        return t * 3600 / p
    }
}
