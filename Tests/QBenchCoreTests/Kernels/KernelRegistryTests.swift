import XCTest
@testable import QBenchDevice
@testable import QBenchKernels

final class KernelRegistryTests: XCTestCase {
    func testRegistry_hasScalarForEveryTripleAndNoDuplicates() {
        let reg = KernelRegistry.builtIn
        XCTAssertFalse(reg.variants.isEmpty)
        XCTAssertEqual(Set(reg.variants.map(\.key)).count, reg.variants.count, "duplicate registry keys")
        for t in reg.triples {
            XCTAssertTrue(
                reg.variants.contains {
                    $0.op == t.op && $0.weightFormat == t.weightFormat
                        && $0.activationFormat == t.activationFormat && $0.variant == "scalar"
                }, "\(t) has no scalar reference")
        }
    }

    func testRegistry_requiresOnlyCanonicalFeatureNames() {
        for v in KernelRegistry.builtIn.variants {
            for name in v.requires {
                XCTAssertNotNil(CPUFeature(rawValue: name), "\(v.key) requires unknown feature '\(name)'")
            }
            if v.variant == "scalar" { XCTAssertTrue(v.requires.isEmpty, v.key) }
        }
    }

    func testRegistry_variantNamesBelongToTheArchitecture() {
        #if arch(x86_64)
        let arch = "x86_64"
        #elseif arch(arm64)
        let arch = "aarch64"
        #else
        let arch = "other"
        #endif
        let known = Set(KernelDispatch.levels(arch: arch))
        for v in KernelRegistry.builtIn.variants { XCTAssertTrue(known.contains(v.variant), "\(v.key) on \(arch)") }
    }

    func testRegistry_integerEntriesAreExactAndFloatEntriesCarryABound() {
        for v in KernelRegistry.builtIn.variants where v.op != .quantizeRow {
            if KernelFormats.isInteger(v.weightFormat) {
                XCTAssertEqual(v.tolerance, .exact, v.key)
            } else if case let .float(b, rel) = v.tolerance {
                XCTAssertLessThanOrEqual(b, 5e-4, v.key)
                XCTAssertLessThanOrEqual(rel, 2e-2, v.key)
            } else {
                XCTFail("\(v.key) float entry claims exactness")
            }
        }
    }

    #if arch(x86_64)
    func testRegistry_x86HasTheBestPathForEachFormatFamily() {
        let reg = KernelRegistry.builtIn
        for key in [
            "gemv/q8_0/q8_0/avx512_vnni", "gemm/q8_0/q8_0/avx512_vnni", "gemv/q4_0/q8_0/avx512_vnni",
            "gemm/i8_pc/i8_pt/amx", "gemm/q8_0/q8_0/amx", "gemm/bf16/bf16/amx", "gemv/bf16/bf16/avx512_bf16",
            "gemm/f16/f32/avx512_fp16", "gemv/q4_0/q8_0/avx_vnni", "gemv/f16/f32/avx2",
            "gemm/u4_g128/i8_pt/avx512_vnni",
        ] {
            XCTAssertNotNil(reg.variant(key), key)
        }
    }
    #endif

    func testTolerance_parsesEntryText() {
        XCTAssertEqual(KernelTolerance.parse("exact"), .exact)
        XCTAssertEqual(
            KernelTolerance.parse("nmse<=5e-4 (fp16 partial sums)"),
            .float(nmse: 5e-4, perOutput: KernelTolerance.defaultPerOutput))
        XCTAssertEqual(KernelTolerance.parse("nmse<=1e-3 rel<=2e-2 (why)"), .float(nmse: 1e-3, perOutput: 2e-2))
        XCTAssertNil(KernelTolerance.parse("nmse<=1e-3 rel<=much"))
        XCTAssertNil(KernelTolerance.parse(""))
        XCTAssertNil(KernelTolerance.parse("nmse<=lots"))
    }
}
