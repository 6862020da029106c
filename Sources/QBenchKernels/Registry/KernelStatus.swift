// How a kernel variant fared in verification; the report carries these spellings unchanged.

/// The outcome of verifying one kernel variant.
public enum KernelStatus: String, Codable, Sendable, CaseIterable {
    /// Ran and matched the scalar reference (bit-exact for integer paths, NMSE within limit for float paths).
    case verified
    /// Ran and disagreed with the reference.
    case mismatch
    /// The device lacks a required feature (`missing_features` says which).
    case unsupported
    /// The variant crashed (`signal` says which, e.g. SIGILL).
    case crashed
    /// Did not finish in time.
    case timeout
    /// Not compiled into this binary (toolchain or architecture).
    case notBuilt = "not_built"
    /// Ran but was not checked (e.g. the run was interrupted first).
    case unverified
}

/// How a variant was compared with the reference, and the figures.
public struct Verification: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable {
        /// Integer paths: outputs must be identical.
        case bitExact = "bit_exact"
        /// Float paths: normalised mean squared error against the reference.
        case nmse
    }
    public var method: Method
    /// The variant compared against (`scalar`).
    public var reference: String
    public var elements: Int
    /// Elements that differ (bit-exact) or exceed the tolerance.
    public var mismatches: Int
    /// For `nmse`: the figure and its limit.
    public var nmse: Double?
    public var tolerance: Double?
    public var maxAbsErr: Double?
    /// For `nmse`: the worst |y - ref| / sum_k |w*x| over the outputs, and its per-output limit.
    public var worstOutputError: Double?
    public var outputTolerance: Double?

    public init(
        method: Method, reference: String = "scalar", elements: Int, mismatches: Int, nmse: Double? = nil,
        tolerance: Double? = nil, maxAbsErr: Double? = nil, worstOutputError: Double? = nil,
        outputTolerance: Double? = nil
    ) {
        self.method = method; self.reference = reference; self.elements = elements; self.mismatches = mismatches
        self.nmse = nmse; self.tolerance = tolerance; self.maxAbsErr = maxAbsErr
        self.worstOutputError = worstOutputError; self.outputTolerance = outputTolerance
    }
}
