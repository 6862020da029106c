// Reports: the persisted `qbench.report/1` document. JSON (QBJSON, snake_case) is the source of truth;
// Markdown/HTML/CSV renderers read these types. Field-by-field documentation: docs/report.md;
// JSON Schema: docs/report.schema.json (a test validates an encoded report against it).
import Foundation
import QBenchSupport
import QBenchDevice
import QBenchHarness
import QBenchProfiles

/// One `qbench run` on one device.
public struct Report: Codable, Sendable, Equatable {
    /// The schema this code writes and reads.
    public static let schemaID = "qbench.report/1"

    /// Always `qbench.report/1`; checked on load.
    public var schema: String
    public var run: RunInfo
    /// The probe of the device the run measured.
    public var device: DeviceProfile
    /// The energy meter used for every result, and why better sources were not.
    public var energy: EnergyMeterInfo
    /// One row per (op, weight format, activation format, variant).
    public var kernels: [KernelRow]
    /// One row per benchmark.
    public var results: [ResultRow]
    public var roofline: RooflineSection
    public var accuracy: [AccuracyRow]
    /// Per model profile and format: projected tokens/s and joules/token.
    public var estimates: [TokenEstimate]
    /// The run's validity: valid only when every result is.
    public var validity: Validity
    /// The static plan against measurement, where several variants were timed on one shape (absent in reports
    /// made before 2026-11-29).
    public var dispatchCheck: [DispatchCheck]?
    /// A real model run end to end on the kernels (`qbench run --model` with a llama, qwen2 or gemma3 GGUF):
    /// measured tokens/s, joules per token and accuracy per format; absent otherwise.
    public var llm: [LLMResult]?

    public init(
        run: RunInfo, device: DeviceProfile, energy: EnergyMeterInfo, kernels: [KernelRow], results: [ResultRow],
        roofline: RooflineSection, accuracy: [AccuracyRow], estimates: [TokenEstimate], validity: Validity
    ) {
        self.schema = Report.schemaID; self.run = run; self.device = device; self.energy = energy
        self.kernels = kernels; self.results = results; self.roofline = roofline; self.accuracy = accuracy
        self.estimates = estimates; self.validity = validity
    }

    /// Encoded with QBJSON (snake_case keys, sorted, pretty).
    public func encoded(pretty: Bool = true) throws -> Data { try QBJSON.encode(self, pretty: pretty) }

    /// Writes the report atomically (temp file + rename): an interrupted run leaves no partial file.
    public func write(to url: URL) throws { try AtomicFile.write(try encoded(), to: url) }

    /// Reads a report, checking the schema first.
    /// - Throws: `QBError.io` when unreadable, `QBError.badInput` naming the file when it is not JSON, not a
    ///   report, another schema version, or a field is missing or of the wrong type (with its key path).
    public static func load(_ url: URL) throws -> Report {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw QBError.io(path: url.path, message: "cannot read report: \(error.localizedDescription)")
        }
        return try decode(data, path: url.path)
    }

    /// Decodes report JSON; `path` names the input in errors.
    public static func decode(_ data: Data, path: String) throws -> Report {
        // One parse when the report is good (a report of 5,000 results is several MB); only a failure is parsed
        // again, to say why in the order a reader checks: JSON, then the schema, then the fields.
        let firstError: DecodingError
        do {
            let report = try QBJSON.decoder().decode(Report.self, from: data)
            if report.schema == schemaID { return report }
            throw QBError.badInput(
                path: path,
                message: "report schema \"\(report.schema)\" is not supported (this qbench reads \"\(schemaID)\")")
        } catch let e as DecodingError {
            firstError = e
        }
        struct Header: Decodable { var schema: String? }
        let header: Header
        do { header = try QBJSON.decoder().decode(Header.self, from: data) } catch DecodingError.dataCorrupted {
            throw QBError.badInput(path: path, message: "not valid JSON (a truncated file, or not a qbench report)")
        } catch {
            throw QBError.badInput(path: path, message: "not a JSON object (expected a qbench report)")
        }
        guard let schema = header.schema else {
            throw QBError.badInput(
                path: path, message: "no \"schema\" field: not a qbench report (expected \"\(schemaID)\")")
        }
        guard schema == schemaID else {
            throw QBError.badInput(
                path: path, message: "report schema \"\(schema)\" is not supported (this qbench reads \"\(schemaID)\")")
        }
        throw QBError.badInput(path: path, message: describe(firstError))
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ ctx: DecodingError.Context, extra: CodingKey? = nil) -> String {
            let comps = YAMLDocument.components(ctx.codingPath + (extra.map { [$0] } ?? []))
            return YAMLDocument.render(comps)
        }
        switch e {
        case let .typeMismatch(type, ctx): return "\(path(ctx)): expected \(YAMLDocument.expectation(type))"
        case let .valueNotFound(type, ctx):
            return "\(path(ctx)): expected \(YAMLDocument.expectation(type)), found null"
        case let .keyNotFound(key, ctx): return "missing key \(path(ctx, extra: key))"
        case let .dataCorrupted(ctx): return "\(path(ctx)): \(ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}

/// When, with what and how the run was made.
public struct RunInfo: Codable, Sendable, Equatable {
    public var qbenchVersion: String
    /// ISO 8601, UTC.
    public var startedAt: String
    public var finishedAt: String?
    /// Profile name and where it came from ("embedded:default" or a path).
    public var profile: String
    public var profileSource: String
    public var quick: Bool
    /// True when SIGINT stopped the run early (then `validity` is false).
    public var interrupted: Bool
    /// Measured clock resolution, for judging short samples.
    public var timerResolutionNs: UInt64
    /// What the run could not do as asked, one line each (a profile format without a kernel, ...); absent when
    /// there was nothing to say.
    public var warnings: [String]?
    /// The build, command line, limits and machine state the run was made with (absent in reports made before
    /// it was recorded).
    public var provenance: RunProvenance?
    /// Fault injection in force, e.g. `QBENCH_INJECT_SLOWDOWN=gemv/q4_0/.*=1.10` (timings deliberately slowed, for
    /// testing `qbench gate`); absent in a normal run.
    public var injected: String?
    /// The kernel plan: `static`, or `measured PATH` (a `qbench tune` file, `--dispatch`); absent in reports made
    /// before it was recorded.
    public var dispatch: String?

    public init(
        qbenchVersion: String = QBenchVersion.string, startedAt: String, finishedAt: String?, profile: String,
        profileSource: String, quick: Bool, interrupted: Bool, timerResolutionNs: UInt64
    ) {
        self.qbenchVersion = qbenchVersion; self.startedAt = startedAt; self.finishedAt = finishedAt
        self.profile = profile; self.profileSource = profileSource; self.quick = quick
        self.interrupted = interrupted; self.timerResolutionNs = timerResolutionNs
    }

    /// "2025-01-31T12:00:00Z" for `date`.
    public static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
