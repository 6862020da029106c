// Benchmark result rows: every sample, the robust summary, throughput, roofline position, energy, validity.
import QBenchHarness
import QBenchProfiles
import QBenchFormats

/// Bytes and operations per second of one call at the median time.
public struct Throughput: Codable, Sendable, Equatable {
    /// 10^9 bytes per second (weights + activations in + results out of one call / median time).
    public var gbPerS: Double
    /// 10^9 operations per second (multiply and add counted separately).
    public var gopPerS: Double
    public init(gbPerS: Double, gopPerS: Double) { self.gbPerS = gbPerS; self.gopPerS = gopPerS }

    /// Pure: bytes/ns is GB/s, ops/ns is GOP/s.
    public static func make(bytesPerCall: Double, opsPerCall: Double, medianNs: Double) -> Throughput {
        guard medianNs > 0 else { return Throughput(gbPerS: 0, gopPerS: 0) }
        return Throughput(gbPerS: bytesPerCall / medianNs, gopPerS: opsPerCall / medianNs)
    }
}

/// Which roofline ceiling limits a kernel at its arithmetic intensity.
public enum RooflineBound: String, Codable, Sendable {
    case memory, compute
}

/// A result's place under the device's measured roofline.
public struct RooflinePoint: Codable, Sendable, Equatable {
    public var bound: RooflineBound
    /// Achieved / attainable GOP/s, where attainable = min(peak, intensity x bandwidth).
    public var fraction: Double
    /// Operations per byte moved.
    public var arithmeticIntensity: Double
    public init(bound: RooflineBound, fraction: Double, arithmeticIntensity: Double) {
        self.bound = bound; self.fraction = fraction; self.arithmeticIntensity = arithmeticIntensity
    }

    /// Classic roofline (Williams, Waterman, Patterson 2009) against measured ceilings (pure).
    /// - Returns: nil when a ceiling or the traffic is not positive.
    public static func classify(
        opsPerCall: Double, bytesPerCall: Double, medianNs: Double,
        peakGopPerS: Double, bandwidthGbPerS: Double
    ) -> RooflinePoint? {
        guard opsPerCall > 0, bytesPerCall > 0, medianNs > 0, peakGopPerS > 0, bandwidthGbPerS > 0 else { return nil }
        let ai = opsPerCall / bytesPerCall
        let memoryCeiling = ai * bandwidthGbPerS
        let attainable = min(peakGopPerS, memoryCeiling)
        let achieved = opsPerCall / medianNs
        return RooflinePoint(
            bound: memoryCeiling < peakGopPerS ? .memory : .compute,
            fraction: achieved / attainable, arithmeticIntensity: ai)
    }
}

/// Stable comparison keys: op/format/shape/threads/variant (+ "/cold" for cold-cache results). A variant on an
/// activation format other than its weight format's own (`WeightFormat.activationFormat`), e.g. bf16 weights with f32
/// activations, carries it after an `@`, so the two bf16 avx512 gemvs are two keys.
public enum ResultKey {
    /// e.g. "gemv/q4_0/1x4096x4096/t8/avx512_vnni", "gemv/bf16/1x4864x896/t2/avx512@f32/cold".
    public static func make(
        op: KernelOp, weightFormat: String, shape: MatmulShape, threads: Int, variant: String,
        cacheState: CacheState = .warm, activationFormat: String? = nil
    ) -> String {
        var v = variant
        if let a = activationFormat.flatMap(ActivationFormat.init(rawValue:)),
            let w = WeightFormat(rawValue: weightFormat), w.activationFormat != a
        {
            v += "@\(a.rawValue)"
        }
        return "\(op)/\(weightFormat)/\(shape)/t\(threads)/\(v)" + (cacheState == .cold ? "/cold" : "")
    }
}

