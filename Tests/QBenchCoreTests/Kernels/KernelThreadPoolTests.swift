import Foundation
import XCTest
@testable import QBenchFormats
@testable import QBenchKernels

final class KernelThreadPoolTests: XCTestCase {
    func testRowRanges_coverEveryRowOnceOnTileBoundaries() {
        for (rows, threads, align) in [(100, 3, 16), (4096, 2, 32), (5, 4, 16), (0, 2, 16), (37, 1, 1), (64, 8, 16)] {
            let r = kernelRowRanges(rows: rows, threads: threads, align: align)
            XCTAssertEqual(r.count, threads)
            XCTAssertEqual(r.map(\.count).reduce(0, +), rows, "\(rows) rows over \(threads)")
            for (a, b) in zip(r, r.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            for x in r where !x.isEmpty && x.lowerBound < rows { XCTAssertEqual(x.lowerBound % align, 0) }
        }
        XCTAssertEqual(kernelRowRanges(rows: 100, threads: 3, align: 16), [0..<48, 48..<96, 96..<100])
    }

    func testParallelRows_runsEachRangeOnItsOwnWorker() {
        let pool = KernelThreadPool(threads: 3)
        let lock = NSLock()
        var seen: [Int] = []
        var threads = Set<String>()
        for _ in 0..<20 {
            pool.parallelRows(50, align: 8) { m0, m1 in
                lock.lock(); seen.append(contentsOf: m0..<m1); threads.insert("\(pthread_self())"); lock.unlock()
            }
        }
        XCTAssertEqual(seen.sorted(), (0..<50).flatMap { Array(repeating: $0, count: 20) })
        XCTAssertEqual(threads.count, 3, "the caller plus two workers")
    }

    /// The spin-then-sleep hand-off: every worker runs every job exactly once and the caller returns only after
    /// all of them, whether workers are caught spinning (back-to-back jobs), asleep (a pause longer than the
    /// spin, or no spin at all), or woken mid-way (pauses around the spin time).
    func testHandOff_everyWorkerRunsEveryJobOnceWhetherSpinningOrAsleep() {
        for spin in [0, 50, 2_000] {
            let pool = KernelThreadPool(threads: 4, spinMicros: spin)
            let lock = NSLock()
            var counts = [Int](repeating: 0, count: 4)
            for job in 0..<300 {
                pool.onEveryThread { w in
                    if w == job % 4 { usleep(20) }  // one slow worker per job: the others finish first
                    lock.lock(); counts[w] += 1; lock.unlock()
                }
                lock.lock()
                XCTAssertEqual(counts, [Int](repeating: job + 1, count: 4), "spin \(spin) us, job \(job)")
                lock.unlock()
                if job % 50 == 49 { usleep(UInt32(job % 100 == 49 ? 5_000 : 60)) }
            }
        }
    }

    func testPooledKernel_equalsSingleThreadedBitForBit() throws {
        let reg = KernelRegistry.builtIn
        let f = KernelTestSupport.hostFeatures
        let v = reg.variants.last { $0.op == .gemm && $0.weightFormat == .q4_0 && $0.missing(from: f).isEmpty }!
        let ops = try KernelOperands(
            weightFormat: .q4_0, activationFormat: .q8_0, outputs: 200, k: 256, tokens: 5, seed: 3)
        let one = try PreparedKernel(variant: v, operands: ops)
        one.run(rows: 0..<200)
        let many = try PreparedKernel(variant: v, operands: ops)
        many.run(pool: KernelThreadPool(threads: 3))
        XCTAssertEqual(one.y.map(\.bitPattern), many.y.map(\.bitPattern), v.key)
    }
}
