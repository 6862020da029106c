import Foundation
import QBenchTestSupport
import QBenchFormats
import QBenchHarness
import XCTest
@testable import QBenchModelFiles
@testable import QBenchDevice
@testable import QBenchKernels
@testable import QBenchReport
@testable import QBenchRun

final class RunPipelineTests: XCTestCase {
    private func topology(l1: Int, l2: Int, l3: Int, l3Sharing: Int, cores: Int) -> Topology {
        Topology(
            packages: 1, dies: 1, numaNodes: 1, cores: cores, pus: cores, threadsPerCore: 1,
            caches: [
                CacheLevel(level: 1, type: "data", sizeBytes: l1, lineBytes: 64, count: cores, coresSharing: 1),
                CacheLevel(
                    level: 1, type: "instruction", sizeBytes: 1 << 20, lineBytes: 64, count: cores, coresSharing: 1),
                CacheLevel(level: 2, type: "unified", sizeBytes: l2, lineBytes: 64, count: cores, coresSharing: 1),
                CacheLevel(level: 3, type: "unified", sizeBytes: l3, lineBytes: 64, count: 1, coresSharing: l3Sharing),
            ],
            cpuKinds: [])
    }

    func testWorkingSets_stayInsideEachLevelAndExceedTheLLCForDRAM() {
        let t = topology(l1: 48 << 10, l2: 2 << 20, l3: 32 << 20, l3Sharing: 8, cores: 8)
        let one = Dictionary(
            uniqueKeysWithValues: RooflineMeasurer.workingSets(topology: t, threads: 1).map {
                ($0.level, $0.bytesPerThread)
            })
        XCTAssertEqual(one["l1"], 24 << 10, "half of L1d, never the instruction cache")
        XCTAssertEqual(one["l2"], 1 << 20)
        XCTAssertEqual(one["l3"], 16 << 20)
        XCTAssertEqual(one["dram"], 256 << 20, "4 x 32 MiB is below the 256 MiB floor")
        let four = Dictionary(
            uniqueKeysWithValues: RooflineMeasurer.workingSets(topology: t, threads: 4).map {
                ($0.level, $0.bytesPerThread)
            })
        XCTAssertEqual(four["l3"], 4 << 20, "four threads split one shared L3")
        XCTAssertEqual(four["dram"], 64 << 20, "the DRAM set is split across threads")
        let quick = RooflineMeasurer.workingSets(
            topology: topology(l1: 48 << 10, l2: 2 << 20, l3: 512 << 20, l3Sharing: 8, cores: 8), threads: 1,
            quick: true)
        XCTAssertEqual(quick.last?.bytesPerThread, 256 << 20, "quick caps the DRAM set")
        XCTAssertEqual(RooflineMeasurer.coldBytes(topology: t), 64 << 20)
    }

    func testFamilies_followTheInstructionTheKernelComputesWith() {
        XCTAssertEqual(RooflineMeasurer.family(weightFormat: .q4_0, variant: .avx2), "int8")
        XCTAssertEqual(RooflineMeasurer.family(weightFormat: .f16, variant: .avx512), "f32")
        XCTAssertEqual(RooflineMeasurer.family(weightFormat: .f16, variant: .avx512_fp16), "fp16")
        XCTAssertEqual(RooflineMeasurer.family(weightFormat: .bf16, variant: .avx512_bf16), "bf16")
        XCTAssertEqual(RooflineMeasurer.family(weightFormat: .bf16, variant: .avx2), "f32")
        XCTAssertEqual(RooflineMeasurer.family(peakKind: "int8_dot"), "int8")
        XCTAssertEqual(RooflineMeasurer.family(peakKind: "fp32_fma"), "f32")
    }

