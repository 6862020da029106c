// Every variant this CPU can run, verified against scalar on shapes with ragged edges; the rest must come
// back `unsupported` naming what is missing, never executed.
import CQBench
import XCTest
@testable import QBenchCore

final class KernelVerificationTests: XCTestCase {
    private let features = KernelTestSupport.hostFeatures

    func testEveryRunnableVariant_verifiesAgainstScalar() throws {
        let reg = KernelRegistry.builtIn
        var ran = 0
        var failures: [String] = []
        for v in reg.variants where v.missing(from: features).isEmpty {
            let r = KernelVerifier.verify(v, features: features, registry: reg)
            ran += 1
            if r.status != .verified {
                failures.append("\(v.key): \(r.status.rawValue) \(r.detail ?? "") signal=\(r.signal ?? "-") mismatched=\(r.mismatchedOutputs ?? 0) nmse=\(r.nmse ?? 0)")
            }
            if v.tolerance == .exact && v.op != "quantize_row" { XCTAssertEqual(r.bitExact, true, v.key) }
            if v.op == "gemm" { XCTAssertTrue(r.shapes.contains { $0.hasSuffix("x17") }, "\(v.key) not tried at N=17") }
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
        XCTAssertGreaterThan(ran, 20, "expected at least the scalar entries to run")
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
        let spr: Set<CPUFeature> = [.avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512dq, .amx_tile, .amx_int8, .amx_bf16]
        for key in ["gemm/i8_pc/i8_pt/amx", "gemm/q8_0/q8_0/amx", "gemm/bf16/bf16/amx"] {
            let v = try XCTUnwrap(reg.variant(key))
            XCTAssertEqual(KernelVerifier.verify(v, features: spr, registry: reg, mode: .planOnly).status, .unverified, key)
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
                let ops = try KernelOperands(weightFormat: w, activationFormat: x, M: M, K: K, N: N, seed: 7)
                let ref = try PreparedKernel(variant: XCTUnwrap(reg.variant("gemm/\(w)/\(x)/scalar")), operands: ops)
                ref.run(rows: 0..<M)
                // Run the emulated kernel through the same operands: borrow the scalar entry's buffers.
                let out = try PreparedKernel(variant: XCTUnwrap(reg.variant("gemm/\(w)/\(x)/scalar")), operands: ops)
                out.poisonOutput()
                var a = qb_mat_args()
                ops.weightScales.withUnsafeBufferPointer { ws in
                    ops.activationScales.withUnsafeBufferPointer { xs in
                        a.w = UnsafeRawPointer(ops.weights.pointer); a.w_scales = ws.baseAddress; a.x = UnsafeRawPointer(ops.activations.pointer)
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
                    for i in want.indices { e += Double(got[i] - want[i]) * Double(got[i] - want[i]); r += Double(want[i] * want[i]) }
                    XCTAssertLessThanOrEqual(e / r, KernelTolerance.defaultFloatNMSE, "\(w) \(M)x\(K)x\(N)")
                }
            }
        }
    }

    func testNotBuiltRows_listOtherVariantsOfTheArchitecture() {
        let reg = KernelRegistry(variants: [KernelVariant(op: "gemv", weightFormat: "q8_0", activationFormat: "q8_0",
                                                          variant: "scalar", requires: [], tolerance: .exact)])
        let rows = KernelVerifier.notBuilt(registry: reg, arch: "aarch64")
        XCTAssertEqual(Set(rows.map(\.variant)), Set(KernelDispatch.armLevels.dropFirst()))
        XCTAssertTrue(rows.allSatisfy { $0.status == .notBuilt })
    }

    func testVerifyingAVariantOfASyntheticRegistry_isNotBuilt() {
        let v = KernelVariant(op: "gemv", weightFormat: "q8_0", activationFormat: "q8_0", variant: "sve2", requires: ["sve2"], tolerance: .exact)
        XCTAssertEqual(KernelVerifier.verify(v, features: [.sve2]).status, .notBuilt)
    }
}
