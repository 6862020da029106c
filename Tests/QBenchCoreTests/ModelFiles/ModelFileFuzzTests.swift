// The always-on slice of the reader fuzzing: a few thousand seeded mutations in a debug build. Set
// QBENCH_FUZZ_ITERATIONS (and QBENCH_FUZZ_SEED) for longer runs; scripts/test.d/fuzz-readers.sh runs
// 100,000+ in a release build.
import Foundation
import XCTest
@testable import QBenchFuzzing

final class ModelFileFuzzTests: XCTestCase {
    func testReaders_surviveSeededMutationsWithOneLineErrors() throws {
        let env = ProcessInfo.processInfo.environment
        let iterations = env["QBENCH_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 5_000
        let seed = env["QBENCH_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_0001
        let fuzzer = try ModelFileFuzzer()
        for s in fuzzer.ggufSeeds {
            XCTAssertEqual(ModelFileFuzzer.check(s, format: .gguf), .accepted, "seeds must parse")
        }
        for s in fuzzer.safetensorsSeeds {
            XCTAssertEqual(ModelFileFuzzer.check(s, format: .safetensors), .accepted, "seeds must parse")
        }
        let report = fuzzer.run(iterations: iterations, seed: seed)
        XCTAssertEqual(report.iterations, iterations)
        XCTAssertTrue(report.failures.isEmpty, report.failures.map(\.description).joined(separator: "; "))
        // Both outcomes must occur, or the mutations are too weak (all rejected) or not mutating (all accepted).
        XCTAssertGreaterThan(report.accepted, iterations / 100, "too few mutated inputs still parse")
        XCTAssertGreaterThan(report.rejected, iterations / 2, "too few mutated inputs are refused")
        // A hang would show as one slow input; parsing is linear in the input, a few KB here.
        XCTAssertLessThan(report.slowestSeconds, 2.0, "an input took \(report.slowestSeconds) s")
        print(
            "fuzz: \(report.iterations) inputs, \(report.accepted) accepted, \(report.rejected) rejected, "
                + "slowest \(String(format: "%.2f", report.slowestSeconds * 1000)) ms, total "
                + "\(String(format: "%.2f", report.elapsedSeconds)) s")
    }
}