    /// Rotating over weight copies (cold decode) must compute exactly what the plain kernel computes.
    func testKernelBench_coldRotationGivesTheSameOutputsAsTheKernel() throws {
        let reg = KernelRegistry.builtIn
        let v = try XCTUnwrap(
            reg.variants.first { $0.op == .gemv && $0.weightFormat == .q4_0 && $0.variant == .scalar })
        let q = reg.variants.first { $0.op == .quantizeRow && $0.weightFormat == .q8_0 && $0.variant == .scalar }
        let ops = try KernelOperands(
            weightFormat: .q4_0, activationFormat: .q8_0, outputs: 64, k: 256, tokens: 1, seed: 7)
        let kernel = try PreparedKernel(variant: v, operands: ops)
        let pool = KernelThreadPool(threads: 2)
        kernel.run(pool: pool)
        let expected = kernel.y
        let bench = try KernelBench(kernel: kernel, coldBytes: 1 << 20, quantizer: q)
        XCTAssertGreaterThan(bench.copies, 1)
        for _ in 0..<(bench.copies + 1) {
            kernel.poisonOutput()
            bench.call(pool: pool)
            XCTAssertEqual(kernel.y.map(\.bitPattern), expected.map(\.bitPattern))
        }
        XCTAssertEqual(bench.opsPerCall, 2 * 64 * 256)
        XCTAssertGreaterThan(bench.bytesPerCall, Double(64 * 256 / 2))
    }

    /// Prefill calls split the activation quantization by rows across the pool: every row must be encoded exactly
    /// as the single-threaded encoding did it (bytes, scales, group sums), and the outputs must not change.
    func testKernelBench_parallelQuantizationEncodesEveryRowAsTheSerialOne() throws {
        let reg = KernelRegistry.builtIn
        for (wfmt, afmt) in [(WeightFormat.u4_g32, ActivationFormat.i8_pt), (.q4_1, .q8_1), (.q8_0, .q8_0)] {
            let v = try XCTUnwrap(
                reg.variants.first { $0.op == .gemm && $0.weightFormat == wfmt && $0.variant == .scalar })
            let q = try XCTUnwrap(
                reg.variants.first { $0.op == .quantizeRow && $0.activationFormat == afmt && $0.variant == .scalar })
            let ops = try KernelOperands(
                weightFormat: wfmt, activationFormat: afmt, outputs: 48, k: 128, tokens: 11, seed: 5)
            if wfmt == .u4_g32 { XCTAssertEqual(ops.activationSums.count, 11 * 4, "grouped: per-row group sums") }
            let kernel = try PreparedKernel(variant: v, operands: ops)
            let serialBytes = Array(
                UnsafeRawBufferPointer(start: ops.activations.pointer, count: ops.activationStride * ops.tokens))
            let pool = KernelThreadPool(threads: 3)
            kernel.run(pool: pool)
            let expected = kernel.y
            let bench = try KernelBench(kernel: kernel, coldBytes: nil, quantizer: q)
            // must all be rewritten by the call
            memset(ops.activations.pointer, 0xA5, ops.activationStride * ops.tokens)
            kernel.poisonOutput()
            bench.call(pool: pool)
            XCTAssertEqual(
                Array(UnsafeRawBufferPointer(start: ops.activations.pointer, count: ops.activationStride * ops.tokens)),
                serialBytes, "\(wfmt): activation bytes")
            XCTAssertEqual(
                (0..<ops.tokens).map { bench.scratchScales[$0].bitPattern }, ops.activationScales.map(\.bitPattern),
                "\(wfmt): scales")
            XCTAssertEqual(
                (0..<ops.activationSums.count).map { bench.scratchSums[$0] }, ops.activationSums, "\(wfmt): sums")
            XCTAssertEqual(kernel.y.map(\.bitPattern), expected.map(\.bitPattern), "\(wfmt): outputs")
        }
    }

