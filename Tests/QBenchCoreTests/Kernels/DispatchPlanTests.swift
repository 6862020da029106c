// Dispatch is a pure function of (features, registry, limits): these are "what would that device get" tests
// over synthetic feature sets and a synthetic registry shaped like the x86 one.
import XCTest
import QBenchFormats
@testable import QBenchDevice
@testable import QBenchKernels

final class DispatchPlanTests: XCTestCase {
    private static let avx512: [CPUFeature] = [.avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512dq]
    private let registry: KernelRegistry = {
        func v(
            _ op: KernelOp, _ w: WeightFormat, _ x: ActivationFormat, _ name: KernelVariantName, _ req: [CPUFeature]
        ) -> KernelVariant {
            KernelVariant(op: op, weightFormat: w, activationFormat: x, variant: name, requires: req, tolerance: .exact)
        }
        return KernelRegistry(variants: [
            v(.gemm, .i8_pc, .i8_pt, .scalar, []),
            v(.gemm, .i8_pc, .i8_pt, .avx2, [.avx2, .fma, .f16c]),
            v(.gemm, .i8_pc, .i8_pt, .avx_vnni, [.avx2, .fma, .f16c, .avx_vnni]),
            v(.gemm, .i8_pc, .i8_pt, .avx512, avx512),
            v(.gemm, .i8_pc, .i8_pt, .avx512_vnni, avx512 + [.avx512_vnni]),
            v(.gemm, .i8_pc, .i8_pt, .amx, avx512 + [.amx_tile, .amx_int8]),
            v(.gemv, .q4_0, .q8_0, .scalar, []),
            v(.gemv, .q4_0, .q8_0, .avx2, [.avx2, .fma, .f16c]),
            v(.gemv, .q4_0, .q8_0, .avx512_vnni, avx512 + [.avx512_vnni]),
            v(.gemm, .f16, .f32, .scalar, []),
            v(.gemm, .f16, .f32, .avx2, [.avx2, .fma, .f16c]),
            v(.gemm, .f16, .f32, .avx512, avx512),
            v(.gemm, .f16, .f32, .avx512_fp16, avx512 + [.avx512_fp16]),
        ])
    }()

    private let sprLike: Set<CPUFeature> = [
        .sse4_2, .avx, .avx2, .fma, .f16c, .bmi2, .avx512f, .avx512bw, .avx512vl, .avx512dq,
        .avx512cd, .avx512_vnni, .avx512_bf16, .avx512_fp16, .avx_vnni, .amx_tile, .amx_int8, .amx_bf16,
    ]
    private let haswellLike: Set<CPUFeature> = [.sse4_2, .avx, .avx2, .fma, .f16c, .bmi2]

    func testSapphireRapidsLike_getsAMXForInt8AndVNNIForInt4() {
        let p = KernelDispatch.plan(features: sprLike, arch: "x86_64", registry: registry)
        let i8 = p.row(op: .gemm, weightFormat: .i8_pc, activationFormat: .i8_pt)!
        XCTAssertEqual(i8.chosen, .amx)
        // The int8 ladder of the issue (and of DispatchTiers): amx > avx512_vnni > avx_vnni > avx512 > avx2 > scalar.
        XCTAssertEqual(i8.fallbacks, [.avx512_vnni, .avx_vnni, .avx512, .avx2, .scalar])
        XCTAssertEqual(
            [i8.chosen!] + i8.fallbacks,
            DispatchTiers.tiers(features: sprLike, arch: .x86_64)[.int8]!.map(\.variant),
            "the plan and the tiers the probe prints must agree")
        XCTAssertEqual(p.chosen(op: .gemv, weightFormat: .q4_0), .avx512_vnni)
        XCTAssertEqual(p.chosen(op: .gemm, weightFormat: .f16), .avx512_fp16)
    }

    func testHaswellLike_getsAVX2AndExplainsTheRest() {
        let p = KernelDispatch.plan(features: haswellLike, arch: "x86_64", registry: registry)
        let i8 = p.row(op: .gemm, weightFormat: .i8_pc, activationFormat: .i8_pt)!
        XCTAssertEqual(i8.chosen, .avx2)
        XCTAssertEqual(i8.fallbacks, [.scalar])
        let amx = i8.excluded.first { $0.variant == .amx }!
        XCTAssertEqual(amx.reason, "missing_features")
        XCTAssertEqual(amx.detail, ["avx512f", "avx512bw", "avx512vl", "avx512dq", "amx_tile", "amx_int8"])
        XCTAssertEqual(i8.excluded.first { $0.variant == .avx_vnni }?.detail, ["avx_vnni"])
    }

    func testNoFeatures_getsScalarEverywhere() {
        let p = KernelDispatch.plan(features: [], arch: "x86_64", registry: registry)
        XCTAssertTrue(p.rows.allSatisfy { $0.chosen == .scalar && $0.fallbacks.isEmpty })
    }

