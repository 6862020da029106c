// The sampler: warm-up, then repeat until both a minimum time and a minimum sample count are met
// (package-benchmark / google-benchmark style), then on while the median is not yet precise enough (its 95 %
// confidence interval wider than a target), bounded by a maximum time. Every sample is kept.

/// When to stop sampling.
public struct SamplingLimits: Codable, Sendable, Equatable {
    /// Untimed runs before sampling (page faults, frequency ramp, cache fill for warm runs).
    public var warmupIterations: Int
    /// Sampling continues until at least this much time has been spent in samples...
    public var minTimeNs: UInt64
    /// ...and at least this many samples exist.
    public var minSamples: Int
    /// Hard stop: sampling ends here even if the minimums are not met (then `Validity` says why).
    public var maxTimeNs: UInt64
    /// Hard stop on count, to bound memory for very fast kernels.
    public var maxSamples: Int
    /// Adaptive sampling: once the minimums are met, sampling goes on while the relative half-width of the
    /// median's 95 % confidence interval (`Statistics.medianPrecision`) exceeds this fraction, until it does not
    /// or a cap is hit. nil: stop as soon as the minimums are met. Runs set it to the profile's `max_noise`,
    /// the limit `Validity` judges the same figure against.
    public var targetPrecision: Double?

    /// The smallest sample floor a slow body can get (see `Sampler.sampleFloor`): with 5 samples the
    /// [min, max] interval covers the median with probability 1 - 2^-4 = 0.9375.
    public static let smallestSampleFloor = 5
    /// The floor a slow body aims for when it fits in twice `maxTimeNs`: from 9 samples the median's 95 %
    /// interval is [x(2), x(n-1)] or narrower, so one sample slowed by a busy neighbour no longer sets its width
    /// (with 5 to 8 samples it is [min, max]).
    public static let slowBodySampleTarget = 9

    /// Defaults: 3 warm-up runs, >= 10 samples and >= 100 ms, at most 5 s or 100 000 samples, no precision target.
    public init(
        warmupIterations: Int = 3, minTimeNs: UInt64 = 100_000_000, minSamples: Int = 10,
        maxTimeNs: UInt64 = 5_000_000_000, maxSamples: Int = 100_000, targetPrecision: Double? = nil
    ) {
        self.warmupIterations = warmupIterations; self.minTimeNs = minTimeNs; self.minSamples = minSamples
        self.maxTimeNs = maxTimeNs; self.maxSamples = maxSamples; self.targetPrecision = targetPrecision
    }
}

/// Why sampling ended.
public enum StopReason: String, Codable, Sendable {
    /// Both minimums met (and the precision target, when there is one).
    case satisfied
    /// `maxTimeNs` reached first.
    case maxTime = "max_time"
    /// `maxSamples` reached first.
    case maxSamples = "max_samples"
    /// The interrupt flag was raised (SIGINT).
    case interrupted
}

/// Which of a result's sampling rounds one `Sampler.run` is. A run can measure each result in several rounds spread
/// over the whole run (`TimingProfile.rounds`): on a shared host a slow spell lasts tens of seconds and slows every
/// sample taken in it alike, so samples from one burst cannot show it, while with three rounds one slow spell
/// reaches a third of a result's samples and the median of them all stays with the other two.
public struct SamplingRound: Sendable, Equatable {
    /// 1-based.
    public var index: Int
    public var count: Int
    public init(index: Int, of count: Int) {
        self.count = max(1, count); self.index = min(max(1, index), self.count)
    }
    /// One round: the whole result at once.
    public static let only = SamplingRound(index: 1, of: 1)
    public var isLast: Bool { index == count }
    /// The part of the result's limits this round ends at: index / count.
    public var share: Double { Double(index) / Double(count) }
}

