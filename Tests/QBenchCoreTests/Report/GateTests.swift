import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchHarness
@testable import QBenchKernels
@testable import QBenchReport

/// Synthetic reports for the gate and compare logic: SampleReport with its samples replaced.
enum GateFixtures {
    static let policy = GatePolicy(
        maxThroughputRegression: 0.05, maxEnergyRegression: 0.10, maxSqnrDropDb: 0.5, significance: 0.01,
        source: "test")

    /// 20 samples within +-1 % of 100 us.
    static let tight: [UInt64] = (0..<20).map { 99_000 + UInt64($0) * 100 }
    /// 20 samples spread over 70-130 us (golden-ratio sequence, deterministic).
    static let noisy: [UInt64] = (0..<20).map { i in
        let f = (Double(i) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1)
        return UInt64(100_000 * (0.7 + 0.6 * f))
    }

    static func scaled(_ s: [UInt64], _ factor: Double) -> [UInt64] {
        s.map { UInt64((Double($0) * factor).rounded()) }
    }

    /// The row with `samples` and the summary figures recomputed from them.
    static func with(_ row: ResultRow, samples: [UInt64]) -> ResultRow {
        var r = row
        let s = samples.sorted().map(Double.init)
        func q(_ p: Double) -> Double {
            let x = p * Double(s.count - 1)
            let lo = Int(x.rounded(.down)), hi = min(lo + 1, s.count - 1)
            return s[lo] + (s[hi] - s[lo]) * (x - Double(lo))
        }
        r.samplesNs = samples
        r.medianNs = q(0.5); r.p10Ns = q(0.1); r.p90Ns = q(0.9); r.minNs = s.first!; r.maxNs = s.last!
        r.meanNs = s.reduce(0, +) / Double(s.count)
        return r
    }

    static func report(samples: [UInt64]) -> Report {
        var r = SampleReport.make()
        r.results = r.results.map { with($0, samples: samples) }
        r.validity = Validity(valid: true, reasons: [])
        return r
    }
}

final class GateTests: XCTestCase {
    typealias F = GateFixtures

