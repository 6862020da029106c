// The speed shape, M=4096 K=14336 (a Llama-3-8B ffn_down), on 2 threads: gemv per format with its best
// verified variant, weights rotated cold exactly as `qbench run` does, next to the device's DRAM read ceiling
// measured in the same run; and gemm N=512 for the int8 formats. Metrics: weight GB/s (gemv) and GOP/s (gemm).
import Benchmark
import Foundation
import QBenchCore

let weightGBPerSecond = BenchmarkMetric.custom("GB/s x1000", polarity: .prefersLarger, useScalingFactor: false)
let gopPerSecond = BenchmarkMetric.custom("GOP/s", polarity: .prefersLarger, useScalingFactor: false)

/// The verified, most preferred variant of (op, format) on this machine, or nil.
func bestVariant(op: String, format: String, device: DeviceProfile) -> KernelVariant? {
    let features = Set(device.cpu.features)
    let plan = KernelDispatch.plan(device: device)
    for row in plan.rows where row.op == op && row.weightFormat == format {
        for name in [row.chosen].compactMap({ $0 }) + row.fallbacks {
            guard let v = KernelRegistry.builtIn.variants.first(where: {
                $0.op == op && $0.weightFormat == format && $0.activationFormat == row.activationFormat && $0.variant == name
            }) else { continue }
            if KernelVerifier.verify(v, features: features).status == .verified { return v }
        }
    }
    return nil
}

func matrixKernelBenchmarks() {
    guard let device = try? DeviceProbe.probe().device else { return }
    let threads = 2
    let pool = KernelThreadPool(threads: threads)
    let cold = RooflineMeasurer.coldBytes(topology: device.topology)

    Benchmark("read dram t\(threads) (ceiling)",
              configuration: .init(metrics: [.wallClock, weightGBPerSecond], timeUnits: .milliseconds,
                                   warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 10)) { benchmark in
        guard let read = LimitKernels.bestRead(features: Set(device.cpu.features)),
              let set = RooflineMeasurer.workingSets(topology: device.topology, threads: threads).last,
              let buffers = try? LimitKernels.ReadBuffers(bytesPerThread: set.bytesPerThread, threads: threads) else { return }
        for _ in benchmark.scaledIterations {
            let m = LimitKernels.measureRead(read, buffers: buffers, pool: pool, passes: 1).0
            benchmark.measurement(weightGBPerSecond, Int(m.gbPerS * 1000))
        }
    }

    for format in ["q8_0", "q4_0", "i8_pc", "f16", "bf16"] {
        guard let v = bestVariant(op: "gemv", format: format, device: device) else { continue }
        Benchmark("gemv \(format) 4096x14336 \(v.variant) t\(threads) cold",
                  configuration: .init(metrics: [.wallClock, weightGBPerSecond], timeUnits: .milliseconds,
                                       warmupIterations: 3, maxDuration: .seconds(10), maxIterations: 200)) { (benchmark: Benchmark, bench: KernelBench) in
            for _ in benchmark.scaledIterations {
                let t0 = DispatchTime.now().uptimeNanoseconds
                bench.call(pool: pool)
                let ns = max(1, DispatchTime.now().uptimeNanoseconds - t0)
                benchmark.measurement(weightGBPerSecond, Int(Double(bench.kernel.weightBytes) / Double(ns) * 1000))
            }
        } setup: {
            let ops = try KernelOperands(weightFormat: format, activationFormat: v.activationFormat, M: 4096, K: 14336, N: 1, seed: 3)
            let q = KernelRegistry.builtIn.variants.first { $0.op == "quantize_row" && $0.weightFormat == v.activationFormat && $0.variant == "scalar" }
            return try KernelBench(kernel: PreparedKernel(variant: v, operands: ops), coldBytes: cold,
                                   quantizer: v.activationFormat == "f32" ? nil : q)
        }
    }

    for format in ["q8_0", "i8_pc", "bf16", "f16"] {
        guard let v = bestVariant(op: "gemm", format: format, device: device) else { continue }
        Benchmark("gemm \(format) 4096x14336 N=512 \(v.variant) t\(threads)",
                  configuration: .init(metrics: [.wallClock, gopPerSecond], timeUnits: .milliseconds,
                                       warmupIterations: 1, maxDuration: .seconds(15), maxIterations: 10)) { (benchmark: Benchmark, bench: KernelBench) in
            for _ in benchmark.scaledIterations {
                let t0 = DispatchTime.now().uptimeNanoseconds
                bench.call(pool: pool)
                let ns = max(1, DispatchTime.now().uptimeNanoseconds - t0)
                benchmark.measurement(gopPerSecond, Int(bench.opsPerCall / Double(ns)))
            }
        } setup: {
            let ops = try KernelOperands(weightFormat: format, activationFormat: v.activationFormat, M: 4096, K: 14336, N: 512, seed: 5)
            return try KernelBench(kernel: PreparedKernel(variant: v, operands: ops), coldBytes: nil, quantizer: nil)
        }
    }
}
