// The reference quantizers on one large weight matrix, 4096 x 14336 f32 (a Llama-3-8B ffn_down, 235 MB), on
// one thread: the scalar truth every kernel is checked against, so its speed bounds how fast `qbench accuracy`
// and `--write` can go. Throughput is input bytes (f32) per second; the target is >= 1 GB/s per core.
import Benchmark
import Dispatch
import Foundation
import QBenchCore

let quantizeRows = 4096
let quantizeK = 14336
let quantizeInputBytes = quantizeRows * quantizeK * MemoryLayout<Float>.size

/// Input bytes per second of each timed call (the .throughput metric counts calls per second, which for a
/// call of a quarter of a second or more has no resolution).
let inputBytesPerSecond = BenchmarkMetric.custom("input bytes/s", polarity: .prefersLarger, useScalingFactor: false)

/// N(0, 0.02²) weights, deterministic (SplitMix64 + Box-Muller), like a trained matrix's bulk.
func gaussianMatrix(count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(rng.normal() * 0.02) }
}

func quantizeBenchmarks() {
    for format in [WeightFormat.q4_0, .q8_0] {
        Benchmark(
            "quantize-ref \(format.rawValue) 4096x14336 f32 1 thread",
            configuration: .init(
                metrics: [.wallClock, .throughput, inputBytesPerSecond],
                timeUnits: .milliseconds, warmupIterations: 1,
                maxDuration: .seconds(30), maxIterations: 8)
        ) { benchmark, matrix in
            for _ in benchmark.scaledIterations {
                let start = DispatchTime.now().uptimeNanoseconds
                let q = try? format.quantize(matrix, rows: quantizeRows, k: quantizeK, threads: 1)
                let ns = DispatchTime.now().uptimeNanoseconds - start
                blackHole(q)
                benchmark.measurement(inputBytesPerSecond, Int(Double(quantizeInputBytes) / (Double(max(ns, 1)) / 1e9)))
            }
        } setup: {
            gaussianMatrix(count: quantizeRows * quantizeK, seed: 42)
        }
    }
}
