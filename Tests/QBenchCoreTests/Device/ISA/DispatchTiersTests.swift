// Dispatch tiers as a pure function of usable features: what each real machine (and modelled OS) would get.
import XCTest
@testable import QBenchSupport
@testable import QBenchDevice
@testable import QBenchKernels

final class DispatchTiersTests: XCTestCase {
    private func variants(
        _ machine: String, pu: String? = nil, xcr0: UInt64? = nil
    ) throws -> [FormatFamily: [KernelVariantName]] {
        let r = try ISAFixtures.replay(machine, pu: pu, xcr0: xcr0)
        return r.dispatchTiers().mapValues { $0.map(\.variant) }
    }

    func testTiers_sapphireRapidsGetsAMXFirstForInt8AndBF16() throws {
        let v = try variants("Intel-SapphireRapids-2xXeonMax9460")
        XCTAssertEqual(v[.int8], [.amx, .avx512_vnni, .avx_vnni, .avx512, .avx2, .scalar])
        XCTAssertEqual(v[.int4], [.avx512_vnni, .avx_vnni, .avx512, .avx2, .scalar])
        XCTAssertEqual(v[.bf16], [.amx, .avx512_bf16, .avx512, .avx2, .scalar])
        XCTAssertEqual(v[.fp16], [.avx512_fp16, .avx512, .avx2, .scalar])
        XCTAssertEqual(v[.f32], [.avx512, .avx2, .scalar])
    }

    func testTiers_firstInt8VariantPerMachine() throws {
        let expected: [String: KernelVariantName] = [
            "Intel-Westmere-2xXeon-X5650": .scalar,
            "Intel-SandyBridge-2xXeon-E5-2650": .scalar,  // AVX without AVX2/FMA: no SIMD int8 tier
            "Intel-Haswell-2xXeon-E5-2680v3": .avx2,
            "Intel-Skylake-2xXeon6140": .avx512,
            "Intel-CascadeLake-2xXeon6230": .avx512_vnni,
            "Intel-KnightsLanding-XeonPhi-7210": .avx2,  // no BW/VL/DQ: not the avx512 baseline
            "Intel-SapphireRapids-2xXeonMax9460": .amx,
            "Intel-RaptorLake-Corei7-1370P": .avx_vnni,
            "AMD-17h-Zen-2xEpyc-7451": .avx2,
            "AMD-19h-Zen3-2xEpyc-7763": .avx2,
            "Hygon-Dhyana-32cores": .avx2,
            "AMD-19h-Zen4-2xEpyc-9654": .avx512_vnni,
        ]
        for (machine, first) in expected {
            XCTAssertEqual(try variants(machine)[.int8]?.first, first, machine)
        }
    }

    func testTiers_westmereGetsScalarOnlyEverywhere() throws {
        let v = try variants("Intel-Westmere-2xXeon-X5650")
        for family in FormatFamily.allCases { XCTAssertEqual(v[family], [.scalar], "\(family)") }
    }

    func testTiers_zen4HasBF16ButNoFP16Tier() throws {
        let v = try variants("AMD-19h-Zen4-2xEpyc-9654")
        XCTAssertEqual(v[.bf16]?.first, .avx512_bf16)
        XCTAssertEqual(v[.fp16], [.avx512, .avx2, .scalar])
        XCTAssertFalse(v[.int8]?.contains(.amx) ?? true)
    }

    func testTiers_raptorLakeEfficiencyCoreGetsTheSameLadder() throws {
        XCTAssertEqual(
            try variants("Intel-RaptorLake-Corei7-1370P", pu: "pu19"),
            try variants("Intel-RaptorLake-Corei7-1370P", pu: "pu0"))
    }

    func testTiers_followXCR0Overrides() throws {
        let noTiles = try variants("Intel-SapphireRapids-2xXeonMax9460", xcr0: 0x2E7)
        XCTAssertEqual(noTiles[.int8]?.first, .avx512_vnni)
        XCTAssertEqual(noTiles[.bf16]?.first, .avx512_bf16)
        let noAVX512 = try variants("Intel-SapphireRapids-2xXeonMax9460", xcr0: 0x7)
        XCTAssertEqual(noAVX512[.int8], [.avx_vnni, .avx2, .scalar])
        XCTAssertEqual(noAVX512[.f32], [.avx2, .scalar])
        let noAVX = try variants("Intel-Haswell-2xXeon-E5-2680v3", xcr0: 0x3)
        XCTAssertEqual(noAVX[.int8], [.scalar])
    }

    func testTiers_everyListedTierHasItsRequirementsAndEndsWithScalar() throws {
        for machine in try ISAFixtures.machines() {
            let r = try ISAFixtures.replay(machine)
            for (family, tiers) in r.dispatchTiers() {
                XCTAssertEqual(tiers.last, DispatchTier(variant: .scalar, requires: []), "\(machine) \(family)")
                for t in tiers {
                    XCTAssertTrue(Set(t.requires).isSubset(of: r.usable), "\(machine) \(family) \(t.variant)")
                }
            }
        }
    }

    func testTiers_avx2NeedsFMAAndF16C() {
        let v = DispatchTiers.variants(features: [.avx, .avx2, .fma], arch: .x86_64)
        XCTAssertEqual(v[.int8], [.scalar])
        let w = DispatchTiers.variants(features: [.avx, .avx2, .fma, .f16c], arch: .x86_64)
        XCTAssertEqual(w[.int8], [.avx2, .scalar])
    }

