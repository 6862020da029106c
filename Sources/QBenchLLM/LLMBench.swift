// `qbench llm`'s measurements: prompt processing (pp) and generation (tg) tokens/s as llama-bench measures them,
// and the drift of a quantized model's predictions from the f32 reference, scored over a text the way
// `llama-perplexity --kl-divergence` scores it (512-token chunks, BOS first, each chunk's second half counted).
import Foundation
import QBenchHarness
import QBenchKernels
import QBenchReport
import QBenchSupport

/// The running sums of `LLMAccuracy`.
struct AccuracyAccumulator {
    var nll = 0.0
    var klds: [Double] = []
    var agree = 0
    var count = 0
    var chunks = 0

    /// Scores `rows` positions: `ref` and `model` logits (rows x vocab), `targets` the next token of each. Rows are
    /// scored on all cores (a row is 262,144 exponentials per model for Gemma), then summed in row order.
    mutating func add(ref: [Float], model: [Float], rows: Int, vocab: Int, targets: ArraySlice<Int32>) {
        struct Row { var kl = 0.0, agree = false, nll = 0.0 }
        let out = UnsafeMutableBufferPointer<Row>.allocate(capacity: rows)
        defer { out.deallocate() }
        let targetIDs = Array(targets)
        ref.withUnsafeBufferPointer { rp in
            model.withUnsafeBufferPointer { mp in
                let rbase = rp.baseAddress!, mbase = mp.baseAddress!
                DispatchQueue.concurrentPerform(iterations: rows) { r in
                    let a = rbase + r * vocab, b = mbase + r * vocab
                    let la = LLMMath.logSumExp(a, vocab), lb = LLMMath.logSumExp(b, vocab)
                    var kl = 0.0
                    var ia = 0, ib = 0
                    for i in 0..<vocab {
                        let pa = Double(a[i]) - la
                        kl += exp(pa) * (pa - (Double(b[i]) - lb))
                        if a[i] > a[ia] { ia = i }
                        if b[i] > b[ib] { ib = i }
                    }
                    let t = Int(targetIDs[r])
                    (out.baseAddress! + r).initialize(to: Row(kl: max(0, kl), agree: ia == ib, nll: lb - Double(b[t])))
                }
            }
        }
        for r in 0..<rows {
            klds.append(out[r].kl)
            if out[r].agree { agree += 1 }
            nll += out[r].nll
            count += 1
        }
    }

    var result: LLMAccuracy {
        let sorted = klds.sorted()
        return LLMAccuracy(
            tokensScored: count, chunks: chunks, perplexity: count > 0 ? exp(nll / Double(count)) : .nan,
            kldMean: klds.isEmpty ? .nan : klds.reduce(0, +) / Double(klds.count),
            kldP99: Statistics.percentile(sorted: sorted, 0.99) ?? .nan, kldMax: sorted.last ?? .nan,
            top1Agreement: count > 0 ? Double(agree) / Double(count) : .nan)
    }
}

public enum LLMBench {
    /// Wall seconds of `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// The seconds of each of `repetitions` calls of `body`, and the meter's energy over all of them (nil without a
    /// meter, or when it could not be read: a speed figure is not lost to an energy counter).
    static func timed(
        repetitions: Int, meter: (any EnergyMeter)?, _ body: () throws -> Void
    ) throws -> ([Double], EnergyMeasurement?) {
        let before = try? meter?.read()
        var samples: [Double] = []
        for _ in 0..<repetitions { samples.append(try seconds(body)) }
        guard let meter, let before, let after = try? meter.read() else { return (samples, nil) }
        return (samples, meter.measurement(from: before, to: after, calls: repetitions))
    }

    /// pp: `repetitions` times, one forward of `length` tokens from an empty cache and the logits of the last
    /// (as llama-bench's pp test), after one untimed warm-up. Tokens are pseudo-random ids, BOS first.
    public static func promptProcessing(
        _ model: LLMModel, length: Int, repetitions: Int, bos: Int32, pool: KernelThreadPool,
        meter: (any EnergyMeter)? = nil
    ) throws -> LLMSpeed {
        let cache = try model.makeCache(capacity: length)
        var rng = SplitMix64(seed: 0x11a)
        let tokens = [bos] + (1..<length).map { _ in Int32(rng.next() % UInt64(model.config.vocabSize)) }
        var logits: [Float] = []
        func once() throws {
            cache.reset()
            let h = try model.forward(tokens, cache: cache, outputRows: (length - 1)..<length, pool: pool)
            model.logits(h, rows: 1, into: &logits, pool: pool)
        }
        try once()
        let (samples, energy) = try timed(repetitions: repetitions, meter: meter, once)
        return LLMSpeed(
            test: "pp", tokens: length, samplesS: samples, energy: energy, minRepetitions: repetitions)
    }