    func testMaxISA_capsTheLevelButKeepsScalar() throws {
        let lim = DispatchLimits(maxISA: "avx512")
        try KernelDispatch.validate(lim, arch: "x86_64")
        let p = KernelDispatch.plan(features: sprLike, arch: "x86_64", registry: registry, limits: lim)
        // One order: avx_vnni ranks above avx512 in the int8 ladder, so the avx512 cap leaves it out too.
        XCTAssertEqual(p.chosen(op: .gemm, weightFormat: .i8_pc), .avx512)
        XCTAssertEqual(
            p.row(op: .gemm, weightFormat: .i8_pc, activationFormat: .i8_pt)!.fallbacks, [.avx2, .scalar])
        XCTAssertEqual(p.chosen(op: .gemm, weightFormat: .f16), .avx512)
        let ex = p.row(op: .gemm, weightFormat: .i8_pc, activationFormat: .i8_pt)!.excluded
        XCTAssertEqual(Set(ex.map(\.variant)), [.avx_vnni, .avx512_vnni, .amx])
        XCTAssertTrue(ex.allSatisfy { $0.reason == "limit" })
        // Capped at avx_vnni, plain avx512 (below it) stays allowed.
        let vnni = KernelDispatch.plan(
            features: sprLike, arch: "x86_64", registry: registry,
            limits: DispatchLimits(maxISA: "avx_vnni"))
        XCTAssertEqual(
            vnni.row(op: .gemm, weightFormat: .i8_pc, activationFormat: .i8_pt)!.fallbacks,
            [.avx512, .avx2, .scalar])
        XCTAssertEqual(vnni.chosen(op: .gemm, weightFormat: .i8_pc), .avx_vnni)
    }

    func testMaxISAOrder_agreesWithEveryX86Ladder() {
        // The contradiction this replaces: --max-isa ranked avx_vnni below avx512 while the int8 ladder ranked it
        // above. Every x86 ladder is now the level order reversed, restricted to the family.
        let levels = KernelDispatch.levels(arch: "x86_64")
        for family in FormatFamily.allCases {
            let ladder = DispatchTiers.ladder(family, arch: .x86_64).map(\.variant)
            let positions = ladder.map { levels.firstIndex(of: $0)! }
            XCTAssertEqual(positions, positions.sorted(by: >), "\(family): \(ladder) vs levels \(levels)")
        }
    }

    func testAllowedVariants_restrictChoiceToTheList() {
        let p = KernelDispatch.plan(
            features: sprLike, arch: "x86_64", registry: registry,
            limits: DispatchLimits(allowedVariants: ["avx2"]))
        XCTAssertEqual(p.chosen(op: .gemm, weightFormat: .i8_pc), .avx2)
        XCTAssertEqual(p.row(op: .gemm, weightFormat: .i8_pc, activationFormat: .i8_pt)!.fallbacks, [.scalar])
    }

    func testUnknownVariantNames_areRejectedNamingTheFlag() {
        XCTAssertThrowsError(try KernelDispatch.validate(DispatchLimits(maxISA: "avx1024"), arch: "x86_64")) { e in
            XCTAssertTrue("\(e)".hasPrefix("--max-isa: 'avx1024'"), "\(e)")
        }
        XCTAssertThrowsError(try KernelDispatch.validate(DispatchLimits(allowedVariants: ["neon"]), arch: "x86_64")) {
            e in
            XCTAssertTrue("\(e)".hasPrefix("--variants: 'neon'"), "\(e)")
        }
    }

    func testARMPreference_putsNarrowSVEBehindDotProducts() {
        let narrow = KernelDispatch.preference(family: .int8, arch: "aarch64", sveVectorBits: 128)
        XCTAssertLessThan(narrow.firstIndex(of: .neon_dotprod)!, narrow.firstIndex(of: .sve)!)
        let wide = KernelDispatch.preference(family: .int8, arch: "aarch64", sveVectorBits: 512)
        XCTAssertLessThan(wide.firstIndex(of: .sve)!, wide.firstIndex(of: .neon_i8mm)!)
    }

    func testARMGemv_prefersDotprodOverI8MMWhileGemmPrefersI8MM() {
        func v(_ op: KernelOp, _ name: KernelVariantName, _ req: [CPUFeature]) -> KernelVariant {
            KernelVariant(
                op: op, weightFormat: .q4_k, activationFormat: .q8_k, variant: name, requires: req, tolerance: .exact)
        }
        let reg = KernelRegistry(
            variants: [KernelOp.gemv, .gemm].flatMap { op in
                [v(op, .scalar, []), v(op, .neon_dotprod, [.asimd, .asimddp]), v(op, .neon_i8mm, [.asimd, .i8mm])]
            })
        let p = KernelDispatch.plan(features: [.asimd, .asimddp, .i8mm], arch: "aarch64", registry: reg)
        XCTAssertEqual(p.chosen(op: .gemv, weightFormat: .q4_k), .neon_dotprod)
        XCTAssertEqual(
            p.row(op: .gemv, weightFormat: .q4_k, activationFormat: .q8_k)!.fallbacks, [.neon_i8mm, .scalar])
        XCTAssertEqual(p.chosen(op: .gemm, weightFormat: .q4_k), .neon_i8mm)
        // Without dotprod (no such CPU ships, but the plan must still run what is there), gemv takes i8mm.
        let noDot = KernelDispatch.plan(features: [.asimd, .i8mm], arch: "aarch64", registry: reg)
        XCTAssertEqual(noDot.chosen(op: .gemv, weightFormat: .q4_k), .neon_i8mm)
    }

    func testBuiltInRegistry_planForThisHostChoosesOnlyRunnableVariants() {
        let f = KernelTestSupport.hostFeatures
        #if arch(x86_64)
        let arch = "x86_64"
        #else
        let arch = "aarch64"
        #endif
        let reg = KernelRegistry.builtIn
        let p = KernelDispatch.plan(features: f, arch: arch, registry: reg)
        XCTAssertEqual(p.rows.count, reg.triples.count)
        for row in p.rows {
            let chosen = reg.variants.first {
                $0.op == row.op && $0.weightFormat == row.weightFormat
                    && $0.activationFormat == row.activationFormat && $0.variant == row.chosen
            }
            XCTAssertEqual(chosen?.missing(from: f), [], "\(row)")
            XCTAssertEqual(row.fallbacks.last ?? row.chosen, .scalar)
        }
    }
}
