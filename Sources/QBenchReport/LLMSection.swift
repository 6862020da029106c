// The report's `llm` section and `qbench llm --json`: a real model run end to end on the suite's kernels, per
// (model, weight format, threads): prompt processing (pp) and generation (tg) tokens/s as llama-bench measures
// them, joules per token, and the drift of the model's predictions from its f32 reference as llama-perplexity
// --kl-divergence scores it. Field-by-field documentation: docs/report.md (`llm[]`).
import QBenchHarness

/// One speed test: `tokens` tokens per repetition, the seconds of each repetition, and the median rate.
public struct LLMSpeed: Codable, Sendable, Equatable {
    /// "pp" (one batch of `tokens` prompt tokens, logits of the last) or "tg" (`tokens` single-token steps).
    public var test: String
    public var tokens: Int
    public var samplesS: [Double]
    /// Median tokens per second over the repetitions.
    public var tokensPerS: Double
    /// Median absolute deviation of the per-repetition tokens/s.
    public var madTokensPerS: Double
    /// Joules per token over all repetitions, from the run's energy meter (`energy_source` says which).
    public var joulesPerToken: Double?
    public var energySource: EnergySource?
    /// The harness's rule on the repetitions: at least the repetitions asked for, and the median's confidence
    /// interval (the min-max interval under 6 repetitions) within ±10 %.
    public var validity: Validity?

    public init(
        test: String, tokens: Int, samplesS: [Double], energy: EnergyMeasurement? = nil, minRepetitions: Int? = nil
    ) {
        self.test = test; self.tokens = tokens; self.samplesS = samplesS
        let rates = samplesS.map { $0 > 0 ? Double(tokens) / $0 : 0 }
        let s = Statistics.summarize(rates)
        tokensPerS = s?.medianNs ?? 0
        madTokensPerS = s?.madNs ?? 0
        if let energy, energy.calls > 0 {
            joulesPerToken = energy.joules / Double(energy.calls * tokens)
            energySource = energy.source
        }
        if let minRepetitions { validity = LLMSpeed.judge(samplesS, minRepetitions: minRepetitions) }
    }

    /// Validity of a speed test: judged on the per-repetition seconds like a kernel result (no minimum time).
    static func judge(_ samplesS: [Double], minRepetitions: Int) -> Validity {
        let ns = samplesS.map { UInt64(max(0, $0) * 1e9) }
        let run = SampleRun(
            samplesNs: ns, warmupNs: [], iterationsPerSample: 1, measuredNs: ns.reduce(0, &+), stopReason: .maxSamples,
            cacheState: .warm, summary: Statistics.summarize(ns), warnings: [])
        return Validity.evaluate(run, limits: ValidityLimits(minSamples: minRepetitions, minTotalNs: 0, maxNoise: 0.10))
    }
}

/// How far a model's next-token distributions are from the reference's over a text.
public struct LLMAccuracy: Codable, Sendable, Equatable {
    /// Tokens scored (each chunk's second half, the last position excluded).
    public var tokensScored: Int
    public var chunks: Int
    public var perplexity: Double
    /// KL(reference || model) per scored position, in nats: mean, 99th percentile, maximum.
    public var kldMean: Double
    public var kldP99: Double
    public var kldMax: Double
    /// Fraction of positions where the model's most likely token is the reference's.
    public var top1Agreement: Double

    public init(
        tokensScored: Int, chunks: Int, perplexity: Double, kldMean: Double, kldP99: Double, kldMax: Double,
        top1Agreement: Double
    ) {
        self.tokensScored = tokensScored; self.chunks = chunks; self.perplexity = perplexity
        self.kldMean = kldMean; self.kldP99 = kldP99; self.kldMax = kldMax; self.top1Agreement = top1Agreement
    }
}