/// The ceiling of a result measured again right next to it (just before and just after its samples), so a
/// machine that is slower for a while (a noisy neighbour on a shared host) slows both sides of the ratio.
public struct AdjacentCeiling: Codable, Sendable, Equatable {
    /// `dram_read`: the read loop over the same weight copies the cold kernel streamed, split across the same
    /// threads; `peak`: the peak loop of the result's family and instruction (the one its roofline ceiling used).
    public var ceiling: String
    /// What the loop issues, e.g. `vmovdqa64 zmm`, `vpdpbusd zmm`.
    public var instruction: String
    /// Median of the repetitions, in `unit`.
    public var value: Double
    /// `GB/s` (dram_read) or `GOP/s` (peak).
    public var unit: String
    public var repetitions: Int
    /// The result's throughput in `unit` (bytes per call or operations per call over its median) / `value`.
    public var fraction: Double
    /// Compute-bound results only: L2 read bandwidth (GB/s, median) measured at the same moments, and its ratio
    /// to the run's L2 ceiling. A register-only peak loop does not see a disturbance of the caches (a busy SMT
    /// sibling of a shared host, say); a cache-blocked gemm does, and this says whether there was one.
    public var l2ReadGbPerS: Double?
    public var l2ReadVsRun: Double?
    public init(
        ceiling: String, instruction: String, value: Double, unit: String, repetitions: Int, fraction: Double,
        l2ReadGbPerS: Double? = nil, l2ReadVsRun: Double? = nil
    ) {
        self.ceiling = ceiling; self.instruction = instruction; self.value = value; self.unit = unit
        self.repetitions = repetitions; self.fraction = fraction
        self.l2ReadGbPerS = l2ReadGbPerS; self.l2ReadVsRun = l2ReadVsRun
    }
}

public struct ResultRow: Codable, Sendable, Equatable {
    public var key: String
    public var op: KernelOp
    public var weightFormat: String
    public var activationFormat: String
    public var variant: String
    public var shape: MatmulShape
    public var threads: Int
    public var cacheState: CacheState
    /// Every sample, ns per call, in measurement order.
    public var samplesNs: [UInt64]
    public var iterationsPerSample: Int
    public var medianNs: Double
    public var madNs: Double
    public var p10Ns: Double
    public var p90Ns: Double
    public var minNs: Double
    public var maxNs: Double
    public var meanNs: Double
    /// Indices into `samples_ns` flagged by the modified z-score.
    public var outliers: [Int]
    /// Distribution-free 95 % confidence interval of the median (order statistics, `Statistics.medianInterval`);
    /// absent in reports made before it was recorded.
    public var medianCiLowNs: Double?
    public var medianCiHighNs: Double?
    public var bytesPerCall: Double
    public var opsPerCall: Double
    public var throughput: Throughput
    /// Absent when the roofline was not measured.
    public var roofline: RooflinePoint?
    /// Absent when energy was not measured for this result.
    public var energy: ResultEnergy?
    public var validity: Validity
    public var warnings: [MeasurementWarning]
    /// NUMA placement of the weights for this measurement (`WeightPlacementOutcome.description`); absent in
    /// reports made before it was recorded.
    public var weightPlacement: String?
    /// The result's ceiling re-measured around it (absent when no ceiling applies or it was not measured).
    public var adjacent: AdjacentCeiling?
    /// Measured in rounds (`timing.rounds` > 1): the samples of each round, in `samples_ns` order, and each round's
    /// median. Absent for one round.
    public var roundSamples: [Int]?
    public var roundMediansNs: [Double]?
    /// Present when the result was measured again, in one go at the end of the run, because its first attempt was
    /// not valid (`FirstAttempt`); every other figure of the row is then the retake's, valid or not.
    public var firstAttempt: FirstAttempt?

    public init(
        key: String, op: KernelOp, weightFormat: String, activationFormat: String, variant: String,
        shape: MatmulShape, threads: Int, cacheState: CacheState, samplesNs: [UInt64], iterationsPerSample: Int,
        medianNs: Double, madNs: Double, p10Ns: Double, p90Ns: Double, minNs: Double, maxNs: Double,
        meanNs: Double, outliers: [Int], bytesPerCall: Double, opsPerCall: Double, throughput: Throughput,
        roofline: RooflinePoint?, energy: ResultEnergy?, validity: Validity, warnings: [MeasurementWarning],
        medianCiLowNs: Double? = nil, medianCiHighNs: Double? = nil
    ) {
        self.key = key; self.op = op; self.weightFormat = weightFormat; self.activationFormat = activationFormat
        self.variant = variant; self.shape = shape; self.threads = threads; self.cacheState = cacheState
        self.samplesNs = samplesNs; self.iterationsPerSample = iterationsPerSample; self.medianNs = medianNs
        self.madNs = madNs; self.p10Ns = p10Ns; self.p90Ns = p90Ns; self.minNs = minNs; self.maxNs = maxNs
        self.meanNs = meanNs; self.outliers = outliers; self.bytesPerCall = bytesPerCall; self.opsPerCall = opsPerCall
        self.throughput = throughput; self.roofline = roofline; self.energy = energy; self.validity = validity
        self.warnings = warnings; self.medianCiLowNs = medianCiLowNs; self.medianCiHighNs = medianCiHighNs
    }