    /// The adjacent DRAM read covers what each worker streams in a cold rotation: its rows in every copy.
    func testRotatedSlices_coverEachWorkersRowsInEveryCopy() throws {
        let reg = KernelRegistry.builtIn
        let v = try XCTUnwrap(
            reg.variants.first { $0.op == .gemv && $0.weightFormat == .q8_0 && $0.variant == .scalar })
        let ops = try KernelOperands(
            weightFormat: .q8_0, activationFormat: .q8_0, outputs: 256, k: 512, tokens: 1, seed: 3)
        let bench = try KernelBench(
            kernel: try PreparedKernel(variant: v, operands: ops), coldBytes: 1 << 20, quantizer: nil)
        let slices = try XCTUnwrap(bench.rotatedSlices(threads: 2))
        XCTAssertEqual(slices.count, 2)
        let rowBytes = 512 / 32 * 34, total = 256 * rowBytes
        for (w, s) in slices.enumerated() {
            XCTAssertEqual(s.count, bench.copies, "one slice per copy")
            for x in s {
                XCTAssertEqual(Int(bitPattern: x.base) % 64, 0)
                XCTAssertEqual(x.bytes % 256, 0)
                XCTAssertEqual(Double(x.bytes), Double(total) / 2, accuracy: 256 + 64, "worker \(w): half the rows")
            }
        }
        // Worker 1 starts where its first row (128) starts, rounded down to 64 bytes, in every copy.
        XCTAssertEqual(slices[1][0].base - slices[0][0].base, 128 * rowBytes / 64 * 64)
        let pool = KernelThreadPool(threads: 2)
        let read = try XCTUnwrap(LimitKernels.bestRead(features: Set(try DeviceProbe.probe().cpu.features)))
        let m = LimitKernels.measureRead(read, slices: slices, pool: pool)
        XCTAssertGreaterThan(m.gbPerS, 0)
        XCTAssertEqual(m.bytesPerThread, slices.map { $0.reduce(0) { $0 + $1.bytes } }.max())
        XCTAssertNil(
            try KernelBench(
                kernel: try PreparedKernel(variant: v, operands: ops), coldBytes: nil,
                quantizer: nil
            ).rotatedSlices(threads: 2), "warm benches rotate nothing")
    }

    /// The adjacent probes run the real loops: a cold memory-bound bench re-reads its weight copies; a warm
    /// compute-bound one (here made compute-bound by a roofline whose int8 peak is tiny) runs the peak loop of
    /// the roofline's variant and, beside it, the L2 read that tells whether the caches were disturbed.
    func testAdjacentProbes_measureTheRightCeilingForEachBound() throws {
        let device = try DeviceProbe.probe()
        let features = Set(device.cpu.features)
        let reg = KernelRegistry.builtIn
        let v = try XCTUnwrap(
            reg.variants.first { $0.op == .gemm && $0.weightFormat == .q8_0 && $0.variant == .scalar })
        let ops = try KernelOperands(
            weightFormat: .q8_0, activationFormat: .q8_0, outputs: 64, k: 256, tokens: 8, seed: 5)
        let pool = KernelThreadPool(threads: 2)
        let peakVariant = try XCTUnwrap(
            LimitKernels.runnablePeaks(features: features).first { $0.kind == "int8_dot" }?.variant)
        func roofline(peak: Double) -> RooflineSection {
            RooflineSection(
                bandwidth: [
                    BandwidthPoint(level: "dram", threads: 2, workingSetBytes: 1 << 28, gbPerS: 20),
                    BandwidthPoint(level: "l2", threads: 2, workingSetBytes: 1 << 20, gbPerS: 200),
                ],
                peaks: [PeakPoint(family: "int8", threads: 2, variant: peakVariant, gopPerS: peak)])
        }
        // Compute-bound: the peak is far below intensity x bandwidth.
        let warm = try KernelBench(
            kernel: try PreparedKernel(variant: v, operands: ops), coldBytes: nil, quantizer: nil)
        let a = AdjacentCeilings(
            features: features, roofline: roofline(peak: 0.001), quick: true, topology: device.topology)
        let p = try XCTUnwrap(a.probe(family: "int8", bench: warm, pool: pool))
        XCTAssertEqual(p.bound, .compute)
        XCTAssertTrue(p.measure(pool, 2).allSatisfy { $0 > 0 })
        if device.topology.caches.contains(where: { $0.level == 2 }) {
            let l2 = try XCTUnwrap(p.cacheRead, "compute-bound probes carry the L2 read")
            XCTAssertTrue(l2(pool, 1).allSatisfy { $0 > 0 })
        }
        // Memory-bound and cold: the read over the bench's own copies; warm memory-bound: nothing to re-read.
        let cold = try KernelBench(
            kernel: try PreparedKernel(variant: v, operands: ops), coldBytes: 1 << 20, quantizer: nil)
        let m = AdjacentCeilings(
            features: features, roofline: roofline(peak: 1e6), quick: true, topology: device.topology)
        let pm = try XCTUnwrap(m.probe(family: "int8", bench: cold, pool: pool))
        XCTAssertEqual(pm.bound, .memory)
        XCTAssertNil(pm.cacheRead)
        XCTAssertTrue(pm.measure(pool, 1).allSatisfy { $0 > 0 })
        XCTAssertNil(m.probe(family: "int8", bench: warm, pool: pool))
        XCTAssertNil(m.probe(family: "bf16", bench: cold, pool: pool), "no ceiling of that family in the roofline")
    }

