import XCTest
@testable import QBenchKernels

final class LimitKernelTests: XCTestCase {
    private let features = KernelTestSupport.hostFeatures

    func testReadKernels_readEveryByteOfTheWorkingSet() throws {
        let pool = KernelThreadPool(threads: 2)
        let bufs = try LimitKernels.ReadBuffers(bytesPerThread: 64 << 10, threads: 2)
        let reads = LimitKernels.reads.filter { $0.missing(from: features).isEmpty }
        XCTAssertFalse(reads.isEmpty)
        for k in reads {
            let (m, sums) = LimitKernels.measureRead(k, buffers: bufs, pool: pool, passes: 3)
            XCTAssertEqual(sums, [bufs.expectedChecksumPerPass &* 3, bufs.expectedChecksumPerPass &* 3], k.variant)
            XCTAssertGreaterThan(m.gbPerS, 0, k.variant)
        }
    }

    func testPeakKernels_runOnEveryThreadAndReportThroughput() {
        let pool = KernelThreadPool(threads: 2)
        let peaks = LimitKernels.runnablePeaks(features: features)
        #if arch(x86_64)
        XCTAssertTrue(peaks.contains { $0.kind == "fp32_fma" }, "at least the SSE2 loop runs on any x86_64")
        #endif
        for k in peaks {
            let m = LimitKernels.measurePeak(k, pool: pool, iterations: 20_000)
            XCTAssertEqual(m.threads, 2)
            // A positive, finite rate: the loop ran and was timed. How fast is for the benchmarks to say.
            XCTAssertTrue(m.gopPerS.isFinite && m.gopPerS > 0, "\(k.kind) \(k.variant): \(m.gopPerS)")
        }
    }

    func testPeakKernelsMissingFeatures_areNotOffered() {
        let baseline = LimitKernels.runnablePeaks(features: [])
        XCTAssertTrue(baseline.allSatisfy { $0.requires.allSatisfy { $0 == "sse2" || $0 == "asimd" } })
        #if arch(x86_64)
        XCTAssertEqual(baseline.map(\.variant), ["sse2"], "only the SSE2 loop needs nothing beyond x86-64")
        XCTAssertEqual(LimitKernels.bestRead(features: [])?.variant, "sse2")
        #endif
    }

    func testReadBuffers_rejectTinyWorkingSets() {
        XCTAssertThrowsError(try LimitKernels.ReadBuffers(bytesPerThread: 100, threads: 1))
    }
}