    /// Builds a row from a sampler run (pure apart from its inputs).
    ///
    /// - Parameters:
    ///   - ceilings: measured (peak GOP/s, bandwidth GB/s) for this format family and thread count, if known.
    ///   - energy: the measurement over the sampling phase (its `calls` must count every timed call);
    ///     defaults to the one the sampler took (`run.energy`).
    public static func make(
        op: KernelOp, weightFormat: String, activationFormat: String, variant: String,
        shape: MatmulShape, threads: Int, run: SampleRun, bytesPerCall: Double, opsPerCall: Double,
        ceilings: (peakGopPerS: Double, bandwidthGbPerS: Double)? = nil,
        energy: EnergyMeasurement? = nil, limits: ValidityLimits
    ) -> ResultRow {
        let s =
            run.summary
            ?? SampleSummary(
                count: 0, medianNs: 0, madNs: 0, p10Ns: 0, p90Ns: 0, minNs: 0, maxNs: 0,
                meanNs: 0, outliers: [], noise: 0)
        let roof = ceilings.flatMap {
            RooflinePoint.classify(
                opsPerCall: opsPerCall, bytesPerCall: bytesPerCall, medianNs: s.medianNs,
                peakGopPerS: $0.peakGopPerS, bandwidthGbPerS: $0.bandwidthGbPerS)
        }
        var row = ResultRow(
            key: ResultKey.make(
                op: op, weightFormat: weightFormat, shape: shape, threads: threads, variant: variant,
                cacheState: run.cacheState, activationFormat: activationFormat),
            op: op, weightFormat: weightFormat, activationFormat: activationFormat, variant: variant, shape: shape,
            threads: threads, cacheState: run.cacheState, samplesNs: run.samplesNs,
            iterationsPerSample: run.iterationsPerSample, medianNs: s.medianNs, madNs: s.madNs, p10Ns: s.p10Ns,
            p90Ns: s.p90Ns, minNs: s.minNs, maxNs: s.maxNs, meanNs: s.meanNs, outliers: s.outliers,
            bytesPerCall: bytesPerCall, opsPerCall: opsPerCall,
            throughput: Throughput.make(bytesPerCall: bytesPerCall, opsPerCall: opsPerCall, medianNs: s.medianNs),
            roofline: roof,
            energy: (energy ?? run.energy).map {
                ResultEnergy.make($0, bytesPerCall: bytesPerCall, opsPerCall: opsPerCall)
            },
            validity: Validity.evaluate(run, limits: limits), warnings: run.warnings,
            medianCiLowNs: run.summary?.medianCILowNs, medianCiHighNs: run.summary?.medianCIHighNs)
        if let m = run.roundMediansNs {
            row.roundSamples = run.roundSamples
            row.roundMediansNs = m
        }
        return row
    }
}

/// The first measurement of a result that was measured again (a retake, `qbench run` docs): kept whole, so a reader
/// sees what was set aside and why. On a shared host a slow spell of tens of seconds can slow every sample of one
/// round of a slow body (the scalar reference gemms, 0.1-0.4 s a call); measured again minutes later, its median is
/// known again, while a result whose samples really are that noisy is noisy in the retake too and stays invalid.
public struct FirstAttempt: Codable, Sendable, Equatable {
    /// Every sample of the first attempt, ns per call, in measurement order.
    public var samplesNs: [UInt64]
    public var roundSamples: [Int]?
    public var medianNs: Double
    /// Why it was not valid (`Validity.reasons`).
    public var reasons: [String]

    public init(samplesNs: [UInt64], roundSamples: [Int]?, medianNs: Double, reasons: [String]) {
        self.samplesNs = samplesNs; self.roundSamples = roundSamples; self.medianNs = medianNs
        self.reasons = reasons
    }

    public init(_ run: SampleRun, limits: ValidityLimits) {
        self.init(
            samplesNs: run.samplesNs, roundSamples: run.roundSamples, medianNs: run.summary?.medianNs ?? 0,
            reasons: Validity.evaluate(run, limits: limits).reasons)
    }
}
