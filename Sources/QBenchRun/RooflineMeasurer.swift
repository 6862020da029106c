// The device's own ceilings, measured by the limit kernels: read bandwidth per cache level and DRAM, and peak
// operations per instruction family, for each thread count of the run. Each ceiling is the best of a few
// repetitions (a capability, not a typical value); benchmarks report medians against it.
import Foundation
import QBenchDevice
import QBenchFormats
import QBenchKernels
import QBenchHarness
import QBenchReport

public enum RooflineMeasurer {
    /// Per-thread working sets for the read sweep, from hwloc's cache sizes: half of each level's per-thread
    /// share (so it stays resident), and for DRAM four times the whole last-level cache (at least 256 MiB).
    /// - Parameter quick: caps the DRAM set at 256 MiB so a quick run takes seconds; on a machine with a larger
    ///   last-level cache that figure is then not DRAM, which is why quick reports are indicative only.
    public static func workingSets(
        topology: Topology, threads: Int, quick: Bool = false
    ) -> [(level: String, bytesPerThread: Int)] {
        func size(_ level: Int) -> CacheLevel? {
            topology.caches.filter { $0.level == level && $0.type != "instruction" }.max { $0.sizeBytes < $1.sizeBytes }
        }
        let t = max(1, threads)
        var out: [(String, Int)] = []
        if let l1 = size(1) { out.append(("l1", l1.sizeBytes / 2)) }
        if let l2 = size(2) { out.append(("l2", l2.sizeBytes / 2)) }
        let llcTotal: Int
        if let l3 = size(3) {
            // One instance is shared by `coresSharing` cores; threads on those cores split it.
            let share = l3.sizeBytes / max(1, min(t, l3.coresSharing))
            out.append(("l3", share / 2))
            llcTotal = l3.sizeBytes * max(1, l3.count)
        } else {
            llcTotal = (size(2)?.sizeBytes ?? 1 << 20) * max(1, topology.cores)
        }
        let dram = quick ? 256 << 20 : max(4 * llcTotal, 256 << 20)
        out.append(("dram", min(dram, 4 << 30) / t))
        return out.map { (level: $0.0, bytesPerThread: max(4096, $0.1)) }
    }

    /// Bytes of all copies of the weights a cold measurement must cycle through (2 x the last-level cache).
    /// Quick runs cap it at 64 MiB (indicative figures only).
    public static func coldBytes(topology: Topology, quick: Bool = false) -> Int {
        let llc = topology.caches.filter { $0.type != "instruction" }.max { $0.level < $1.level }
        let bytes = 2 * (llc.map { $0.sizeBytes * max(1, $0.count) } ?? (64 << 20))
        return quick ? min(bytes, 64 << 20) : bytes
    }

    /// Measures bandwidth and peaks for every pool (one per thread count).
    public static func measure(
        device: DeviceProfile, pools: [KernelThreadPool], quick: Bool,
        progress: ProgressReporter?, interrupt: InterruptFlag?
    ) -> RooflineSection {
        let features = Set(device.cpu.features)
        var bandwidth: [BandwidthPoint] = []
        var peaks: [PeakPoint] = []
        let peakKernels = LimitKernels.runnablePeaks(features: features)
        guard let read = LimitKernels.bestRead(features: features) else { return .empty }
        let sets = pools.map { workingSets(topology: device.topology, threads: $0.threadCount, quick: quick) }
        progress?.begin(phase: "roofline", total: zip(pools, sets).reduce(0) { $0 + $1.1.count + peakKernels.count })
        for (pool, levels) in zip(pools, sets) {
            for (level, bytes) in levels {
                if interrupt?.isRaised == true { break }
                progress?.step("read \(level) t\(pool.threadCount)")
                guard let buffers = try? LimitKernels.ReadBuffers(bytesPerThread: bytes, threads: pool.threadCount)
                else { continue }
                // Each repetition reads at least 64 MB (8 MB quick), so a timer tick is noise.
                let target = quick ? 8 << 20 : 64 << 20
                let passes = max(1, target / max(1, buffers.bytesPerThread * pool.threadCount))
                _ = LimitKernels.measureRead(read, buffers: buffers, pool: pool, passes: 1)  // warm-up / first touch
                let reps = quick ? 3 : 5
                let gbs = (0..<reps).map { _ in
                    LimitKernels.measureRead(read, buffers: buffers, pool: pool, passes: passes).0.gbPerS
                }
                bandwidth.append(
                    BandwidthPoint(
                        level: level, threads: pool.threadCount,
                        workingSetBytes: buffers.bytesPerThread * pool.threadCount,
                        gbPerS: gbs.max() ?? 0))
            }
            for k in peakKernels {
                if interrupt?.isRaised == true { break }
                progress?.step("peak \(k.kind) \(k.variant) t\(pool.threadCount)")
                // Calibrate to about 40 ms (8 ms quick) per repetition, then keep the best of a few: a ceiling is
                // what the device can do, and on a shared machine the slower repetitions measure the neighbours.
                let probe = LimitKernels.measurePeak(k, pool: pool, iterations: 20_000)
                let perIter = Double(probe.elapsedNs) / 20_000
                let iters = UInt64(max(1_000, (quick ? 8e6 : 40e6) / max(perIter, 0.01)))
                let reps = quick ? 3 : 5
                let g = (0..<reps).map { _ in LimitKernels.measurePeak(k, pool: pool, iterations: iters).gopPerS }
                peaks.append(
                    PeakPoint(
                        family: family(peakKind: k.kind), threads: pool.threadCount, variant: k.variant,
                        gopPerS: g.max() ?? 0))
            }
        }
        progress?.finish()
        return RooflineSection(bandwidth: bandwidth, peaks: peaks)
    }

    /// The format family a peak loop's instruction serves (report `roofline.peaks[].family`).
    public static func family(peakKind: String) -> String {
        switch peakKind {
        case "fp32_fma": return FormatFamily.f32.rawValue
        case "fp16_fma": return FormatFamily.fp16.rawValue
        case "bf16_dot": return FormatFamily.bf16.rawValue
        default: return FormatFamily.int8.rawValue
        }
    }

    /// The peak family that bounds a weight format's kernel variant: the instruction it really computes with
    /// (f16 weights are widened to f32 and FMA'd except by fp16-arithmetic variants; int4 uses int8 dot products).
    public static func family(weightFormat: WeightFormat?, variant: KernelVariantName) -> String {
        switch weightFormat {
        case .f32: return FormatFamily.f32.rawValue
        case .f16:
            return variant == .avx512_fp16 || variant == .neon_fp16
                ? FormatFamily.fp16.rawValue : FormatFamily.f32.rawValue
        case .bf16:
            return [.avx512_bf16, .neon_bf16, .amx].contains(variant)
                ? FormatFamily.bf16.rawValue : FormatFamily.f32.rawValue
        default: return FormatFamily.int8.rawValue
        }
    }
}