    func testTenPercentSlowerWithTightSamplesIsAPerformanceRegression() throws {
        let base = F.report(samples: F.tight)
        let cand = F.report(samples: F.scaled(F.tight, 1.10))
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 2)
        XCTAssertEqual(v.verdict, "performance regression")
        let f = try XCTUnwrap(v.failures.first { $0.kind == .throughput })
        XCTAssertEqual(f.subject, base.results[0].key)
        XCTAssertEqual(try XCTUnwrap(f.change), 1 - 1 / 1.10, accuracy: 1e-3)
        XCTAssertLessThan(try XCTUnwrap(f.p), 0.01)
        XCTAssertEqual(f.significant, true)
    }

    /// Results measured in rounds (`timing.rounds`): a slowdown in some rounds only (a slow spell of the host), or one
    /// whose closest rounds are within the limit, is not a regression, while one beyond the limit in every round is,
    /// as an injected 1.3x slowdown of the kernel would be.
    func testRoundsMustAllBeSlowerForAThroughputFailure() throws {
        func inRounds(_ factors: [Double]) -> Report {
            // 3 rounds of 20 tight samples each, round i scaled by factors[i].
            let samples = factors.flatMap { F.scaled(F.tight, $0) }
            var r = F.report(samples: samples)
            r.results = r.results.map { row in
                var x = row
                x.roundSamples = factors.map { _ in F.tight.count }
                x.roundMediansNs = factors.map { F.with(row, samples: F.scaled(F.tight, $0)).medianNs }
                return x
            }
            return r
        }
        let base = inRounds([1.0, 1.02, 1.0])
        // A spell over two of the candidate's three rounds: its pooled median is 30 % slower and Mann-Whitney calls
        // that significant, but its first round is as fast as the baseline's rounds: not a regression (~).
        let spell = Gate.evaluate(base: base, candidate: inRounds([1.0, 1.3, 1.3]), policy: F.policy)
        XCTAssertEqual(spell.exitCode, 0, "\(spell.failures)")
        let row = try XCTUnwrap(spell.passes.first { $0.kind == .throughput })
        XCTAssertEqual(row.significant, false)
        XCTAssertTrue(row.detail.contains("not in every round"), row.detail)
        // Every round slower, but the first only 1 - 1.02 / 1.06 (3.8 %) against the 5 % limit: a host that was slower
        // for the whole run, most in two rounds, not a loss every round shows (~).
        let drift = Gate.evaluate(base: base, candidate: inRounds([1.06, 1.3, 1.3]), policy: F.policy)
        XCTAssertEqual(drift.exitCode, 0, "\(drift.failures)")
        let d = try XCTUnwrap(drift.passes.first { $0.kind == .throughput })
        XCTAssertTrue(d.detail.contains("closest rounds only -3."), d.detail)
        // Every round 1.3x slower: a regression, and the verdict says the rounds agree.
        let slower = Gate.evaluate(base: base, candidate: inRounds([1.3, 1.3, 1.31]), policy: F.policy)
        XCTAssertEqual(slower.exitCode, 2)
        let f = try XCTUnwrap(slower.failures.first { $0.kind == .throughput })
        XCTAssertTrue(f.detail.contains("every round slower by more than 5"), f.detail)
        // One side without rounds: the sample test alone, as before.
        let plain = Gate.evaluate(
            base: F.report(samples: F.tight), candidate: inRounds([1.0, 1.3, 1.3]), policy: F.policy)
        XCTAssertEqual(plain.exitCode, 2)
    }

    /// A history of earlier runs raises a key's limit to the spread of its medians between runs: a 12 % slowdown
    /// with tight samples fails against one baseline, passes when the history shows runs 20 % apart, and a 30 %
    /// slowdown still fails.
    func testHistoryRaisesTheLimitToTheBetweenRunSpread() throws {
        let base = F.report(samples: F.tight)
        let history = [F.report(samples: F.scaled(F.tight, 1.25)), F.report(samples: F.scaled(F.tight, 1.05))]
        let key = base.results[0].key
        let slower = F.report(samples: F.scaled(F.tight, 1.12))

        let alone = Gate.evaluate(base: base, candidate: slower, policy: F.policy)
        XCTAssertEqual(alone.exitCode, 2)
        let a = try XCTUnwrap(alone.failures.first { $0.subject == key })
        XCTAssertNil(a.betweenRuns)

        let withHistory = Gate.evaluate(base: base, candidate: slower, policy: F.policy, history: history)
        XCTAssertEqual(withHistory.exitCode, 0, "\(withHistory.failures.map(\.detail))")
        let p = try XCTUnwrap(withHistory.passes.first { $0.subject == key })
        XCTAssertEqual(try XCTUnwrap(p.betweenRuns), 1 - 1 / 1.25, accuracy: 1e-3)
        XCTAssertEqual(p.runs, 3)
        XCTAssertEqual(try XCTUnwrap(p.limit), 1 - 1 / 1.25, accuracy: 1e-3)
        XCTAssertTrue(p.detail.contains("within the between-run spread"), p.detail)
        XCTAssertTrue(withHistory.notes.contains { $0.contains("3 runs") }, "\(withHistory.notes)")

        let muchSlower = F.report(samples: F.scaled(F.tight, 1.30))
        let v = Gate.evaluate(base: base, candidate: muchSlower, policy: F.policy, history: history)
        XCTAssertEqual(v.exitCode, 2)
        XCTAssertEqual(v.failures.first { $0.subject == key }?.runs, 3)

        // A history report of another device is left out, and the note says so.
        var other = F.report(samples: F.scaled(F.tight, 2))
        other.device.id = "0000000000000000"
        let mixed = Gate.evaluate(base: base, candidate: slower, policy: F.policy, history: [other])
        XCTAssertEqual(mixed.exitCode, 2, "the other device's 2x spread must not widen the limit")
        XCTAssertTrue(mixed.notes.contains { $0.contains("another device or profile") }, "\(mixed.notes)")
    }

    func testTenPercentSlowerWithinNoisePasses() throws {
        let base = F.report(samples: F.noisy)
        let cand = F.report(samples: F.scaled(F.noisy.reversed(), 1.10))
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 0, "\(v.failures)")
        let c = try XCTUnwrap(v.passes.first { $0.kind == .throughput })
        XCTAssertGreaterThan(try XCTUnwrap(c.change), 0.05, "slower beyond the limit...")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(c.p), 0.01, "...but not significantly")
        XCTAssertEqual(c.significant, false)
        XCTAssertTrue(c.detail.contains("within noise"), c.detail)
    }

    func testTwoPercentSlowerPasses() throws {
        let v = Gate.evaluate(
            base: F.report(samples: F.tight), candidate: F.report(samples: F.scaled(F.tight, 1.02)), policy: F.policy)
        XCTAssertEqual(v.exitCode, 0)
        let c = try XCTUnwrap(v.passes.first { $0.kind == .throughput })
        XCTAssertEqual(try XCTUnwrap(c.change), 1 - 1 / 1.02, accuracy: 1e-3)
        XCTAssertLessThan(try XCTUnwrap(c.p), 0.01, "significant, but below the limit")
    }

    func testVerifiedKernelTurnedMismatchIsACorrectnessRegression() throws {
        let base = F.report(samples: F.tight)
        var cand = base
        cand.kernels[0].status = .mismatch
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 3)
        let f = try XCTUnwrap(v.failures.first)
        XCTAssertEqual(f.kind, .kernel)
        XCTAssertEqual(f.subject, "gemv/q4_0/q8_0/dynamic/avx512_vnni")
        XCTAssertTrue(f.detail.contains("mismatch"), f.detail)
        // Unsupported for a missing feature is not a regression.
        cand.kernels[0].status = .unsupported
        cand.kernels[0].missingFeatures = ["avx512_vnni"]
        XCTAssertEqual(Gate.evaluate(base: base, candidate: cand, policy: F.policy).exitCode, 0)
        // ...but unsupported without a missing feature is.
        cand.kernels[0].missingFeatures = nil
        XCTAssertEqual(Gate.evaluate(base: base, candidate: cand, policy: F.policy).exitCode, 3)
    }

    func testSqnrDropOfOneDbIsACorrectnessRegression() throws {
        let base = F.report(samples: F.tight)
        var cand = base
        cand.accuracy[0].sqnrDb -= 1
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 3)
        let f = try XCTUnwrap(v.failures.first { $0.kind == .accuracy })
        XCTAssertEqual(try XCTUnwrap(f.change), 1, accuracy: 1e-9)
        cand.accuracy[0].sqnrDb = base.accuracy[0].sqnrDb - 0.4
        XCTAssertEqual(Gate.evaluate(base: base, candidate: cand, policy: F.policy).exitCode, 0)
        // An infinite SQNR (exact format) that became finite is a drop.
        cand = base
        cand.accuracy[1].sqnrDb = 80
        XCTAssertEqual(Gate.evaluate(base: base, candidate: cand, policy: F.policy).exitCode, 3)
    }

    func testInvalidCandidateIsExit4UnlessEveryReasonIsAllowed() throws {
        let base = F.report(samples: F.tight)
        var cand = base
        cand.validity = Validity(valid: false, reasons: ["gemv/x: stopped early", "gemv/y: noise 0.3 above 0.1"])
        XCTAssertEqual(Gate.evaluate(base: base, candidate: cand, policy: F.policy).exitCode, 4)
        XCTAssertEqual(
            Gate.evaluate(base: base, candidate: cand, policy: F.policy, allowInvalid: ["stopped early"]).exitCode, 4)
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy, allowInvalid: ["stopped early", "noise"])
        XCTAssertEqual(v.exitCode, 0)
        XCTAssertTrue(v.passes.contains { $0.kind == .validity && $0.detail.contains("allowed") })
    }

    func testOtherDeviceProfileOrNoCommonKeyIsNotComparable() {
        let base = F.report(samples: F.tight)
        var cand = base
        cand.device.id = "aarch64-other"
        var v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 5)
        XCTAssertTrue(v.notes.joined().contains("device differs"), "\(v.notes)")
        cand = base
        cand.run.profile = "smoke"
        v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 5)
        XCTAssertTrue(v.notes.joined().contains("profile differs"), "\(v.notes)")
        cand = base
        cand.results[0].key = "gemv/q4_0/1x1x1/t1/other"
        XCTAssertEqual(Gate.evaluate(base: base, candidate: cand, policy: F.policy).exitCode, 5)
    }

    /// 3, then 4, then 2.
    func testPrecedence() {
        let base = F.report(samples: F.tight)
        var cand = F.report(samples: F.scaled(F.tight, 1.5))
        cand.validity = Validity(valid: false, reasons: ["noisy"])
        XCTAssertEqual(Gate.evaluate(base: base, candidate: cand, policy: F.policy).exitCode, 4)
        cand.kernels[0].status = .crashed
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 3)
        XCTAssertEqual(v.failures.map(\.failure), [3, 4, 2], "failures listed by precedence")
    }

    func testTooFewSamplesFallBackToRangeOverlap() throws {
        let base = F.report(samples: [100_000, 100_100, 100_200])
        let cand = F.report(samples: [110_000, 110_100, 110_200])
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 2)
        let f = try XCTUnwrap(v.failures.first)
        XCTAssertNil(f.p)
        XCTAssertTrue(f.detail.contains("cannot reach p < 0.01"), f.detail)
        XCTAssertTrue(f.detail.contains("do not overlap"), f.detail)
        // Overlapping ranges: within noise.
        let wide = F.report(samples: [100_000, 105_000, 120_000])
        let w = Gate.evaluate(base: wide, candidate: F.report(samples: [110_000, 112_000, 130_000]), policy: F.policy)
        XCTAssertEqual(w.exitCode, 0)
    }

    func testMeasuredEnergyPerCallIsChecked() throws {
        let base = F.report(samples: F.tight)
        var cand = base
        cand.results[0].energy?.joules *= 1.5
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 2)
        XCTAssertEqual(v.failures.first?.kind, .energy)
        // Modeled energy is time times a modeled power: not checked on its own.
        var b2 = base, c2 = cand
        b2.results[0].energy?.source = .modeled
        c2.results[0].energy?.source = .modeled
        XCTAssertEqual(Gate.evaluate(base: b2, candidate: c2, policy: F.policy).exitCode, 0)
    }

    /// An estimate fails when it lost more than the limit and a result it is built from is significantly slower.
    func testTokenEstimatesNeedASignificantlySlowerBasis() throws {
        let base = F.report(samples: F.tight)
        var cand = F.report(samples: F.scaled(F.tight, 1.03))  // significant, but within the 5 % limit
        let decode = try XCTUnwrap(base.estimates[0].decodeTokensPerS)
        cand.estimates[0].decodeTokensPerS = decode * 0.9
        let v = Gate.evaluate(base: base, candidate: cand, policy: F.policy)
        XCTAssertEqual(v.exitCode, 2)
        let f = try XCTUnwrap(v.failures.first)
        XCTAssertEqual(f.kind, .decodeTokensPerS)
        XCTAssertEqual(f.subject, "tiny/q4_0/t1")
        XCTAssertEqual(try XCTUnwrap(f.change), 0.1, accuracy: 1e-9)
        XCTAssertTrue(f.detail.contains(base.results[0].key), f.detail)
        // The same loss with unchanged samples: no evidence, within noise.
        var same = base
        same.estimates[0].decodeTokensPerS = decode * 0.9
        let w = Gate.evaluate(base: base, candidate: same, policy: F.policy)
        XCTAssertEqual(w.exitCode, 0)
        XCTAssertTrue(w.passes.contains { $0.kind == .decodeTokensPerS && $0.detail.contains("(~)") })
    }

    func testPolicyFileOverridesTheBaseline() throws {
        let dir = try TestPaths.scratch()
        let path = dir.appendingPathComponent("gate.yaml").path
        try "max_throughput_regression: 0.2\nsignificance: 0.05\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        var base = F.report(samples: F.tight)
        base.run.provenance = nil
        let p = GatePolicy.resolve(file: try GatePolicy.loadFile(path), filePath: path, baseline: base)
        XCTAssertEqual(p.maxThroughputRegression, 0.2)
        XCTAssertEqual(p.significance, 0.05)
        XCTAssertEqual(p.maxSqnrDropDb, GatePolicy.defaults.maxSqnrDropDb)
        XCTAssertTrue(p.source.contains("policy"))
        try "max_throughput_regresion: 0.2\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GatePolicy.loadFile(path)) { e in
            XCTAssertTrue("\(e)".contains("unknown key"), "\(e)")
        }
    }
}