    func testTiers_amxNeedsTileInt8AndAVX512State() {
        let v = DispatchTiers.variants(features: [.amx_int8], arch: .x86_64)
        XCTAssertEqual(v[.int8], [.scalar])
        // The AMX kernels pack with AVX-512, as the C registry declares: tiles alone (an OS that enables AMX state
        // but not AVX-512 state) do not qualify.
        XCTAssertEqual(DispatchTiers.variants(features: [.amx_tile, .amx_int8], arch: .x86_64)[.int8], [.scalar])
        let avx512: Set<CPUFeature> = [.avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512dq]
        XCTAssertEqual(
            DispatchTiers.variants(features: avx512.union([.amx_tile, .amx_int8]), arch: .x86_64)[.int8],
            [.amx, .avx512, .avx2, .scalar])
    }

    func testTiers_armOrderingDependsOnSVEWidth() {
        let graviton3: Set<CPUFeature> = [.asimd, .asimddp, .asimdhp, .fphp, .i8mm, .bf16, .sve, .svei8mm, .svebf16]
        let wide = DispatchTiers.variants(features: graviton3, arch: .aarch64, sveVectorBits: 256)
        XCTAssertEqual(wide[.int8], [.sve, .neon_i8mm, .neon_dotprod, .neon, .scalar])
        XCTAssertEqual(wide[.f32], [.sve, .neon, .scalar])
        XCTAssertEqual(wide[.fp16], [.neon_fp16, .sve, .neon, .scalar])
        XCTAssertEqual(wide[.bf16], [.neon_bf16, .sve, .neon, .scalar])
        let narrow = DispatchTiers.variants(features: graviton3.union([.sve2]), arch: .aarch64, sveVectorBits: 128)
        XCTAssertEqual(narrow[.int8], [.neon_i8mm, .neon_dotprod, .sve2, .sve, .neon, .scalar])
        XCTAssertEqual(narrow[.fp16], [.neon_fp16, .neon, .sve, .scalar])
        XCTAssertEqual(narrow[.bf16], [.neon_bf16, .neon, .sve, .scalar])
        // gemv (one token) puts sdot before smmla, whose 2x2 tile would waste half its products; gemm keeps i8mm first.
        let gemvWide = DispatchTiers.tiers(features: graviton3, arch: .aarch64, sveVectorBits: 256, op: .gemv)
        XCTAssertEqual(gemvWide[.int4]?.map(\.variant), [.sve, .neon_dotprod, .neon_i8mm, .neon, .scalar])
        let gemvNarrow = DispatchTiers.tiers(features: graviton3, arch: .aarch64, sveVectorBits: 128, op: .gemv)
        XCTAssertEqual(gemvNarrow[.int8]?.map(\.variant), [.neon_dotprod, .neon_i8mm, .sve, .neon, .scalar])
        let gemmNarrow = DispatchTiers.tiers(features: graviton3, arch: .aarch64, sveVectorBits: 128, op: .gemm)
        XCTAssertEqual(gemmNarrow[.int8]?.map(\.variant), [.neon_i8mm, .neon_dotprod, .sve, .neon, .scalar])
    }

    func testTiers_a64fxPutsSVEFirstForFloats() {
        // A64FX: 512-bit SVE and fp16 arithmetic, no dot-product, i8mm or bf16 instructions.
        let a64fx: Set<CPUFeature> = [.asimd, .asimdhp, .fphp, .sve]
        let v = DispatchTiers.variants(features: a64fx, arch: .aarch64, sveVectorBits: 512)
        XCTAssertEqual(v[.fp16], [.sve, .neon_fp16, .neon, .scalar])
        XCTAssertEqual(v[.bf16], [.sve, .neon, .scalar])
        XCTAssertEqual(v[.f32], [.sve, .neon, .scalar])
        XCTAssertEqual(v[.int8], [.sve, .neon, .scalar])
    }

    func testTiers_plainNeonDevice() {
        let v = DispatchTiers.variants(features: [.asimd], arch: .aarch64)
        XCTAssertEqual(v[.int8], [.neon, .scalar])
        XCTAssertEqual(v[.fp16], [.neon, .scalar])
        XCTAssertEqual(v[.bf16], [.neon, .scalar])
    }

    func testTiers_x86FeaturesGiveNothingOnARMAndViceVersa() {
        XCTAssertEqual(DispatchTiers.variants(features: [.avx2, .fma, .f16c], arch: .aarch64)[.int8], [.scalar])
        XCTAssertEqual(DispatchTiers.variants(features: [.asimd, .asimddp], arch: .x86_64)[.int8], [.scalar])
    }
}

extension DispatchTiersTests {
    func testTiers_encodeAsObjectKeyedByFamily() throws {
        let tiers = DispatchTiers.tiers(features: [.avx, .avx2, .fma, .f16c], arch: .x86_64)
        let json = String(decoding: try QBJSON.encode(tiers), as: UTF8.self)
        XCTAssertTrue(json.contains("\"int8\" : ["), json)
        XCTAssertTrue(json.contains("\"variant\" : \"avx2\""), json)
        XCTAssertTrue(json.contains("\"requires\" : ["), json)
        XCTAssertEqual(
            try QBJSON.decoder().decode([FormatFamily: [DispatchTier]].self, from: try QBJSON.encode(tiers)), tiers)
    }
}
