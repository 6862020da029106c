// Kernel verification rows: does each variant run on this device, and does it agree with the scalar reference.
import QBenchKernels
import QBenchFormats

public struct KernelRow: Codable, Sendable, Equatable {
    /// dot, gemv, gemm, quantize_row.
    public var op: KernelOp
    public var weightFormat: String
    /// Activation format and handling, e.g. "q8_0/dynamic", "f32".
    public var activationFormat: String
    /// scalar, avx2, avx512_vnni, neon_dotprod, ...
    public var variant: String
    public var status: KernelStatus
    /// For `unsupported`: the CPU features the device lacks.
    public var missingFeatures: [String]?
    /// For `crashed`: the signal name.
    public var signal: String?
    /// Present when the variant ran against the reference.
    public var verification: Verification?
    /// Anything else a reader needs (timeout length, build reason).
    public var detail: String?

    public init(
        op: KernelOp, weightFormat: String, activationFormat: String, variant: String, status: KernelStatus,
        missingFeatures: [String]? = nil, signal: String? = nil, verification: Verification? = nil,
        detail: String? = nil
    ) {
        self.op = op; self.weightFormat = weightFormat; self.activationFormat = activationFormat; self.variant = variant
        self.status = status; self.missingFeatures = missingFeatures; self.signal = signal
        self.verification = verification; self.detail = detail
    }
}
