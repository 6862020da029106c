// A run profile: what `qbench run` measures (formats, ops, threads, models), how long (timing limits) and what
// the gate tolerates. Read from YAML (profiles/*.yaml, or the embedded default).
import Foundation
import QBenchFormats
import QBenchHarness

/// A thread count: a number, or `cores` / `pus` resolved against the device.
public enum ThreadCount: Codable, Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    /// One thread per physical core.
    case cores
    /// One thread per hardware thread (SMT siblings included).
    case pus

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .count(n); return }
        let s = try c.decode(String.self)
        guard let t = ThreadCount(text: s) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "`\(s)` is not a thread count; \(ThreadCount.expectation)"))
        }
        self = t
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .count(let n): try c.encode(n)
        case .cores: try c.encode("cores")
        case .pus: try c.encode("pus")
        }
    }

    /// What a thread count may be, in every message about one (profile key or `--threads`).
    public static let expectation = "expected a number in 1...4096, `cores` or `pus`"

    /// Parses one item of a thread list, as written in a profile or given to `--threads`; nil when it is
    /// neither a whole number nor `cores`/`pus` (numbers out of range parse, and `problem` names them).
    public init?(text: String) {
        switch text {
        case "cores": self = .cores
        case "pus": self = .pus
        default:
            guard let n = Int(text) else { return nil }
            self = .count(n)
        }
    }

    /// Why this count is unusable, nil when it is fine: the one check for profiles and `--threads` alike.
    public var problem: String? {
        if case .count(let n) = self, n < 1 || n > 4096 {
            return "`\(n)` is not a thread count; \(ThreadCount.expectation)"
        }
        return nil
    }

    /// The number of threads on a device with `cores` cores and `pus` hardware threads (at least 1).
    public func resolve(cores: Int, pus: Int) -> Int {
        switch self {
        case .count(let n): return max(n, 1)
        case .cores: return max(cores, 1)
        case .pus: return max(pus, 1)
        }
    }

    public var description: String {
        switch self {
        case .count(let n): return "\(n)";
        case .cores: return "cores";
        case .pus: return "pus"
        }
    }
}

/// Sampling and validity limits in a profile's units (milliseconds).
public struct TimingProfile: Codable, Sendable, Equatable {
    public var warmupIterations: Int
    public var minTimeMs: Double
    public var minSamples: Int
    public var maxTimeMs: Double
    /// Largest relative half-width of the median's 95 % confidence interval for a valid result (0.10: the
    /// median known to ±10 %); also the sampler's precision target (`SamplingLimits.targetPrecision`).
    public var maxNoise: Double
    /// How many rounds over the whole benchmark list measure each result (`SamplingRound`): the limits above are
    /// for the result, spread over its rounds. Absent: 1, every result in one burst.
    public var rounds: Int?

    public init(
        warmupIterations: Int, minTimeMs: Double, minSamples: Int, maxTimeMs: Double, maxNoise: Double,
        rounds: Int? = nil
    ) {
        self.warmupIterations = warmupIterations; self.minTimeMs = minTimeMs; self.minSamples = minSamples
        self.maxTimeMs = maxTimeMs; self.maxNoise = maxNoise; self.rounds = rounds
    }

    /// `rounds`, 1 when absent.
    public var roundCount: Int { rounds ?? 1 }

    static func ns(_ ms: Double) -> UInt64 {
        guard ms.isFinite, ms > 0 else { return 0 }
        return ms >= 1e10 ? UInt64(1e16) : UInt64(ms * 1e6)
    }

    public var samplingLimits: SamplingLimits {
        SamplingLimits(
            warmupIterations: warmupIterations, minTimeNs: TimingProfile.ns(minTimeMs),
            minSamples: minSamples, maxTimeNs: TimingProfile.ns(maxTimeMs), targetPrecision: maxNoise)
    }

    public var validityLimits: ValidityLimits {
        ValidityLimits(minSamples: minSamples, minTotalNs: TimingProfile.ns(minTimeMs), maxNoise: maxNoise)
    }

