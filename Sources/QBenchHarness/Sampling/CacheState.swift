// Cache state of a measurement.

/// Whether the operands were in cache when a sample was taken.
///
/// - `warm`: the same buffers are reused on every iteration after warm-up, so whatever fits in cache stays there.
/// - `cold`: every iteration uses a different copy of the weights from a pool larger than the last-level cache
///   (`KernelBench` in QBenchRun allocates and rotates them), so each copy has been evicted by the time it comes
///   round.
public enum CacheState: String, Codable, Sendable, CaseIterable {
    case cold, warm

    /// Decodes `cold` or `warm`; anything else names itself and the choices (not Swift's internal wording).
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let s = CacheState(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "`\(text)` is not a cache state; expected cold or warm")
        }
        self = s
    }
}