/// A remark about a measurement that does not by itself make the run invalid.
public struct MeasurementWarning: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// The first sample is an outlier: warm-up was too short.
        case firstSampleOutlier = "first_sample_outlier"
        /// A sample is shorter than the measured timer resolution: it carries no information.
        case belowTimerResolution = "below_timer_resolution"
        /// Samples shorter than 100 timer steps: quantisation error above 1 %.
        case nearTimerResolution = "near_timer_resolution"
        /// Sampling stopped at the time or count cap before the minimums were met.
        case stoppedEarly = "stopped_early"
    }
    public var kind: Kind
    public var message: String
    public init(kind: Kind, message: String) { self.kind = kind; self.message = message }
}

/// Every sample of one benchmark, its summary and what happened while measuring.
public struct SampleRun: Codable, Sendable, Equatable {
    /// Nanoseconds per sample, in measurement order. One sample = `iterationsPerSample` calls, divided out.
    public var samplesNs: [UInt64]
    public var warmupNs: [UInt64]
    public var iterationsPerSample: Int
    /// Sum of the (undivided) sample batch times: the time `minTimeNs` is compared against.
    public var measuredNs: UInt64
    public var stopReason: StopReason
    public var cacheState: CacheState
    public var summary: SampleSummary?
    public var warnings: [MeasurementWarning]
    /// Energy over the sampling phase (warm-up excluded), when a meter was given.
    public var energy: EnergyMeasurement?
    /// Why the meter could not be read, when it was given but failed.
    public var energyError: String?
    /// The minimum sample count lowered for this run because one sample is too slow for `minSamples` of them to
    /// fit in `maxTimeNs` (`Sampler.sampleFloor`); nil when the limits' `minSamples` applies.
    public var sampleFloor: Int?
    /// Samples taken in each round, in order, when the result was measured in more than one
    /// (`SamplingRound`); nil for one round. They sum to `samplesNs.count`.
    public var roundSamples: [Int]?

    public init(
        samplesNs: [UInt64], warmupNs: [UInt64], iterationsPerSample: Int, measuredNs: UInt64,
        stopReason: StopReason, cacheState: CacheState, summary: SampleSummary?, warnings: [MeasurementWarning],
        energy: EnergyMeasurement? = nil, energyError: String? = nil, sampleFloor: Int? = nil,
        roundSamples: [Int]? = nil
    ) {
        self.samplesNs = samplesNs; self.warmupNs = warmupNs; self.iterationsPerSample = iterationsPerSample
        self.measuredNs = measuredNs; self.stopReason = stopReason; self.cacheState = cacheState
        self.summary = summary; self.warnings = warnings; self.energy = energy; self.energyError = energyError
        self.sampleFloor = sampleFloor; self.roundSamples = roundSamples
    }

    /// The median of each round's samples (`roundSamples`); nil for one round.
    public var roundMediansNs: [Double]? {
        guard let counts = roundSamples, counts.count > 1, counts.reduce(0, +) == samplesNs.count else { return nil }
        var out: [Double] = []
        var i = 0
        for n in counts {
            out.append(Statistics.median(sorted: samplesNs[i..<(i + n)].map { Double($0) }.sorted()) ?? 0)
            i += n
        }
        return out
    }
}

/// Runs a closure under `SamplingLimits` and keeps every sample.
public struct Sampler: Sendable {
    public var limits: SamplingLimits
    public var clock: any BenchClock
    /// Measured once per process by the caller (`ClockResolution.measure()`); used only for warnings.
    public var resolution: ClockResolution
    /// Checked between samples; a raised flag stops sampling cleanly (`StopReason.interrupted`).
    public var interrupt: InterruptFlag?

    public init(
        limits: SamplingLimits = SamplingLimits(), clock: any BenchClock = MonotonicClock(),
        resolution: ClockResolution, interrupt: InterruptFlag? = nil
    ) {
        self.limits = limits; self.clock = clock; self.resolution = resolution; self.interrupt = interrupt
    }

