// The speed shape, M=4096 K=14336 (a Llama-3-8B ffn_down), on 2 threads: gemv per format with its best
// verified variant, weights rotated cold exactly as `qbench run` does, next to the device's DRAM read ceiling
// measured in the same run; and gemm N=512 next to the peak loops of the same run (int8 dot for q8_0 / i8_pc,
// bf16 dot for bf16, fp32 FMA for f16). Every call quantizes its activations with the best verified quantizer, as
// `qbench run` times it. Metrics: weight GB/s (gemv) and GOP/s (gemm, peaks).
import Benchmark
import Foundation
import QBenchCore

let weightGBPerSecond = BenchmarkMetric.custom("GB/s x1000", polarity: .prefersLarger, useScalingFactor: false)
let gopPerSecond = BenchmarkMetric.custom("GOP/s", polarity: .prefersLarger, useScalingFactor: false)

/// The verified, most preferred variant of (op, format) on this machine, or nil.
func bestVariant(op: KernelOp, format: WeightFormat, device: DeviceProfile) -> KernelVariant? {
    let features = Set(device.cpu.features)
    let plan = KernelDispatch.plan(device: device)
    for row in plan.rows where row.op == op && row.weightFormat == format {
        for name in [row.chosen].compactMap({ $0 }) + row.fallbacks {
            guard
                let v = KernelRegistry.builtIn.variants.first(where: { $0.triple == row.triple && $0.variant == name })
            else { continue }
            if KernelVerifier.verify(v, features: features).status == .verified { return v }
        }
    }
    return nil
}

/// The activation quantizer `qbench run` would time with a variant: the most preferred verified `quantize_row` of its
/// activation format (nil for f32 activations).
func bestQuantizer(for v: KernelVariant, device: DeviceProfile) -> KernelVariant? {
    guard v.activationFormat != .f32 else { return nil }
    let features = Set(device.cpu.features)
    let pref = KernelDispatch.preference(
        family: FormatFamily(v.activationFormat), arch: device.cpu.arch, sveVectorBits: device.cpu.sveVectorBits)
    return KernelRegistry.builtIn.variants
        .filter { $0.op == .quantizeRow && $0.activationFormat == v.activationFormat }
        .sorted { (pref.firstIndex(of: $0.variant) ?? Int.max) < (pref.firstIndex(of: $1.variant) ?? Int.max) }
        .first { KernelVerifier.verify($0, features: features).status == .verified }
}

func matrixKernelBenchmarks() {
    guard let device = try? DeviceProbe.probe() else { return }
    let threads = 2
    let pool = KernelThreadPool(threads: threads)
    let cold = RooflineMeasurer.coldBytes(topology: device.topology)

    Benchmark(
        "read dram t\(threads) (ceiling)",
        configuration: .init(
            metrics: [.wallClock, weightGBPerSecond], timeUnits: .milliseconds,
            warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 10)
    ) { benchmark in
        guard let read = LimitKernels.bestRead(features: Set(device.cpu.features)),
            let set = RooflineMeasurer.workingSets(topology: device.topology, threads: threads).last,
            let buffers = try? LimitKernels.ReadBuffers(bytesPerThread: set.bytesPerThread, threads: threads)
        else { return }
        for _ in benchmark.scaledIterations {
            let m = LimitKernels.measureRead(read, buffers: buffers, pool: pool, passes: 1).0
            benchmark.measurement(weightGBPerSecond, Int(m.gbPerS * 1000))
        }
    }

    // Peak loops: the ceilings the gemm targets are stated against, measured by the same run.
    let features = Set(device.cpu.features)
    // Every runnable loop of those kinds (a few each, tens of milliseconds per measurement): the ceiling of a
    // kind is the fastest of them, as the run's roofline takes it.
    for k in LimitKernels.runnablePeaks(features: features) where ["int8_dot", "bf16_dot", "fp32_fma"].contains(k.kind)
    {
        let kind = k.kind
        Benchmark(
            "peak \(kind) \(k.variant) t\(threads) (ceiling)",
            configuration: .init(
                metrics: [.wallClock, gopPerSecond], timeUnits: .milliseconds,
                warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 10)
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                benchmark.measurement(
                    gopPerSecond, Int(LimitKernels.measurePeak(k, pool: pool, iterations: 20_000_000).gopPerS))
            }
        }
    }

    for format: WeightFormat in [.q8_0, .q4_0, .i8_pc, .f16, .bf16] {
        guard let v = bestVariant(op: .gemv, format: format, device: device) else { continue }
        Benchmark(
            "gemv \(format) 4096x14336 \(v.variant) t\(threads) cold",
            configuration: .init(
                metrics: [.wallClock, weightGBPerSecond], timeUnits: .milliseconds,
                warmupIterations: 3, maxDuration: .seconds(10), maxIterations: 200)
        ) { (benchmark: Benchmark, bench: KernelBench) in
            for _ in benchmark.scaledIterations {
                let t0 = DispatchTime.now().uptimeNanoseconds
                bench.call(pool: pool)
                let ns = max(1, DispatchTime.now().uptimeNanoseconds - t0)
                benchmark.measurement(weightGBPerSecond, Int(Double(bench.kernel.weightBytes) / Double(ns) * 1000))
            }
        } setup: {
            let ops = try KernelOperands(
                weightFormat: format, activationFormat: v.activationFormat, outputs: 4096, k: 14336, tokens: 1, seed: 3)
            return try KernelBench(
                kernel: PreparedKernel(variant: v, operands: ops), coldBytes: cold,
                quantizer: bestQuantizer(for: v, device: device))
        }
    }

    for format: WeightFormat in [.q8_0, .i8_pc, .bf16, .f16] {
        guard let v = bestVariant(op: .gemm, format: format, device: device) else { continue }
        Benchmark(
            "gemm \(format) 4096x14336 N=512 \(v.variant) t\(threads)",
            configuration: .init(
                metrics: [.wallClock, gopPerSecond], timeUnits: .milliseconds,
                warmupIterations: 1, maxDuration: .seconds(15), maxIterations: 10)
        ) { (benchmark: Benchmark, bench: KernelBench) in
            for _ in benchmark.scaledIterations {
                let t0 = DispatchTime.now().uptimeNanoseconds
                bench.call(pool: pool)
                let ns = max(1, DispatchTime.now().uptimeNanoseconds - t0)
                benchmark.measurement(gopPerSecond, Int(bench.opsPerCall / Double(ns)))
            }
        } setup: {
            let ops = try KernelOperands(
                weightFormat: format, activationFormat: v.activationFormat, outputs: 4096, k: 14336, tokens: 512,
                seed: 5)
            return try KernelBench(
                kernel: PreparedKernel(variant: v, operands: ops), coldBytes: nil,
                quantizer: bestQuantizer(for: v, device: device))
        }
    }
}