    /// tg: `repetitions` times, `length` single-token steps from an empty cache, each with its logits (as
    /// llama-bench's tg test), after one untimed warm-up step sequence of 1 token.
    public static func generation(
        _ model: LLMModel, length: Int, repetitions: Int, bos: Int32, pool: KernelThreadPool,
        meter: (any EnergyMeter)? = nil
    ) throws -> LLMSpeed {
        let cache = try model.makeCache(capacity: length)
        var rng = SplitMix64(seed: 0x7e)
        var logits: [Float] = []
        func once(_ n: Int) throws {
            cache.reset()
            var t = bos
            for _ in 0..<n {
                let h = try model.forward([t], cache: cache, outputRows: 0..<1, pool: pool)
                model.logits(h, rows: 1, into: &logits, pool: pool)
                t = Int32(rng.next() % UInt64(model.config.vocabSize))
            }
        }
        try once(1)
        let (samples, energy) = try timed(repetitions: repetitions, meter: meter) { try once(length) }
        return LLMSpeed(
            test: "tg", tokens: length, samplesS: samples, energy: energy, minRepetitions: repetitions)
    }

    /// The reference's final hidden states of each chunk's scored positions, so the reference runs once for
    /// every format scored against it.
    public struct ReferencePass: Sendable {
        public var chunkTokens: [[Int32]]
        /// Per chunk: (scored rows) x embedding.
        public var hidden: [[Float]]
        public var first: Int
        public var accuracy: LLMAccuracy
    }

    /// The chunks of `text` as llama-perplexity forms them: `chunk` tokens each, the first replaced by BOS when
    /// the model adds one; at most `maxChunks`.
    public static func chunks(_ text: [Int32], chunk: Int, maxChunks: Int, bos: Int32?) -> [[Int32]] {
        let n = min(text.count / chunk, maxChunks)
        return (0..<n).map { i in
            var c = Array(text[(i * chunk)..<((i + 1) * chunk)])
            if let bos { c[0] = bos }
            return c
        }
    }

    /// Runs the reference over the chunks, keeping its hidden states, and scores it against itself (its own
    /// perplexity; KLD 0).
    public static func reference(
        _ model: LLMModel, chunks: [[Int32]], pool: KernelThreadPool, progress: ((Int) -> Void)? = nil
    ) throws -> ReferencePass {
        guard let len = chunks.first?.count, len >= 4 else { throw QBError.other("chunks must hold at least 4 tokens") }
        let first = len / 2
        let cache = try model.makeCache(capacity: len)
        var hidden: [[Float]] = []
        var acc = AccuracyAccumulator()
        for (i, c) in chunks.enumerated() {
            cache.reset()
            let h = try model.forward(c, cache: cache, outputRows: first..<(len - 1), pool: pool)
            hidden.append(h)
            try score(ref: model, refHidden: h, model: model, hidden: h, chunk: c, first: first, into: &acc, pool: pool)
            progress?(i + 1)
        }
        acc.chunks = chunks.count
        return ReferencePass(chunkTokens: chunks, hidden: hidden, first: first, accuracy: acc.result)
    }

    /// Scores `model` against the reference pass.
    public static func accuracy(
        _ model: LLMModel, reference ref: LLMModel, pass: ReferencePass, pool: KernelThreadPool,
        progress: ((Int) -> Void)? = nil
    ) throws -> LLMAccuracy {
        guard let len = pass.chunkTokens.first?.count else { throw QBError.other("no chunks to score") }
        let cache = try model.makeCache(capacity: len)
        var acc = AccuracyAccumulator()
        for (i, c) in pass.chunkTokens.enumerated() {
            cache.reset()
            let h = try model.forward(c, cache: cache, outputRows: pass.first..<(len - 1), pool: pool)
            try score(
                ref: ref, refHidden: pass.hidden[i], model: model, hidden: h, chunk: c, first: pass.first, into: &acc,
                pool: pool)
            progress?(i + 1)
        }
        acc.chunks = pass.chunkTokens.count
        return acc.result
    }

    /// Logits of both models in slices of 16 rows (a row is 1 MB for a 262,144-token vocabulary), scored.
    static func score(
        ref: LLMModel, refHidden: [Float], model: LLMModel, hidden: [Float], chunk: [Int32], first: Int,
        into acc: inout AccuracyAccumulator, pool: KernelThreadPool
    ) throws {
        let e = model.config.embeddingLength, vocab = model.config.vocabSize
        let rows = hidden.count / e
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + 16)
            let hr = Array(refHidden[(r0 * e)..<(r1 * e)]), hm = Array(hidden[(r0 * e)..<(r1 * e)])
            let lr = ref.logits(hr, rows: r1 - r0, pool: pool)
            let lm = ref === model ? lr : model.logits(hm, rows: r1 - r0, pool: pool)
            // Row r predicts the token after position first + r.
            acc.add(ref: lr, model: lm, rows: r1 - r0, vocab: vocab, targets: chunk[(first + r0 + 1)...(first + r1)])
            r0 = r1
        }
    }
}
