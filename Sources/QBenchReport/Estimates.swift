// Projected tokens/s and joules/token from measured projection times (pure functions over medians).
//
// Decode, per token:   T = layers x sum(q, k, v, o, gate, up, down gemv medians) + lm_head gemv median
// Prefill, per prompt: T = layers x sum(block gemm medians at m = prompt length) + lm_head gemv (last token only)
// tokens/s = 1e9 / T (decode) and prompt_length x 1e9 / T (prefill). Joules add up the same way.
import QBenchHarness
import QBenchProfiles
import QBenchFormats

/// One projection's measured figures.
public struct ProjectionMeasurement: Sendable, Equatable {
    public var medianNs: Double
    /// Joules per call, when energy was measured.
    public var joulesPerCall: Double?
    /// The result key it came from.
    public var key: String?
    public init(medianNs: Double, joulesPerCall: Double? = nil, key: String? = nil) {
        self.medianNs = medianNs; self.joulesPerCall = joulesPerCall; self.key = key
    }
}

/// Projected throughput of one model in one format.
public struct TokenEstimate: Codable, Sendable, Equatable {
    public var model: String
    public var format: String
    public var threads: Int
    public var promptLength: Int
    public var decodeTokensPerS: Double?
    public var decodeMsPerToken: Double?
    public var prefillTokensPerS: Double?
    /// Decode joules per token.
    public var joulesPerToken: Double?
    public var prefillJoulesPerToken: Double?
    public var energySource: EnergySource?
    /// Result keys the estimate used.
    public var basis: [String]
    /// Projections with no measurement ("decode gate 1x14336x4096"); the matching figures are then absent.
    public var missing: [String]
    /// What the projection leaves out.
    public var note: String

    public init(
        model: String, format: String, threads: Int, promptLength: Int, decodeTokensPerS: Double?,
        decodeMsPerToken: Double?, prefillTokensPerS: Double?, joulesPerToken: Double?,
        prefillJoulesPerToken: Double?, energySource: EnergySource?, basis: [String], missing: [String], note: String
    ) {
        self.model = model; self.format = format; self.threads = threads; self.promptLength = promptLength
        self.decodeTokensPerS = decodeTokensPerS; self.decodeMsPerToken = decodeMsPerToken
        self.prefillTokensPerS = prefillTokensPerS; self.joulesPerToken = joulesPerToken
        self.prefillJoulesPerToken = prefillJoulesPerToken; self.energySource = energySource
        self.basis = basis; self.missing = missing; self.note = note
    }
}

public enum Estimates {
    public static let exclusionNote =
        "Linear projections only (q, k, v, o, gate, up, down per layer, lm_head per token): "
        + "attention scores and softmax over the KV cache, norms, RoPE, activation functions, "
        + "residual adds, embedding lookup and sampling are excluded, "
        + "so real tokens/s will be lower, increasingly so at long context."

    /// The estimate from per-projection measurements (pure).
    ///
    /// - Parameters:
    ///   - decode: gemv (m = 1) measurements for every projection including `.lmHead`.
    ///   - prefill: gemm (m = promptLength) measurements for the block projections (lm_head comes from `decode`).
    public static func estimate(
        model: ModelProfile, format: String, threads: Int, promptLength: Int,
        decode: [Projection: ProjectionMeasurement], prefill: [Projection: ProjectionMeasurement],
        energySource: EnergySource? = nil
    ) -> TokenEstimate {
        var missing: [String] = []
        var basis: [String] = []
        func shapeText(_ p: Projection, m: Int) -> String {
            let w = model.weightShape(p); return "\(m)x\(w.outputs)x\(w.k)"
        }

        var decodeNs: Double? = 0, decodeJ: Double? = 0
        for p in Projection.allCases {
            guard let m = decode[p], m.medianNs > 0 else {
                missing.append("decode \(p.rawValue) gemv \(shapeText(p, m: 1))"); decodeNs = nil; decodeJ = nil;
                continue
            }
            let n = Double(model.count(p))
            decodeNs = decodeNs.map { $0 + n * m.medianNs }
            decodeJ = decodeJ.flatMap { acc in m.joulesPerCall.map { acc + n * $0 } }
            if let k = m.key { basis.append(k) }
        }

        var prefillNs: Double? = 0, prefillJ: Double? = 0
        for p in Projection.perLayer {
            guard let m = prefill[p], m.medianNs > 0 else {
                missing.append("prefill \(p.rawValue) gemm \(shapeText(p, m: promptLength))"); prefillNs = nil;
                prefillJ = nil; continue
            }
            let n = Double(model.layers)
            prefillNs = prefillNs.map { $0 + n * m.medianNs }
            prefillJ = prefillJ.flatMap { acc in m.joulesPerCall.map { acc + n * $0 } }
            if let k = m.key { basis.append(k) }
        }
        if let head = decode[.lmHead], head.medianNs > 0 {
            prefillNs = prefillNs.map { $0 + head.medianNs }
            prefillJ = prefillJ.flatMap { acc in head.joulesPerCall.map { acc + $0 } }
        } else {
            prefillNs = nil; prefillJ = nil
        }

        let p = Double(max(promptLength, 1))
        return TokenEstimate(
            model: model.name, format: format, threads: threads, promptLength: promptLength,
            decodeTokensPerS: decodeNs.map { 1e9 / $0 }, decodeMsPerToken: decodeNs.map { $0 / 1e6 },
            prefillTokensPerS: prefillNs.map { p * 1e9 / $0 },
            joulesPerToken: decodeJ, prefillJoulesPerToken: prefillJ.map { $0 / p },
            energySource: (decodeJ != nil || prefillJ != nil) ? energySource : nil,
            basis: Array(Set(basis)).sorted(), missing: missing, note: exclusionNote)
    }

    /// The estimate from report rows: for each projection shape, the fastest warm row of this format and thread
    /// count across variants (valid rows preferred), as the dispatcher would pick.
    public static func fromResults(
        model: ModelProfile, format: String, threads: Int, promptLength: Int,
        results: [ResultRow]
    ) -> TokenEstimate {
        func best(op: KernelOp, shape: MatmulShape) -> ProjectionMeasurement? {
            var rows = results.filter {
                $0.op == op && $0.weightFormat == format && $0.threads == threads && $0.shape == shape
                    && $0.medianNs > 0
            }
            // Decode streams weights that are not in cache: prefer cold gemv measurements when there are any.
            if op == .gemv, rows.contains(where: { $0.cacheState == .cold }) {
                rows = rows.filter { $0.cacheState == .cold }
            }
            let pool = rows.contains { $0.validity.valid } ? rows.filter { $0.validity.valid } : rows
            guard let r = pool.min(by: { $0.medianNs < $1.medianNs }) else { return nil }
            return ProjectionMeasurement(medianNs: r.medianNs, joulesPerCall: r.energy?.joules, key: r.key)
        }
        var decode: [Projection: ProjectionMeasurement] = [:]
        for s in model.decodeShapes() { decode[s.projection] = best(op: s.op, shape: s.shape) }
        var prefill: [Projection: ProjectionMeasurement] = [:]
        for s in model.prefillShapes(promptLength: promptLength) where s.op == .gemm {
            prefill[s.projection] = best(op: s.op, shape: s.shape)
        }
        let source = results.first { $0.weightFormat == format && $0.energy != nil }?.energy?.source
        return estimate(
            model: model, format: format, threads: threads, promptLength: promptLength,
            decode: decode, prefill: prefill, energySource: source)
    }
}