    /// How many calls to batch into one sample: calls shorter than a millisecond are batched into samples of
    /// about a millisecond (at most 64 calls), so scheduler jitter on a shared machine does not dominate them;
    /// the sample is then the mean call. `singleCallNs` is one call timed after a warm-up call.
    public static func iterationsPerSample(singleCallNs: UInt64) -> Int {
        let single = max(1, singleCallNs)
        return single >= 1_000_000 ? 1 : Int(min(64, 1_000_000 / single))
    }

    /// The sample floor for a body whose first timed sample (batch) took `firstSampleNs`: when `minSamples` such
    /// samples cannot fit in `maxTimeNs`, as many as fit in twice `maxTimeNs` (the most a slow body may sample,
    /// `samplesPastCap`), at most `SamplingLimits.slowBodySampleTarget` (9) and never fewer than
    /// `SamplingLimits.smallestSampleFloor` (5): max(5, min(9, 2 maxTimeNs / firstSampleNs)); nil when
    /// `minSamples` fit (or is already at or below that floor).
    public static func sampleFloor(firstSampleNs dt: UInt64, limits: SamplingLimits) -> Int? {
        guard dt > 0, limits.minSamples > SamplingLimits.smallestSampleFloor else { return nil }
        let (need, overflow) = dt.multipliedReportingOverflow(by: UInt64(limits.minSamples))
        guard overflow || need > limits.maxTimeNs else { return nil }
        let (twice, big) = limits.maxTimeNs.multipliedReportingOverflow(by: 2)
        let fit = Int(min((big ? .max : twice) / dt, UInt64(Int.max)))
        let floor = max(SamplingLimits.smallestSampleFloor, min(SamplingLimits.slowBodySampleTarget, fit))
        return floor < limits.minSamples ? floor : nil
    }

    /// Whether a result may sample on past `maxTimeNs`: under twice `maxTimeNs`, and either below its floor (a slow
    /// body) or, with a floor or fewer than 2 x `minSamples` samples, while its median is not yet within
    /// `targetPrecision` (one or two disturbed samples among a few are then outvoted instead of failing the
    /// result). A floor of 5 samples of more than `maxTimeNs` / 5 cannot fit in `maxTimeNs` itself (5 scalar gemm
    /// calls of 500 ms take 2.5 s against a 2 s cap); the overrun is bounded by the same cap again.
    static func samplesPastCap(
        _ samples: [UInt64], _ floor: Int?, _ measured: UInt64, _ limits: SamplingLimits
    )
        -> Bool
    {
        let (twice, overflow) = limits.maxTimeNs.multipliedReportingOverflow(by: 2)
        guard overflow || measured < twice else { return false }
        if let floor, samples.count < floor { return true }
        // Few samples at the cap (a slow body, or one whose 10-20 samples a neighbour disturbed late): on while the
        // median is imprecise, up to the same cap again.
        guard floor != nil || samples.count < 2 * limits.minSamples, let target = limits.targetPrecision else {
            return false
        }
        return Statistics.medianPrecision(samples) > target
    }

