// The operations the kernels implement, one vocabulary for the registry, the plan, profiles and reports.

/// A kernel operation. Raw values are the names the C registry, profiles and reports use.
public enum KernelOp: String, CaseIterable, Codable, Sendable, Comparable, CustomStringConvertible {
    /// Matrix-vector product: one token (decode).
    case gemv
    /// Matrix-matrix product: a batch of tokens (prefill).
    case gemm
    /// Converting one f32 activation row into the activation format (the `quantize_row` entries).
    case quantizeRow = "quantize_row"

    public var description: String { rawValue }

    /// The matrix products a run benchmarks (profile `ops`).
    public static let matrix: [KernelOp] = [.gemv, .gemm]

    public static func < (a: KernelOp, b: KernelOp) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
