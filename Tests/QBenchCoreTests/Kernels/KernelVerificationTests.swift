// Every variant this CPU can run, verified against scalar on shapes with ragged edges; the rest must come
// back `unsupported` naming what is missing, never executed.
import CQBench
import QBenchFormats
import QBenchTestSupport
import XCTest
@testable import QBenchDevice
@testable import QBenchKernels

final class KernelVerificationTests: XCTestCase {
    private let features = KernelTestSupport.hostFeatures

    func testEveryRunnableVariant_verifiesAgainstScalar() throws {
        let reg = KernelRegistry.builtIn
        var ran = 0
        var failures: [String] = []
        for v in reg.variants where !v.missing(from: features).isEmpty {
            Oracle.recordVariant(
                v.key, how: "native",
                status: "not run: needs \(v.missing(from: features).map(\.rawValue).joined(separator: ","))")
        }
        for v in reg.variants where v.missing(from: features).isEmpty {
            let r = KernelVerifier.verify(v, features: features, registry: reg)
            Oracle.recordVariant(v.key, how: "native", status: r.status.rawValue)
            ran += 1
            if r.status != .verified {
                failures.append(
                    "\(v.key): \(r.status.rawValue) \(r.detail ?? "") signal=\(r.signal ?? "-") "
                        + "mismatched=\(r.mismatchedOutputs ?? 0) nmse=\(r.nmse ?? 0)"
                )
            }
            if v.tolerance == .exact && v.op != .quantizeRow { XCTAssertEqual(r.bitExact, true, v.key) }
            if v.op == .gemm { XCTAssertTrue(r.shapes.contains { $0.hasSuffix("x17") }, "\(v.key) not tried at N=17") }
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
        XCTAssertGreaterThan(ran, 20, "expected at least the scalar entries to run")
    }

    /// The set of variants that must verify on this host is written down by two independent sources that must
    /// agree on every feature a registry entry needs: the kernel's /proc/cpuinfo flags (what the test above runs)
    /// and the suite's own CPUID/XCR0 (or HWCAP) probe. A probe that silently lost a feature, or a cpuinfo that
    /// could not be read, would shrink the verified set without failing anything else.
    func testRunnableSet_isTheSameFromCPUInfoAndFromTheProbe() throws {
        #if os(Linux)
        try XCTSkipUnless(
            FileManager.default.isReadableFile(atPath: "/proc/cpuinfo"), "/proc/cpuinfo is not readable here")
        let reg = KernelRegistry.builtIn
        let needed = Set(reg.variants.flatMap(\.requires))
        let probe = ISAProbe.live().usable
        XCTAssertFalse(features.isEmpty, "no CPU flags read from /proc/cpuinfo")
        XCTAssertEqual(
            features.intersection(needed).subtracting([.amx_tile, .amx_int8, .amx_bf16, .amx_fp16]),
            probe.intersection(needed).subtracting([.amx_tile, .amx_int8, .amx_bf16, .amx_fp16]),
            "cpuinfo and the probe disagree on features the kernels need")
        let runnable = reg.variants.filter { $0.missing(from: features).isEmpty }
        print("runnable here: \(runnable.count) of \(reg.variants.count) registry entries")
        #else
        throw XCTSkip("reads /proc/cpuinfo")
        #endif
    }

    func testVariantsMissingFeatures_areUnsupportedAndNameTheFeatures() throws {
        let reg = KernelRegistry.builtIn
        let none: Set<CPUFeature> = []
        for v in reg.variants where !v.requires.isEmpty {
            let r = KernelVerifier.verify(v, features: none, registry: reg)
            XCTAssertEqual(r.status, .unsupported, v.key)
            XCTAssertEqual(r.missingFeatures, v.requires, v.key)
            XCTAssertTrue(r.shapes.isEmpty, "\(v.key) must not run")
        }
    }

    func testPlanOnlyMode_reportsUnverifiedWithoutRunning() throws {
        let reg = KernelRegistry.builtIn
        let v = try XCTUnwrap(reg.variant("gemv/q8_0/q8_0/scalar"))
        let r = KernelVerifier.verify(v, features: [], registry: reg, mode: .planOnly)
        XCTAssertEqual(r.status, .unverified)
        XCTAssertTrue(r.shapes.isEmpty)
    }

    #if arch(x86_64)
    /// AMX cannot run where the tiles are not usable; its entries are compiled and reported `unverified` in
    /// plan mode for a device that has AMX, and `unsupported` live here unless this host really has AMX.
    func testAMXEntries_areUnverifiedForAnAMXDeviceThatIsNotExecuted() throws {
        let reg = KernelRegistry.builtIn
        let spr: Set<CPUFeature> = [
            .avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512dq, .amx_tile, .amx_int8, .amx_bf16,
        ]
        for key in ["gemm/i8_pc/i8_pt/amx", "gemm/q8_0/q8_0/amx", "gemm/bf16/bf16/amx"] {
            let v = try XCTUnwrap(reg.variant(key))
            XCTAssertEqual(
                KernelVerifier.verify(v, features: spr, registry: reg, mode: .planOnly).status, .unverified, key)
            if !features.contains(.amx_tile) {
                XCTAssertEqual(KernelVerifier.verify(v, features: features, registry: reg).status, .unsupported, key)
            }
        }
    }
    #endif

    func testAMXTilingLogic_matchesScalarOnTheTileEmulator() throws {
        // The AMX kernels' packing, padding and epilogue, run over emulated tiles (bit-exact for int8).
        let reg = KernelRegistry.builtIn
        let cases: [(String, String, (UnsafePointer<qb_mat_args>?, Int32, Int32) -> Void, Bool)] = [
            ("i8_pc", "i8_pt", qb_gemm_i8_pc_i8_pt_amx_emulated, true),
            ("q8_0", "q8_0", qb_gemm_q8_0_q8_0_amx_emulated, true),
            ("bf16", "bf16", qb_gemm_bf16_bf16_amx_emulated, false),
        ]
        for (w, x, fn, exact) in cases {
            for (M, K, N) in [(37, w == "q8_0" ? 96 : 99, 3), (53, w == "q8_0" ? 320 : 131, 17), (16, 64, 1)] {
                let ops = try KernelOperands(
                    weightFormat: try XCTUnwrap(WeightFormat(rawValue: w)),
                    activationFormat: try XCTUnwrap(ActivationFormat(rawValue: x)), outputs: M, k: K, tokens: N, seed: 7
                )
                let ref = try PreparedKernel(variant: XCTUnwrap(reg.variant("gemm/\(w)/\(x)/scalar")), operands: ops)
                ref.run(rows: 0..<M)
                // Run the emulated kernel through the same operands: borrow the scalar entry's buffers.
                let out = try PreparedKernel(variant: XCTUnwrap(reg.variant("gemm/\(w)/\(x)/scalar")), operands: ops)
                out.poisonOutput()
                var a = qb_mat_args()
                ops.weightScales.withUnsafeBufferPointer { ws in
                    ops.activationScales.withUnsafeBufferPointer { xs in
                        a.w = UnsafeRawPointer(ops.weights.pointer); a.w_scales = ws.baseAddress;
                        a.x = UnsafeRawPointer(ops.activations.pointer)
                        a.x_scales = xs.baseAddress; a.y = out.output.pointer.assumingMemoryBound(to: Float.self)
                        a.M = Int32(M); a.K = Int32(K); a.N = Int32(N); a.w_stride = ops.weightStride
                        a.x_stride = ops.activationStride; a.ldy = out.ldy
                        fn(&a, 0, 13)
                        fn(&a, 13, Int32(M))
                    }
                }
                let want = ref.y, got = out.y
                if exact {
                    XCTAssertEqual(want.map(\.bitPattern), got.map(\.bitPattern), "\(w) \(M)x\(K)x\(N)")
                } else {
                    var e = 0.0, r = 0.0
                    for i in want.indices {
                        e += Double(got[i] - want[i]) * Double(got[i] - want[i]); r += Double(want[i] * want[i])
                    }
                    XCTAssertLessThanOrEqual(e / r, KernelTolerance.defaultFloatNMSE, "\(w) \(M)x\(K)x\(N)")
                }
            }
        }
    }

    func testShapesAFormatCannotHold_giveNaNNotGuesses() throws {
        // q8_0 needs K % 32 == 0: the scalar reference answers K = 48 with NaN, repacking refuses the shape.
        let reg = KernelRegistry.builtIn
        var w = [UInt8](repeating: 0, count: 4 * 51), x = [UInt8](repeating: 0, count: 51)
        var y = [Float](repeating: 1, count: 4)
        let scalar = try XCTUnwrap(reg.entry(XCTUnwrap(reg.variant("gemv/q8_0/q8_0/scalar")))?.pointee.mat)
        w.withUnsafeMutableBytes { wp in
            x.withUnsafeMutableBytes { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    var a = qb_mat_args()
                    a.w = UnsafeRawPointer(wp.baseAddress); a.x = UnsafeRawPointer(xp.baseAddress); a.y = yp.baseAddress
                    a.M = 4; a.K = 48; a.N = 1; a.w_stride = 51; a.x_stride = 51; a.ldy = 4
                    scalar(&a, 0, 4)
                }
            }
        }
        XCTAssertTrue(y.allSatisfy(\.isNaN))
        for v in reg.variants where v.weightFormat == .q8_0 && !v.repack.isEmpty {
            let size = reg.entry(v)!.pointee.repack_size!(4, 48, 0)
            XCTAssertEqual(size, 0, "\(v.key) accepted K = 48")
        }
        XCTAssertThrowsError(
            try KernelOperands(weightFormat: .q8_0, activationFormat: .q8_0, outputs: 4, k: 48, tokens: 1, seed: 1))
    }