    /// Retakes: the invalid results in run order, not an interrupted one, at most a tenth of the results (at
    /// least 4).
    func testRetakes_pickTheInvalidResultsInRunOrderWithinTheBudget() {
        let limits = ValidityLimits(minSamples: 10, minTotalNs: 1_000, maxNoise: 0.10)
        func run(_ samples: [UInt64], _ stop: StopReason = .satisfied) -> SampleRun {
            SampleRun(
                samplesNs: samples, warmupNs: [], iterationsPerSample: 1, measuredNs: samples.reduce(0, +),
                stopReason: stop, cacheState: .warm, summary: Statistics.summarize(samples), warnings: [])
        }
        let tight = run(Array(repeating: 1_000_000, count: 12))
        // Half the samples 1.5x slower: the median's interval spans both, far past 10 %.
        let spell = run(Array(repeating: 1_000_000, count: 6) + Array(repeating: 1_500_000, count: 6))
        XCTAssertTrue(Validity.evaluate(tight, limits: limits).valid)
        XCTAssertFalse(Validity.evaluate(spell, limits: limits).valid)
        let few = run([1_000_000, 1_000_000], .maxTime)
        let cut = run([1_000_000, 1_000_000], .interrupted)
        XCTAssertEqual(
            RunPipeline.retakes([("a", tight), ("b", spell), ("c", cut), ("d", few)], limits: limits), ["b", "d"])
        // 50 results, 30 invalid: the budget is 5 (a tenth), the first five invalid ones.
        let many = (0..<50).map { i in (key: "k\(i)", run: i % 5 < 3 ? spell : tight) }
        let expected = Set(many.filter { !Validity.evaluate($0.run, limits: limits).valid }.prefix(5).map(\.key))
        XCTAssertEqual(RunPipeline.retakes(many, limits: limits), expected)
        XCTAssertEqual(expected, ["k0", "k1", "k2", "k5", "k6"])
        XCTAssertEqual(RunPipeline.retakes(Array(many.prefix(10)), limits: limits).count, 4, "at least 4")
    }

    /// QBENCH_INJECT_SLOWDOWN: a slowed call lasts factor x its own time, or factor x the reference (its time back to
    /// back without the slowdown) when that is longer, so a kernel that runs faster between the spins cannot escape
    /// part of the slowdown; the reference is the median of back-to-back calls.
    func testInjectedSlowdown_lastsFactorTimesTheLongerOfItsOwnTimeAndTheReference() throws {
        final class TickingClock: BenchClock, @unchecked Sendable {
            var now: UInt64 = 0
            func nowNs() -> UInt64 {
                now += 1
                return now
            }
        }
        let clock = TickingClock()
        let slow = try InjectedSlowdown.parse("gemv/.*=1.5")
        var duration: UInt64 = 1000
        let call = { clock.now += duration }
        func elapsed(_ f: () -> Void) -> UInt64 {
            let t0 = clock.now
            f()
            return clock.now - t0
        }
        // Own time only: 1000 ns -> 1500 ns (within the clock's own ticks).
        let plain = elapsed(slow.slowed(call, clock: clock))
        XCTAssertTrue((1500...1505).contains(plain), "\(plain)")
        // The call got faster (800 ns) than its reference (1000 ns): still 1.5 x 1000.
        duration = 800
        let floored = elapsed(slow.slowed(call, clock: clock, referenceNs: 1000))
        XCTAssertTrue((1500...1505).contains(floored), "\(floored)")
        // Slower than the reference (1200 ns): 1.5 x its own time.
        duration = 1200
        let own = elapsed(slow.slowed(call, clock: clock, referenceNs: 1000))
        XCTAssertTrue((1800...1805).contains(own), "\(own)")
        // The reference: the median of back-to-back calls.
        var times: [UInt64] = [900, 5000, 1000, 1100, 950]
        let ref = InjectedSlowdown.reference({ clock.now += times.removeFirst() }, calls: 5, clock: clock)
        XCTAssertEqual(ref, 1000 + 1, "median call plus the clock's tick")
    }