    func problems(prefix: String) -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if warmupIterations < 0 {
            out.append(("\(prefix).warmup_iterations", "must be 0 or more, found \(warmupIterations)"))
        }
        if minSamples < 1 { out.append(("\(prefix).min_samples", "must be at least 1, found \(minSamples)")) }
        if !(minTimeMs >= 0) { out.append(("\(prefix).min_time_ms", "must be 0 or more, found \(minTimeMs)")) }
        if !(maxTimeMs > 0) { out.append(("\(prefix).max_time_ms", "must be positive, found \(maxTimeMs)")) }
        if maxTimeMs < minTimeMs {
            out.append(("\(prefix).max_time_ms", "\(maxTimeMs) is below min_time_ms \(minTimeMs)"))
        }
        if !(maxNoise > 0) { out.append(("\(prefix).max_noise", "must be a positive fraction, found \(maxNoise)")) }
        if let r = rounds, !(1...10).contains(r) {
            out.append(("\(prefix).rounds", "must be 1 to 10, found \(r)"))
        }
        return out
    }
}

/// What `qbench gate` tolerates before failing a candidate against a baseline (fractions, not percent).
public struct GateThresholds: Codable, Sendable, Equatable {
    /// Largest accepted throughput loss (0.05 = 5 % slower), beyond noise.
    public var maxThroughputRegression: Double
    /// Largest accepted increase in joules per call or per token.
    public var maxEnergyRegression: Double
    /// Largest accepted SQNR drop in dB.
    public var maxSqnrDropDb: Double
    /// Significance level of the comparison test (e.g. 0.01).
    public var significance: Double

    public init(
        maxThroughputRegression: Double, maxEnergyRegression: Double, maxSqnrDropDb: Double, significance: Double
    ) {
        self.maxThroughputRegression = maxThroughputRegression; self.maxEnergyRegression = maxEnergyRegression
        self.maxSqnrDropDb = maxSqnrDropDb; self.significance = significance
    }
}