/// One (model, format, threads) row of `qbench llm` and of the report's `llm` section. Measured, not estimated.
public struct LLMResult: Codable, Sendable, Equatable {
    /// The model file's name without its extension (as `estimates[].model` names a model from a GGUF header).
    public var model: String
    public var format: String
    public var threads: Int
    /// The gemv (decode) and gemm (prefill) variants every matrix ran on.
    public var gemv: String
    public var gemm: String
    /// Bits per weight of the matrices as stored for the kernels, and their bytes.
    public var bitsPerWeight: Double
    public var matrixBytes: Int
    public var speeds: [LLMSpeed]
    public var accuracy: LLMAccuracy?
    /// The f32 reference's perplexity over the same chunks.
    public var referencePerplexity: Double?
    /// What was scored: "text FILE" or the built-in excerpt's name.
    public var text: String?
    /// The kernel plan: "static", or "measured PATH" (a `qbench tune` file); absent in reports made before it.
    public var dispatch: String?

    public init(
        model: String, format: String, threads: Int, gemv: String, gemm: String, bitsPerWeight: Double,
        matrixBytes: Int, speeds: [LLMSpeed], accuracy: LLMAccuracy?, referencePerplexity: Double?,
        text: String? = nil, dispatch: String? = nil
    ) {
        self.model = model; self.format = format; self.threads = threads; self.gemv = gemv; self.gemm = gemm
        self.bitsPerWeight = bitsPerWeight; self.matrixBytes = matrixBytes; self.speeds = speeds
        self.accuracy = accuracy; self.referencePerplexity = referencePerplexity; self.text = text
        self.dispatch = dispatch
    }

    /// The first pp and tg tests (the ones llama-bench users look for under these names).
    public var pp: LLMSpeed? { speeds.first { $0.test == "pp" } }
    public var tg: LLMSpeed? { speeds.first { $0.test == "tg" } }

    enum CodingKeys: String, CodingKey {
        case model, format, threads, gemv, gemm, bitsPerWeight, matrixBytes, speeds, accuracy, text, dispatch
        case ppTokensPerS, tgTokensPerS, perplexity, kldMean, kldP99, top1Agreement, referencePerplexity
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        format = try c.decode(String.self, forKey: .format)
        threads = try c.decode(Int.self, forKey: .threads)
        gemv = try c.decode(String.self, forKey: .gemv)
        gemm = try c.decode(String.self, forKey: .gemm)
        bitsPerWeight = try c.decode(Double.self, forKey: .bitsPerWeight)
        matrixBytes = try c.decode(Int.self, forKey: .matrixBytes)
        speeds = try c.decode([LLMSpeed].self, forKey: .speeds)
        accuracy = try c.decodeIfPresent(LLMAccuracy.self, forKey: .accuracy)
        referencePerplexity = try c.decodeIfPresent(Double.self, forKey: .referencePerplexity)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        dispatch = try c.decodeIfPresent(String.self, forKey: .dispatch)
    }

    /// The stored fields, plus the headline figures flat under the names the issue and llama.cpp users expect
    /// (`pp_tokens_per_s`, `tg_tokens_per_s`, `perplexity`, `kld_mean`, `kld_p99`, `top1_agreement`); the flat
    /// copies are ignored on decoding.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model); try c.encode(format, forKey: .format)
        try c.encode(threads, forKey: .threads); try c.encode(gemv, forKey: .gemv); try c.encode(gemm, forKey: .gemm)
        try c.encode(bitsPerWeight, forKey: .bitsPerWeight); try c.encode(matrixBytes, forKey: .matrixBytes)
        try c.encode(speeds, forKey: .speeds)
        try c.encodeIfPresent(pp?.tokensPerS, forKey: .ppTokensPerS)
        try c.encodeIfPresent(tg?.tokensPerS, forKey: .tgTokensPerS)
        try c.encodeIfPresent(accuracy, forKey: .accuracy)
        if let a = accuracy {
            try c.encode(a.perplexity, forKey: .perplexity); try c.encode(a.kldMean, forKey: .kldMean)
            try c.encode(a.kldP99, forKey: .kldP99); try c.encode(a.top1Agreement, forKey: .top1Agreement)
        }
        try c.encodeIfPresent(referencePerplexity, forKey: .referencePerplexity)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(dispatch, forKey: .dispatch)
    }
}