    /// Warm-up, then samples until both minimums are met and the median is precise enough
    /// (`limits.targetPrecision`), or a cap is hit.
    ///
    /// The precision is checked once the minimums are met and again each time the sample count has grown by a
    /// tenth (at least one sample), so sorting the samples costs O(log n) sorts over a run, not one per sample.
    /// A slow body gets a lower minimum sample count (`sampleFloor`, from its first timed sample, or from the mean
    /// sample when `maxTimeNs` arrives before `minSamples` did), recorded in the run; to reach it, it may sample past
    /// `maxTimeNs` up to twice that (`samplesPastCap`).
    ///
    /// In rounds (`round` of `SamplingRound.count`, each call resuming from the previous round's `earlier` run):
    /// a round before the last stops once the samples so far meet its share of the minimums (round i of n: i/n of
    /// `minTimeNs` and of the minimum count) or reach i/n of `maxTimeNs`, with no precision check; the last round
    /// applies every rule above to all the samples. Every round takes at least one sample (unless interrupted or
    /// past twice `maxTimeNs`) and runs `warmupIterations` first (`qbench run` gives later rounds 0: it makes one
    /// untimed call on each round's fresh buffers itself).
    ///
    /// - Parameters:
    ///   - cacheState: recorded with the samples; for `.cold` the body must rotate buffers itself
    ///     (`KernelBench` rotates weight copies), the sampler only labels.
    ///   - iterationsPerSample: calls per timed sample; the stored sample is the batch time divided by this.
    ///   - energyMeter: read after warm-up and after the last sample; the measurement covers every timed call
    ///     (of every round). A meter that fails to read leaves `energy` nil and says why in `energyError`.
    ///   - earlier: the run so far, from the previous rounds (nil for the first).
    ///   - round: which round this is.
    ///   - body: one call of the code under test.
    /// - Throws: whatever `body` throws (sampling stops at the first error).
    public func run(
        cacheState: CacheState = .warm, iterationsPerSample: Int = 1, energyMeter: (any EnergyMeter)? = nil,
        resuming earlier: SampleRun? = nil, round: SamplingRound = .only, _ body: () throws -> Void
    ) rethrows -> SampleRun {
        let inner = max(iterationsPerSample, 1)
        var warmups: [UInt64] = earlier?.warmupNs ?? []
        for _ in 0..<max(limits.warmupIterations, 0) {
            if interrupt?.isRaised == true { break }
            let t0 = clock.nowNs()
            try body()
            warmups.append(clock.nowNs() &- t0)
        }
        var energyError: String? = earlier?.energyError
        var energyStart: EnergyReading?
        if let m = energyMeter {
            do { energyStart = try m.read() } catch { energyError = "\(m.source.rawValue): \(error)" }
        }
        var samples: [UInt64] = earlier?.samplesNs ?? []
        samples.reserveCapacity(min(max(limits.minSamples, 16), 4096))
        var measured: UInt64 = earlier?.measuredNs ?? 0
        var stop = StopReason.satisfied
        var floor: Int? = earlier?.sampleFloor
        var nextCheck = 0
        let before = samples.count
        let (twiceCap, capOverflow) = limits.maxTimeNs.multipliedReportingOverflow(by: 2)
        while true {
            if interrupt?.isRaised == true { stop = .interrupted; break }
            if samples.count == before {
                // This round's first sample: always taken (below the count and twice the time cap).
                if samples.count >= limits.maxSamples { stop = .maxSamples; break }
                if !capOverflow && measured >= twiceCap { stop = .maxTime; break }
            } else if !round.isLast {
                let share = round.share
                let need = Int((Double(min(limits.minSamples, floor ?? .max)) * share).rounded(.up))
                if Double(measured) >= Double(limits.minTimeNs) * share && samples.count >= need { break }
                if Double(measured) >= Double(limits.maxTimeNs) * share { stop = .maxTime; break }
                if Double(samples.count) >= Double(limits.maxSamples) * share { stop = .maxSamples; break }
            } else {
                if measured >= limits.minTimeNs && samples.count >= min(limits.minSamples, floor ?? .max) {
                    guard let target = limits.targetPrecision else { stop = .satisfied; break }
                    if samples.count >= nextCheck {
                        if Statistics.medianPrecision(samples) <= target { stop = .satisfied; break }
                        nextCheck = samples.count + max(1, samples.count / 10)
                    }
                }
                if measured >= limits.maxTimeNs && floor == nil && !samples.isEmpty
                    && samples.count < limits.minSamples
                {
                    // Slower than its first sample said (a neighbour arrived): the floor from the mean sample so far.
                    floor = Sampler.sampleFloor(firstSampleNs: measured / UInt64(samples.count), limits: limits)
                    if floor != nil { continue }
                }
                if measured >= limits.maxTimeNs && !Sampler.samplesPastCap(samples, floor, measured, limits) {
                    stop = .maxTime; break
                }
                if samples.count >= limits.maxSamples { stop = .maxSamples; break }
            }
            let t0 = clock.nowNs()
            for _ in 0..<inner { try body() }
            let dt = clock.nowNs() &- t0
            samples.append(dt / UInt64(inner))
            measured = measured.addingReportingOverflow(dt).overflow ? .max : measured + dt
            if samples.count == 1 { floor = Sampler.sampleFloor(firstSampleNs: dt, limits: limits) }
        }
        var energy: EnergyMeasurement?
        if let m = energyMeter, let start = energyStart {
            do {
                energy = m.measurement(from: start, to: try m.read(), calls: (samples.count - before) * inner)
            } catch { energyError = "\(m.source.rawValue): \(error)" }
        }
        if let e = energy, earlier != nil {
            // Every round's energy, or none: a round that could not read the meter leaves the result without one.
            energy = earlier?.energy.flatMap { $0.source == e.source ? $0.adding(e) : nil }
        }
        var roundSamples: [Int]?
        if round.count > 1 { roundSamples = (earlier?.roundSamples ?? []) + [samples.count - before] }
        let summary = Statistics.summarize(samples)
        let warnings = Sampler.warnings(
            samples: samples, summary: summary, iterationsPerSample: inner,
            resolution: resolution, stop: stop, limits: limits)
        return SampleRun(
            samplesNs: samples, warmupNs: warmups, iterationsPerSample: inner, measuredNs: measured,
            stopReason: stop, cacheState: cacheState, summary: summary, warnings: warnings,
            energy: energy, energyError: energyError, sampleFloor: floor, roundSamples: roundSamples)
    }

