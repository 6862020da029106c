// Cache state of a measurement.

/// Whether the operands were in cache when a sample was taken.
///
/// - `warm`: the same buffers are reused on every iteration after warm-up, so whatever fits in cache stays there.
/// - `cold`: every iteration uses a different copy of the weights from a pool larger than the last-level cache
///   (`KernelBench` in QBenchRun allocates and rotates them), so each copy has been evicted by the time it comes
///   round.
public enum CacheState: String, Codable, Sendable, CaseIterable {
    case cold, warm
}