    func testColdArenas_reuseTheBufferOnlyWhenNoBenchHoldsItAndItIsLargeEnough() throws {
        let arenas = ColdArenas()
        var a: AlignedBuffer? = try arenas.take(bytes: 1 << 16)
        let first = ObjectIdentifier(try XCTUnwrap(a))
        // Held by a bench: a second take must not hand out the same memory.
        let held = try arenas.take(bytes: 1 << 12)
        XCTAssertNotEqual(ObjectIdentifier(held), first)
        XCTAssertGreaterThanOrEqual(held.count, 1 << 12)
        a = nil
        // The kept buffer is now `held`'s; once released it comes back, and a larger request gets a new one.
        let heldID = ObjectIdentifier(held)
        _ = consume held
        XCTAssertEqual(ObjectIdentifier(try arenas.take(bytes: 1 << 10)), heldID)
        let big = try arenas.take(bytes: 1 << 20)
        XCTAssertGreaterThanOrEqual(big.count, 1 << 20, "too small to reuse: a new buffer")
        // A cold bench built on the arenas (which hold another bench's bytes) computes what the kernel computes.
        memset(big.pointer, 0x5a, big.count)
        _ = consume big
        let reg = KernelRegistry.builtIn
        let v = try XCTUnwrap(
            reg.variants.first { $0.op == .gemv && $0.weightFormat == .q4_0 && $0.variant == .scalar })
        let ops = try KernelOperands(
            weightFormat: .q4_0, activationFormat: .q8_0, outputs: 64, k: 256, tokens: 1, seed: 7)
        let kernel = try PreparedKernel(variant: v, operands: ops)
        let pool = KernelThreadPool(threads: 1)
        kernel.run(pool: pool)
        let expected = kernel.y.map(\.bitPattern)
        let bench = try KernelBench(kernel: kernel, coldBytes: 1 << 16, quantizer: nil, arenas: arenas)
        XCTAssertGreaterThan(bench.copies, 1)
        for _ in 0..<(bench.copies + 1) {
            kernel.poisonOutput()
            bench.call(pool: pool)
            XCTAssertEqual(kernel.y.map(\.bitPattern), expected)
        }
    }

    func testResolveProfile_rejectsUnknownFormatsNamingTheFlag() {
        let o = RunOptions(profile: "smoke", outDir: URL(fileURLWithPath: "/tmp"), formats: ["q4_0", "q9_9"])
        XCTAssertThrowsError(try RunPipeline.resolveProfile(o)) { e in
            XCTAssertTrue("\(e)".hasPrefix("--formats: unknown format `q9_9`"), "\(e)")
        }
    }

    func testResolveProfile_derivesShapesFromAGGUFHeader() throws {
        let dir = try TestPaths.scratch()
        let file = dir.appendingPathComponent("tiny.gguf")
        var w = try GGUFWriter()
        try w.add("general.architecture", .string("llama"))
        try w.add("llama.embedding_length", .uint32(64))
        try w.add("llama.feed_forward_length", .uint32(160))
        try w.add("llama.block_count", .uint32(3))
        try w.add("llama.attention.head_count", .uint32(4))
        try w.add("llama.attention.head_count_kv", .uint32(2))
        try w.add("llama.vocab_size", .uint32(500))
        try w.write(to: file)
        let (profile, source) = try RunPipeline.resolveProfile(
            RunOptions(profile: "smoke", modelFile: file, outDir: dir))
        let m = try XCTUnwrap(profile.models.first)
        XCTAssertEqual(profile.models.count, 1)
        XCTAssertEqual(
            [m.hiddenSize, m.intermediateSize, m.layers, m.heads, m.kvHeads, m.vocabSize], [64, 160, 3, 4, 2, 500])
        XCTAssertTrue(source.contains("tiny.gguf"))
        XCTAssertEqual(m.weightShape(.k).outputs, 32, "kv heads x head dim")
    }
}
