// The device's own roofline: peak arithmetic per instruction family and read bandwidth per working-set size,
// measured with the C limit kernels (include/qbench_limits.h) on T threads at once.
import CQBench
import Foundation
import QBenchSupport
import QBenchDevice

/// A peak-throughput loop built into this binary.
public struct PeakKernel: Codable, Sendable, Equatable {
    /// `fp32_fma`, `int8_dot`, `bf16_dot` or `fp16_fma`.
    public var kind: String
    /// The kernel variant whose ceiling this is (`avx512_vnni`, `amx`, `neon_dotprod`, ...).
    public var variant: String
    public var requires: [String]
    public var instruction: String
    public var opsPerIteration: Double
    let index: Int

    public func missing(from features: Set<CPUFeature>) -> [String] { LimitKernels.missing(requires, from: features) }
}

/// A read-bandwidth loop built into this binary.
public struct ReadKernel: Codable, Sendable, Equatable {
    public var variant: String
    public var requires: [String]
    public var instruction: String
    let index: Int

    public func missing(from features: Set<CPUFeature>) -> [String] { LimitKernels.missing(requires, from: features) }
}

/// One peak measurement: all threads together.
public struct PeakMeasurement: Codable, Sendable, Equatable {
    public var kind: String
    public var variant: String
    public var threads: Int
    public var iterations: UInt64
    public var elapsedNs: UInt64
    public var gopPerS: Double
}

/// One bandwidth measurement: every thread reads its own buffer of `bytesPerThread`.
public struct BandwidthMeasurement: Codable, Sendable, Equatable {
    public var variant: String
    public var threads: Int
    public var bytesPerThread: Int
    public var passes: Int
    public var elapsedNs: UInt64
    public var gbPerS: Double
}

public enum LimitKernels {
    /// Architectural baselines (SSE2 on x86-64, Advanced SIMD on AArch64) are never missing, whether or not a
    /// probe lists them; other names must be usable features.
    static func missing(_ requires: [String], from features: Set<CPUFeature>) -> [String] {
        requires.filter { n in
            if n == "sse2" || n == "asimd" || n.isEmpty { return false }
            return CPUFeature(rawValue: n).map { !features.contains($0) } ?? true
        }
    }

    private static func split(_ s: UnsafePointer<CChar>) -> [String] {
        String(cString: s).split(separator: ",").map(String.init)
    }

    public static let peaks: [PeakKernel] = {
        var n: Int32 = 0
        guard let t = qb_peak_kernels(&n) else { return [] }
        return (0..<Int(n)).map { i in
            PeakKernel(
                kind: String(cString: t[i].kind), variant: String(cString: t[i].variant),
                requires: split(t[i].requires), instruction: String(cString: t[i].instruction),
                opsPerIteration: t[i].ops_per_iter, index: i)
        }
    }()

    public static let reads: [ReadKernel] = {
        var n: Int32 = 0
        guard let t = qb_read_kernels(&n) else { return [] }
        return (0..<Int(n)).map { i in
            ReadKernel(
                variant: String(cString: t[i].variant), requires: split(t[i].requires),
                instruction: String(cString: t[i].instruction), index: i)
        }
    }()

    /// Peak loops the device can run.
    public static func runnablePeaks(features: Set<CPUFeature>) -> [PeakKernel] {
        peaks.filter { $0.missing(from: features).isEmpty }
    }

    /// The widest read loop the device can run (the list is ordered widest last).
    public static func bestRead(features: Set<CPUFeature>) -> ReadKernel? {
        reads.last { $0.missing(from: features).isEmpty }
    }

    /// Runs a peak loop on every thread of the pool at once for `iterations` each.
    /// The caller checks features first: this executes the instructions.
    public static func measurePeak(_ k: PeakKernel, pool: KernelThreadPool, iterations: UInt64) -> PeakMeasurement {
        var n: Int32 = 0
        let fn = qb_peak_kernels(&n)![k.index].run!
        let t0 = qb_hw_now_ns()
        pool.onEveryThread { w in fn(iterations, UInt32(w + 1)) }
        let dt = max(1, qb_hw_now_ns() - t0)
        let ops = k.opsPerIteration * Double(iterations) * Double(pool.threadCount)
        return PeakMeasurement(
            kind: k.kind, variant: k.variant, threads: pool.threadCount, iterations: iterations,
            elapsedNs: dt, gopPerS: ops / Double(dt))
    }