    func testAKernelThatRunsButComputesWrong_isAMismatchWithCounts() throws {
        let r = try KernelTestSupport.verifyPlanted("gemv/q8_0/q8_0", kernel: qb_canary_test_zero)
        XCTAssertEqual(r.status, .mismatch, r.detail ?? "")
        XCTAssertEqual(r.bitExact, false, r.detail ?? "")
        XCTAssertGreaterThan(r.mismatchedOutputs ?? 0, 0)
    }

    func testFixtureDevice_getsUnverifiedForWhatItQualifiesForAndUnsupportedForTheRest() {
        let spr = DeviceProfile(
            id: "fixture-spr", source: "fixture",
            cpu: CPUInfo(
                vendor: "GenuineIntel", model: "Sapphire Rapids (fixture)", arch: "x86_64",
                features: [
                    .avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512dq,
                    .amx_tile, .amx_int8,
                ], unusableFeatures: []),
            topology: Topology(
                packages: 1, dies: 1, numaNodes: 1, cores: 1, pus: 1, threadsPerCore: 1, caches: [], cpuKinds: []),
            numa: NUMAInfo(nodes: 1, distances: [[10]], memoryBytes: [0], source: "hwloc"),
            memory: MemoryInfo(totalBytes: 0, transparentHugepages: nil),
            os: OSInfo(name: "Linux", kernel: "", frequencyGovernor: nil),
            toolchain: Toolchain(swift: "", cCompiler: ""))
        let rows = KernelVerifier.verifyAll(device: spr)
        XCTAssertTrue(
            rows.allSatisfy { $0.status == .unverified || $0.status == .unsupported }, "nothing runs for a fixture")
        #if arch(x86_64)
        XCTAssertEqual(rows.first { $0.variant == .amx && $0.weightFormat == .i8_pc }?.status, .unverified)
        XCTAssertEqual(rows.first { $0.variant == .amx && $0.weightFormat == .bf16 }?.missingFeatures, [.amx_bf16])
        XCTAssertEqual(rows.first { $0.variant == .avx512_vnni }?.missingFeatures, [.avx512_vnni])
        #endif
    }

