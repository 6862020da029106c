// The suite's seeded generator for data (synthetic tensors, fuzz mutations, test rows): SplitMix64, small and
// identical on every platform, so a failing input can be replayed from its seed. Kernel operands use KernelRNG.
import Foundation

public struct SplitMix64: Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1): never 0, so `log` of it is finite.
    public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

    /// Standard normal by Box-Muller (radius from the first uniform, angle from the second).
    public mutating func normal() -> Double {
        let radius = (-2 * log(uniform())).squareRoot()
        return radius * cos(2 * Double.pi * uniform())
    }

    /// Uniform in 0 ..< n (0 when n <= 1).
    public mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    /// True with probability `percent` / 100.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}