    /// Per-thread buffers for a bandwidth sweep, filled with a known pattern (first touch by each owner).
    public final class ReadBuffers: @unchecked Sendable {
        public let bytesPerThread: Int
        let buffers: [AlignedBuffer]
        /// - Throws: `QBError.other` for sizes below 256 bytes or failed allocations.
        public init(bytesPerThread: Int, threads: Int) throws {
            guard bytesPerThread >= 256 else {
                throw QBError.other("read working set \(bytesPerThread) bytes is below 256")
            }
            let b = bytesPerThread / 256 * 256
            self.bytesPerThread = b
            buffers = try (0..<max(1, threads)).map { _ in try AlignedBuffer(count: b) }
            for buf in buffers {
                let p = buf.pointer.assumingMemoryBound(to: UInt64.self)
                for i in 0..<(b / 8) { p[i] = UInt64(i) &* 0x9E3779B97F4A7C15 }
            }
        }
        /// What a read kernel must return for `passes` passes over one buffer.
        public var expectedChecksumPerPass: UInt64 {
            var s: UInt64 = 0
            for i in 0..<(bytesPerThread / 8) { s &+= UInt64(i) &* 0x9E3779B97F4A7C15 }
            return s
        }
    }

    /// Reads memory that already exists once, all threads at once: worker w reads each of `slices[w]` (e.g. its
    /// rows of every weight copy a cold benchmark cycles through). Starts must be 64-byte aligned and lengths
    /// multiples of 256 (the read loops' unit).
    public static func measureRead(
        _ k: ReadKernel, slices: [[(base: UnsafeRawPointer, bytes: Int)]],
        pool: KernelThreadPool
    ) -> BandwidthMeasurement {
        var n: Int32 = 0
        let fn = qb_read_kernels(&n)![k.index].run!
        let t0 = qb_hw_now_ns()
        pool.onEveryThread { w in
            guard w < slices.count else { return }
            for s in slices[w] where s.bytes >= 256 { _ = fn(s.base, s.bytes / 256 * 256, 1) }
        }
        let dt = max(1, qb_hw_now_ns() - t0)
        let perThread = slices.map { $0.reduce(0) { $0 + ($1.bytes >= 256 ? $1.bytes / 256 * 256 : 0) } }
        let total = Double(perThread.reduce(0, +))
        return BandwidthMeasurement(
            variant: k.variant, threads: pool.threadCount, bytesPerThread: perThread.max() ?? 0,
            passes: 1, elapsedNs: dt, gbPerS: total / Double(dt))
    }

    /// Reads each thread's buffer `passes` times on all threads at once. Returns the measurement and the
    /// checksums each thread computed (tests check them against `expectedChecksumPerPass`).
    public static func measureRead(
        _ k: ReadKernel, buffers: ReadBuffers, pool: KernelThreadPool,
        passes: Int
    ) -> (BandwidthMeasurement, [UInt64]) {
        var n: Int32 = 0
        let fn = qb_read_kernels(&n)![k.index].run!
        let threads = min(pool.threadCount, buffers.buffers.count)
        let sums = UnsafeMutablePointer<UInt64>.allocate(capacity: pool.threadCount)
        defer { sums.deallocate() }
        let t0 = qb_hw_now_ns()
        pool.onEveryThread { w in
            sums[w] = w < threads ? fn(buffers.buffers[w].pointer, buffers.bytesPerThread, max(1, passes)) : 0
        }
        let dt = max(1, qb_hw_now_ns() - t0)
        let bytes = Double(buffers.bytesPerThread) * Double(max(1, passes)) * Double(threads)
        let m = BandwidthMeasurement(
            variant: k.variant, threads: threads, bytesPerThread: buffers.bytesPerThread,
            passes: max(1, passes), elapsedNs: dt, gbPerS: bytes / Double(dt))
        return (m, (0..<threads).map { sums[$0] })
    }
}