final class CompareTests: XCTestCase {
    typealias F = GateFixtures

    func testRatioIsCandidateThroughputOverBaseline() throws {
        let c = Compare.compare(
            base: F.report(samples: F.tight), candidate: F.report(samples: F.scaled(F.tight, 1.25)))
        let row = try XCTUnwrap(c.rows.first)
        XCTAssertEqual(row.ratio, 0.8, accuracy: 1e-3, "25 % more time is 0.8x the throughput")
        XCTAssertFalse(row.withinNoise)
        XCTAssertEqual(try XCTUnwrap(c.geomean), 0.8, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(c.geomeanByFormat["q4_0"]), 0.8, accuracy: 1e-3)
        XCTAssertEqual(c.significance, 0.05, "no provenance: the default level")
    }

    func testKeysOnOneSideAreListed() {
        let base = F.report(samples: F.tight)
        var cand = base
        cand.results.append(cand.results[0])
        cand.results[1].key = "gemv/q4_0/1x4096x4096/t2/avx512_vnni"
        let c = Compare.compare(base: base, candidate: cand)
        XCTAssertEqual(c.onlyInCandidate, ["gemv/q4_0/1x4096x4096/t2/avx512_vnni"])
        XCTAssertEqual(c.onlyInBase, [])
        XCTAssertEqual(c.rows.count, 1)
        XCTAssertEqual(c.rows[0].p, 1, "identical samples")
        XCTAssertTrue(c.rows[0].withinNoise)
    }

