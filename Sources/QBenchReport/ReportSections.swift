// The roofline and accuracy sections of a report.

/// Measured read bandwidth at one level of the memory hierarchy.
public struct BandwidthPoint: Codable, Sendable, Equatable {
    /// "l1", "l2", "l3" or "dram".
    public var level: String
    public var threads: Int
    /// Buffer size used to land in that level.
    public var workingSetBytes: Int
    public var gbPerS: Double
    public init(level: String, threads: Int, workingSetBytes: Int, gbPerS: Double) {
        self.level = level; self.threads = threads; self.workingSetBytes = workingSetBytes; self.gbPerS = gbPerS
    }
}

/// Measured peak operation rate of a format family with its best variant.
public struct PeakPoint: Codable, Sendable, Equatable {
    /// "f32", "fp16", "bf16", "int8", "int4".
    public var family: String
    public var threads: Int
    public var variant: String
    public var gopPerS: Double
    public init(family: String, threads: Int, variant: String, gopPerS: Double) {
        self.family = family; self.threads = threads; self.variant = variant; self.gopPerS = gopPerS
    }
}

/// The device's own roofline: ceilings measured on this run, per thread count.
public struct RooflineSection: Codable, Sendable, Equatable {
    public var bandwidth: [BandwidthPoint]
    public var peaks: [PeakPoint]
    public init(bandwidth: [BandwidthPoint], peaks: [PeakPoint]) { self.bandwidth = bandwidth; self.peaks = peaks }
    public static let empty = RooflineSection(bandwidth: [], peaks: [])

    /// DRAM bandwidth and the family's peak for a thread count, when both were measured.
    public func ceilings(family: String, threads: Int) -> (peakGopPerS: Double, bandwidthGbPerS: Double)? {
        guard let bw = bandwidth.first(where: { $0.level == "dram" && $0.threads == threads }),
            let peak = peaks.filter({ $0.family == family && $0.threads == threads }).map(\.gopPerS).max()
        else { return nil }
        return (peak, bw.gbPerS)
    }
}

/// Quantisation error of one format and method on one named tensor.
public struct AccuracyRow: Codable, Sendable, Equatable {
    public var format: String
    /// Calibration / rounding method, e.g. "minmax", "mse", "rtn".
    public var method: String
    public var tensor: String
    /// Signal-to-quantisation-noise ratio in dB (+inf, encoded "inf", when the error is zero).
    public var sqnrDb: Double
    public var nmse: Double
    public var cosine: Double
    public var maxAbsErr: Double
    public init(
        format: String, method: String, tensor: String, sqnrDb: Double, nmse: Double, cosine: Double,
        maxAbsErr: Double
    ) {
        self.format = format; self.method = method; self.tensor = tensor; self.sqnrDb = sqnrDb; self.nmse = nmse
        self.cosine = cosine; self.maxAbsErr = maxAbsErr
    }
}
