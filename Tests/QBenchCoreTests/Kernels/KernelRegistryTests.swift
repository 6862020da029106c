import Foundation
import XCTest
import CQBench
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
                        && $0.activationFormat == t.activationFormat && $0.variant == .scalar
                }, "\(t) has no scalar reference")
        }
    }

    func testRegistry_everyCEntryMapsToTheTypedVocabulary() {
        var count: Int32 = 0
        XCTAssertNotNil(qb_kernel_registry(&count))
        XCTAssertEqual(KernelRegistry.builtIn.rejected, [])
        XCTAssertEqual(KernelRegistry.builtIn.variants.count, Int(count))
        for v in KernelRegistry.builtIn.variants where v.variant == .scalar { XCTAssertTrue(v.requires.isEmpty, v.key) }
    }

    func testVariantNames_eachHasOneRowPerArchitectureInTheVariantTable() {
        let rows = VariantTable.x86 + VariantTable.aarch64
        for name in KernelVariantName.allCases {
            XCTAssertEqual(rows.filter { $0.name == name }.count, name == .scalar ? 2 : 1, "\(name)")
        }
    }

    func testVariantCoding_keepsTheCRegistrySpellings() throws {
        let q = try XCTUnwrap(KernelRegistry.builtIn.variant("quantize_row/i8_pt/i8_pt/scalar"))
        XCTAssertNil(q.weightFormat)
        let g = try XCTUnwrap(KernelRegistry.builtIn.variant("gemv/u4_g64/i8_pt/scalar"))
        XCTAssertEqual(g.weightFormat, .u4_g64)
        for v in [q, g] {
            let json = try XCTUnwrap(String(data: try JSONEncoder().encode(v), encoding: .utf8))
            let parts = v.key.split(separator: "/")
            XCTAssertTrue(json.contains("\"weightFormat\":\"\(parts[1])\""), json)
            XCTAssertTrue(json.contains("\"variant\":\"scalar\""), json)
            XCTAssertEqual(try JSONDecoder().decode(KernelVariant.self, from: Data(json.utf8)), v)
        }
    }

    func testRegistry_anEntryWithUnknownNamesIsRejectedNamingTheName() {
        func map(_ op: String, _ w: String, _ x: String, _ v: String, _ req: String) -> String? {
            do {
                _ = try KernelRegistry.map(
                    op: op, wfmt: w, afmt: x, variant: v, requires: req, repack: "", rowAlign: 0, tolerance: "")
                return nil
            } catch { return "\(error)" }
        }
        XCTAssertNil(map("gemv", "q8_0", "q8_0", "avx2", "avx2,fma"))
        XCTAssertNil(map("quantize_row", "i8_pt", "i8_pt", "scalar", ""))
        XCTAssertEqual(map("gemv", "q9_0", "q8_0", "avx2", "")?.contains("weight format 'q9_0'"), true)
        XCTAssertEqual(map("gemv", "q8_0", "q8_9", "avx2", "")?.contains("activation format 'q8_9'"), true)
        XCTAssertEqual(map("gemv", "q8_0", "q8_0", "avx3", "")?.contains("variant 'avx3'"), true)
        XCTAssertEqual(map("gemv", "q8_0", "q8_0", "avx2", "avx2,warp")?.contains("CPU feature 'warp'"), true)
        XCTAssertEqual(map("quantize_row", "q8_0", "q8_1", "scalar", "")?.contains("quantize_row"), true)
        XCTAssertEqual(map("dot", "q8_0", "q8_0", "scalar", "")?.contains("op 'dot'"), true)
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
            if v.weightFormat?.isInteger == true {
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