    func testGeometricMean() {
        XCTAssertEqual(try XCTUnwrap(Compare.geometricMean([2, 0.5, 1])), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Compare.geometricMean([4, 1])), 2, accuracy: 1e-12)
        XCTAssertNil(Compare.geometricMean([]))
    }

    func testCrossDeviceTakesTheBestVerifiedVariantAtMaxThreads() throws {
        let base = F.report(samples: F.tight)
        var cand = base
        cand.device.id = "other"
        var slowT2 = cand.results[0]
        slowT2.key = "gemv/q4_0/1x4096x4096/t2/avx512_vnni"
        slowT2.threads = 2
        slowT2.throughput.gopPerS *= 1.5
        var unverified = slowT2
        unverified.variant = "neon_dotprod"  // kernel row not_built
        unverified.key = "gemv/q4_0/1x4096x4096/t2/neon_dotprod"
        unverified.medianNs /= 10
        cand.results += [slowT2, unverified]
        let c = Compare.crossDevice(base: base, candidate: cand)
        let row = try XCTUnwrap(c.rows.first)
        XCTAssertEqual(c.rows.count, 1)
        XCTAssertEqual(row.work, "gemv/q4_0/1x4096x4096")
        XCTAssertEqual(row.candidate.threads, 2)
        XCTAssertEqual(row.candidate.variant, "avx512_vnni", "the not-built variant is not taken")
        XCTAssertEqual(row.ratio, 1.5, accuracy: 1e-9)
        XCTAssertEqual(c.estimates.first?.decodeRatio ?? 0, 1, accuracy: 1e-12)
    }
}