    /// The warnings for a finished run (pure, so tests feed samples directly).
    public static func warnings(
        samples: [UInt64], summary: SampleSummary?, iterationsPerSample: Int,
        resolution: ClockResolution, stop: StopReason,
        limits: SamplingLimits
    ) -> [MeasurementWarning] {
        var out: [MeasurementWarning] = []
        if let s = summary, s.outliers.first == 0, s.count >= 3 {
            out.append(
                MeasurementWarning(
                    kind: .firstSampleOutlier,
                    message:
                        "first sample (\(samples[0]) ns) is an outlier against median \(Int(s.medianNs)) ns: "
                        + "warm-up too short"
                ))
        }
        // Compare the timed batch, not the divided per-call figure, with the clock's step.
        let res = resolution.resolutionNs
        let batches = samples.map { $0.multipliedReportingOverflow(by: UInt64(iterationsPerSample)).partialValue }
        let below = batches.filter { $0 < res }.count
        if below > 0 {
            out.append(
                MeasurementWarning(
                    kind: .belowTimerResolution,
                    message:
                        "\(below) of \(samples.count) samples are shorter than the timer resolution "
                        + "(\(res == .max ? "unmeasurable" : "\(res) ns"))"
                ))
        } else if res != .max {
            let (near100, o) = res.multipliedReportingOverflow(by: 100)
            let near = o ? batches.count : batches.filter { $0 < near100 }.count
            if near > 0 {
                out.append(
                    MeasurementWarning(
                        kind: .nearTimerResolution,
                        message:
                            "\(near) of \(samples.count) samples are shorter than 100 timer steps "
                            + "(\(res) ns each): quantisation error above 1 %"
                    ))
            }
        }
        if stop == .maxTime || stop == .maxSamples {
            var imprecise = ""
            if let target = limits.targetPrecision, let s = summary, s.medianCIHalfWidth > target {
                imprecise =
                    ", median 95% CI still ±\(Validity.percent(s.medianCIHalfWidth)) "
                    + "(target \(Validity.percent(target)))"
            }
            out.append(
                MeasurementWarning(
                    kind: .stoppedEarly,
                    message:
                        "sampling stopped at the \(stop == .maxTime ? "time" : "sample") cap "
                        + "with \(samples.count) samples" + imprecise
                ))
        }
        return out
    }
}
