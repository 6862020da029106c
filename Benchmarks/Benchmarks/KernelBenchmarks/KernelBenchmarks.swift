// Benchmarks of the suite's hot paths. Figures here are medians from package-benchmark; thresholds live in the harness.
import Benchmark
import QBenchCore

let benchmarks: @Sendable () -> Void = {
    Benchmark("json-encode-memory-info") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? QBJSON.encode(MemoryInfo(totalBytes: 1, transparentHugepages: nil)))
        }
    }
}
