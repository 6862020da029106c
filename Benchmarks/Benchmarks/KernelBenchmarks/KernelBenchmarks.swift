// Benchmarks of the suite's hot paths, run with `cd Benchmarks && swift package benchmark`. Each family lives in
// its own file; this list is the only place that names them all.
import Benchmark

let benchmarks: @Sendable () -> Void = {
    quantizeBenchmarks()
    ggufOpenBenchmarks()
    reportBenchmarks()
    matrixKernelBenchmarks()
}
