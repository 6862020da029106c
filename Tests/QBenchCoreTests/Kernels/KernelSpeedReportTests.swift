// The measurement driver for the kernel speed targets (docs/kernels.md): M=4096 K=14336 on T threads (default 2),
// gemv against read bandwidth (same working set, and a 1 GiB "DRAM" set), gemm N=512 against the instruction
// peaks. Every kernel and its yardstick are run alternately and the best of each is kept, which is what a
// shared, noisy machine allows; the harness does the real runs. Opt-in: it takes minutes.
import CQBench
import Foundation
import XCTest
@testable import QBenchKernels

final class KernelSpeedReportTests: XCTestCase {
    private struct Row: Codable {
        var key: String
        var weightBytes: Int
        var bestMs: Double
        var gbPerS: Double?
        var readSameSizeGbPerS: Double?
        var readDramGbPerS: Double?
        var gopPerS: Double
        var peak: String?
        var peakGopPerS: Double?
        var ratio: Double
        var ratioVsDram: Double?
    }

    private func time(_ body: () -> Void) -> Double {
        let t0 = qb_hw_now_ns()
        body()
        return Double(qb_hw_now_ns() - t0) / 1e9
    }

    func testSpeedReport_targetShapesAgainstTheDevicesRoofline() throws {
        let env = ProcessInfo.processInfo.environment
        try XCTSkipUnless(
            env["QBENCH_KERNEL_SPEED"] == "1", "measurement driver, minutes long: set QBENCH_KERNEL_SPEED=1")
        let T = Int(env["QBENCH_KERNEL_THREADS"] ?? "") ?? 2
        let reps = Int(env["QBENCH_KERNEL_REPS"] ?? "") ?? 7
        let M = 4096, K = 14336
        let f = KernelTestSupport.hostFeatures
        let reg = KernelRegistry.builtIn
        let pool = KernelThreadPool(threads: T)
        let read = try XCTUnwrap(LimitKernels.bestRead(features: f))
        let dram = try LimitKernels.ReadBuffers(bytesPerThread: (1 << 30) / T, threads: T)
        var rows: [Row] = []
        var out =
            "kernel speed report (M=\(M) K=\(K), \(T) threads, best of \(reps) alternating runs; shared noisy VM)\n"

        func variant(_ key: String) -> KernelVariant? {
            guard let v = reg.variant(key), v.missing(from: f).isEmpty else { return nil }
            let r = KernelVerifier.verify(v, features: f, registry: reg)
            XCTAssertEqual(r.status, .verified, "\(key) must verify before it is timed")
            return r.status == .verified ? v : nil
        }

        // gemv: weight streaming vs reading the same number of bytes, and vs a 1 GiB read.
        let gemv = [
            "gemv/q8_0/q8_0/avx512_vnni", "gemv/q4_0/q8_0/avx512_vnni", "gemv/i8_pc/i8_pt/avx512_vnni",
            "gemv/f16/f32/avx512", "gemv/f16/f32/avx512_fp16", "gemv/bf16/bf16/avx512_bf16", "gemv/bf16/bf16/avx512",
            "gemv/q4_1/q8_1/avx512_vnni", "gemv/i4_g32/i8_pt/avx512_vnni", "gemv/u4_g32/i8_pt/avx512_vnni",
            "gemv/q8_0/q8_0/avx2", "gemv/q4_0/q8_0/avx2",
        ]
        for key in gemv {
            guard let v = variant(key) else { continue }
            let ops = try KernelOperands(
                weightFormat: try XCTUnwrap(v.weightFormat), activationFormat: v.activationFormat, outputs: M, k: K,
                tokens: 1,
                seed: 11)
            let k = try PreparedKernel(variant: v, operands: ops)
            let same = try LimitKernels.ReadBuffers(bytesPerThread: max(256, k.weightBytes / T), threads: T)
            var bk = Double.infinity, bs = Double.infinity, bd = Double.infinity
            k.run(pool: pool)
            for _ in 0..<reps {
                bs = min(
                    bs, Double(LimitKernels.measureRead(read, buffers: same, pool: pool, passes: 1).0.elapsedNs) / 1e9)
                bk = min(bk, time { k.run(pool: pool) })
                bd = min(
                    bd, Double(LimitKernels.measureRead(read, buffers: dram, pool: pool, passes: 1).0.elapsedNs) / 1e9)
            }
            let gb = Double(k.weightBytes) / bk / 1e9
            let sameGB = Double(same.bytesPerThread * T) / bs / 1e9, dramGB = Double(dram.bytesPerThread * T) / bd / 1e9
            rows.append(
                Row(
                    key: key, weightBytes: k.weightBytes, bestMs: bk * 1e3, gbPerS: gb, readSameSizeGbPerS: sameGB,
                    readDramGbPerS: dramGB, gopPerS: 2.0 * Double(M * K) / bk / 1e9, peak: nil, peakGopPerS: nil,
                    ratio: gb / sameGB, ratioVsDram: gb / dramGB))
        }

        // gemm N=512 against the peak of the instruction family it uses.
        let gemm: [(String, KernelVariantName, String)] = [
            ("gemm/q8_0/q8_0/avx512_vnni", .avx512_vnni, "int8_dot"),
            ("gemm/i8_pc/i8_pt/avx512_vnni", .avx512_vnni, "int8_dot"),
            ("gemm/q4_0/q8_0/avx512_vnni", .avx512_vnni, "int8_dot"),
            ("gemm/bf16/bf16/avx512_bf16", .avx512_bf16, "bf16_dot"), ("gemm/bf16/bf16/avx512", .avx512, "fp32_fma"),
            ("gemm/f16/f32/avx512", .avx512, "fp32_fma"), ("gemm/f16/f32/avx512_fp16", .avx512, "fp32_fma"),
            ("gemm/f32/f32/avx512", .avx512, "fp32_fma"),
        ]
        for (key, pv, pkind) in gemm {
            guard let v = variant(key),
                let pk = LimitKernels.peaks.first(where: { $0.variant == pv.rawValue && $0.kind == pkind }),
                pk.missing(from: f).isEmpty
            else { continue }
            let N = 512
            let ops = try KernelOperands(
                weightFormat: try XCTUnwrap(v.weightFormat), activationFormat: v.activationFormat, outputs: M, k: K,
                tokens: N,
                seed: 12)
            let k = try PreparedKernel(variant: v, operands: ops)
            // size the peak loop to ~100 ms
            let cal = LimitKernels.measurePeak(pk, pool: pool, iterations: 20_000)
            let iters = max(20_000, UInt64(0.1 / (Double(cal.elapsedNs) / 1e9) * 20_000))
            var bk = Double.infinity, bestPeak = 0.0
            k.run(pool: pool)
            for _ in 0..<reps {
                bestPeak = max(bestPeak, LimitKernels.measurePeak(pk, pool: pool, iterations: iters).gopPerS)
                bk = min(bk, time { k.run(pool: pool) })
            }
            let gop = 2.0 * Double(M) * Double(K) * Double(N) / bk / 1e9
            rows.append(
                Row(
                    key: key, weightBytes: k.weightBytes, bestMs: bk * 1e3, gbPerS: nil, readSameSizeGbPerS: nil,
                    readDramGbPerS: nil, gopPerS: gop, peak: "\(pkind)/\(pv)", peakGopPerS: bestPeak,
                    ratio: gop / bestPeak, ratioVsDram: nil))
        }

        for r in rows {
            if let gb = r.gbPerS {
                out += String(
                    format:
                        "%-32@ %8.2f ms %7.1f GB/s | read same size %6.1f GB/s (%.2f) | read 1 GiB %6.1f GB/s (%.2f)\n",
                    r.key as NSString, r.bestMs, gb, r.readSameSizeGbPerS!, r.ratio, r.readDramGbPerS!, r.ratioVsDram!)
            } else {
                out += String(
                    format: "%-32@ %8.2f ms %8.1f GOP/s | peak %@ %8.1f GOP/s (%.2f)\n",
                    r.key as NSString, r.bestMs, r.gopPerS, r.peak! as NSString, r.peakGopPerS!, r.ratio)
            }
            XCTAssertGreaterThan(r.gopPerS, 0)
        }
        print(out)
        if let path = env["QBENCH_KERNEL_SPEED_OUT"], !path.isEmpty {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.keyEncodingStrategy = .convertToSnakeCase
            try enc.encode(rows).write(to: URL(fileURLWithPath: path))
        }
    }
}