public struct RunProfile: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    /// Weight formats (docs/cli.md names: q4_0, i4_g32, ...).
    public var formats: [String]
    /// gemv (decode) and gemm (prefill).
    public var ops: [String]
    public var threads: [ThreadCount]
    /// Cache states decode (gemv) is measured in; cold when absent (`resolvedCacheStates`).
    public var cacheStates: [CacheState]?
    public var timing: TimingProfile
    /// Shorter limits for `--quick`; `timing` when absent.
    public var quick: TimingProfile?
    public var gate: GateThresholds
    /// Prompt length for prefill shapes and estimates.
    public var promptLength: Int
    public var models: [ModelProfile]

    public init(
        name: String, description: String, formats: [String], ops: [String], threads: [ThreadCount],
        cacheStates: [CacheState]? = nil, timing: TimingProfile, quick: TimingProfile? = nil,
        gate: GateThresholds, promptLength: Int, models: [ModelProfile]
    ) {
        self.name = name; self.description = description; self.formats = formats; self.ops = ops
        self.threads = threads; self.cacheStates = cacheStates; self.timing = timing; self.quick = quick
        self.gate = gate; self.promptLength = promptLength; self.models = models
    }

    /// The weight formats of docs/cli.md: every `WeightFormat` (formats without a kernel are measured for
    /// accuracy only, and a run names them in a warning).
    public static let knownFormats: [String] = WeightFormat.allCases.map(\.rawValue)
    /// The ops a run benchmarks: decode (`gemv`) and prefill (`gemm`). Activation quantization is timed inside
    /// them, as a model runs it.
    public static let knownOps: [String] = ["gemv", "gemm"]

    /// The timing to use for a normal or a `--quick` run.
    public func timing(quick isQuick: Bool) -> TimingProfile { isQuick ? (quick ?? timing) : timing }

    /// The cache states decode (gemv) is measured in: cold (weights streamed from DRAM, as a model larger than
    /// the caches runs) unless the profile lists others. Prefill gemm reuses each weight across the prompt's
    /// tokens and is measured warm.
    public var resolvedCacheStates: [CacheState] { cacheStates ?? [.cold] }

    /// Every projection shape the profile's models need for the profile's ops (decode gemv, prefill gemm),
    /// per model, in model order.
    public func projectionShapes() -> [ProjectionShape] {
        models.flatMap { m -> [ProjectionShape] in
            var out: [ProjectionShape] = []
            if ops.contains("gemv") { out += m.decodeShapes() }
            if ops.contains("gemm") { out += m.prefillShapes(promptLength: promptLength).filter { $0.op == .gemm } }
            return out
        }
    }

    /// Distinct (op, shape) pairs to benchmark: shared shapes (gate and up, q and o when square, the same model
    /// twice) are measured once.
    public func distinctShapes() -> [(op: KernelOp, shape: MatmulShape)] {
        var seen = Set<String>()
        var out: [(KernelOp, MatmulShape)] = []
        for s in projectionShapes() where seen.insert("\(s.op)/\(s.shape)").inserted {
            out.append((s.op, s.shape))
        }
        return out
    }

    /// The optional keys of a profile, per mapping ("" is the document): absent from a decoded value that left them
    /// nil, yet a typo's message must list them. ProfileTests checks this against the types.
    public static let optionalYAMLKeys: [String: [String]] = [
        "": ["cache_states", "quick"], "models[]": ["head_dim", "source"], "timing": ["rounds"], "quick": ["rounds"],
    ]

    /// A name that is safe in a file name: ASCII letters, digits, '.', '_', '-', at most 64, not starting with '.'.
    public static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0))
            }
    }

    /// Problems with the values (the YAML decoded, but the numbers or names are not usable), key path + message.
    public func problems() -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if name.isEmpty { out.append(("name", "must not be empty")) }
        // The name goes into report file names: no input may choose where a file is written.
        if !name.isEmpty, !RunProfile.isSafeName(name) {
            out.append(("name", "`\(name)` may hold only letters, digits, '.', '_' and '-', and not start with '.'"))
        }
        if formats.isEmpty { out.append(("formats", "must list at least one format")) }
        for (i, f) in formats.enumerated() where !RunProfile.knownFormats.contains(f) {
            out.append(
                ("formats[\(i)]", "unknown format `\(f)` (known: \(RunProfile.knownFormats.joined(separator: ", ")))"))
        }
        for (i, f) in formats.enumerated() where formats[..<i].contains(f) {
            out.append(("formats[\(i)]", "`\(f)` is listed twice"))
        }
        if ops.isEmpty { out.append(("ops", "must list at least one op")) }
        for (i, o) in ops.enumerated() where !RunProfile.knownOps.contains(o) {
            out.append(
                ("ops[\(i)]", "unknown op `\(o)` (a run benchmarks \(RunProfile.knownOps.joined(separator: ", ")))"))
        }
        if threads.isEmpty { out.append(("threads", "must list at least one thread count")) }
        for (i, t) in threads.enumerated() {
            if let p = t.problem { out.append(("threads[\(i)]", p)) }
        }
        if let c = cacheStates, c.isEmpty { out.append(("cache_states", "must list cold, warm or both when present")) }
        out += timing.problems(prefix: "timing")
        if let q = quick { out += q.problems(prefix: "quick") }
        for (key, v) in [
            ("gate.max_throughput_regression", gate.maxThroughputRegression),
            ("gate.max_energy_regression", gate.maxEnergyRegression),
            ("gate.max_sqnr_drop_db", gate.maxSqnrDropDb),
        ] where !(v >= 0) {
            out.append((key, "must be 0 or more, found \(v)"))
        }
        if !(gate.significance > 0 && gate.significance < 1) {
            out.append(("gate.significance", "must be between 0 and 1, found \(gate.significance)"))
        }
        if promptLength < 1 || promptLength > 1 << 20 {
            out.append(("prompt_length", "must be in 1...1048576, found \(promptLength)"))
        }
        for (i, m) in models.enumerated() {
            out += m.problems().map { ("models[\(i)].\($0.key)", $0.message) }
        }
        return out
    }
}