    func testEmptyReduction_givesZerosInEveryRunnableVariant() throws {
        // K = 0 fits every format; each output is the empty sum, 0, whatever was in y before.
        let reg = KernelRegistry.builtIn
        let w = try AlignedBuffer(count: 4096), x = try AlignedBuffer(count: 64), side = try AlignedBuffer(count: 1024)
        let y = try AlignedBuffer(count: 40 * 4)
        for v in reg.variants where v.op != .quantizeRow && v.missing(from: features).isEmpty {
            let e = try XCTUnwrap(reg.entry(v)).pointee
            let yp = y.pointer.assumingMemoryBound(to: Float.self)
            for i in 0..<40 { yp[i] = 123 }
            var a = qb_mat_args()
            a.w = UnsafeRawPointer(w.pointer); a.x = UnsafeRawPointer(x.pointer); a.y = yp
            a.w_scales = UnsafePointer(side.pointer.assumingMemoryBound(to: Float.self))
            a.w_zeros = UnsafePointer((side.pointer + 256).assumingMemoryBound(to: UInt8.self))
            a.x_scales = UnsafePointer((side.pointer + 512).assumingMemoryBound(to: Float.self))
            a.x_sums = UnsafePointer((side.pointer + 768).assumingMemoryBound(to: Int32.self))
            a.M = 20; a.K = 0; a.N = 2; a.ldy = 20; a.group = Int32(v.group)
            var packed: AlignedBuffer?
            if let rsz = e.repack_size, let rfn = e.repack_fn {
                let buf = try AlignedBuffer(count: max(64, rsz(20, 0, Int32(v.group))))
                rfn(&a, buf.pointer)
                a.w = UnsafeRawPointer(buf.pointer)
                packed = buf
            }
            e.mat(&a, 0, 20)
            withExtendedLifetime(packed) {}
            XCTAssertEqual((0..<40).map { yp[$0] }, [Float](repeating: 0, count: 40), v.key)
        }
    }

    func testNotBuiltRows_listOtherVariantsOfTheArchitecture() {
        let reg = KernelRegistry(variants: [
            KernelVariant(
                op: .gemv, weightFormat: .q8_0, activationFormat: .q8_0,
                variant: .scalar, requires: [], tolerance: .exact)
        ])
        let rows = KernelVerifier.notBuilt(registry: reg, arch: "aarch64")
        XCTAssertEqual(Set(rows.map(\.variant)), Set(KernelDispatch.levels(arch: "aarch64").dropFirst()))
        XCTAssertTrue(rows.allSatisfy { $0.status == .notBuilt })
    }

    func testVerifyingAVariantOfASyntheticRegistry_isNotBuilt() {
        let v = KernelVariant(
            op: .gemv, weightFormat: .q8_0, activationFormat: .q8_0, variant: .sve2, requires: [.sve2],
            tolerance: .exact)
        XCTAssertEqual(KernelVerifier.verify(v, features: [.sve2]).status, .notBuilt)
    }
}
