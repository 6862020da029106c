// XCR0 decides which reported features are usable: overrides model an OS or VM that leaves vector state off.
import XCTest
@testable import QBenchSupport
@testable import QBenchDevice

final class XCR0Tests: XCTestCase {
    static let avx512Machines = [
        "Intel-Skylake-2xXeon6140", "Intel-CascadeLake-2xXeon6230",
        "Intel-KnightsLanding-XeonPhi-7210", "Intel-SapphireRapids-2xXeonMax9460",
        "AMD-19h-Zen4-2xEpyc-9654",
    ]

    func testXCR0WithoutAVX512State_movesEveryAVX512FeatureToUnusableAndKeepsAVX2() throws {
        for machine in Self.avx512Machines {
            let r = try ISAFixtures.replay(machine, xcr0: 0x7)
            XCTAssertEqual(r.xcr0, XCR0Reading(value: 0x7, source: .override), machine)
            let avx512 = r.reported.filter { $0.rawValue.hasPrefix("avx512") }
            XCTAssertFalse(avx512.isEmpty, machine)
            for f in avx512 {
                XCTAssertFalse(r.has(f), "\(machine): \(f) must not be usable with XCR0 0x7")
                XCTAssertEqual(r.reason(f), "XCR0 lacks AVX-512 state (bits 5-7): 0x7", "\(machine): \(f)")
            }
            XCTAssertTrue(r.has(.avx2), machine)
            XCTAssertTrue(r.has(.fma), machine)
            XCTAssertTrue(r.has(.avx), machine)
        }
    }

    func testXCR0WithoutAVXState_makesAVXAVX2AndFMAUnusable() throws {
        let r = try ISAFixtures.replay("Intel-Haswell-2xXeon-E5-2680v3", xcr0: 0x3)
        for f: CPUFeature in [.avx, .avx2, .fma, .f16c] {
            XCTAssertFalse(r.has(f), "\(f)")
            XCTAssertEqual(r.reason(f), "XCR0 lacks AVX state (bits 1-2): 0x3", "\(f)")
        }
        // SSE and GPR features need no XSAVE state.
        XCTAssertTrue(r.has(.sse4_2))
        XCTAssertTrue(r.has(.popcnt))
        XCTAssertTrue(r.has(.bmi2))
    }

    func testXCR0WithoutAVXState_reportsAVXStateFirstForAVX512Features() throws {
        let r = try ISAFixtures.replay("Intel-Skylake-2xXeon6140", xcr0: 0x3)
        XCTAssertEqual(r.reason(.avx512f), "XCR0 lacks AVX state (bits 1-2): 0x3")
        XCTAssertTrue(r.has(.sse4_2))
    }

    func testSapphireRapidsWithoutTileState_makesAMXUnusableButKeepsAVX512() throws {
        let r = try ISAFixtures.replay("Intel-SapphireRapids-2xXeonMax9460", xcr0: 0x2E7)
        for f: CPUFeature in [.amx_tile, .amx_int8, .amx_bf16] {
            XCTAssertFalse(r.has(f), "\(f)")
            XCTAssertEqual(r.reason(f), "XCR0 lacks AMX tile state (bits 17-18): 0x2e7", "\(f)")
        }
        XCTAssertTrue(r.has(.avx512_vnni))
        XCTAssertTrue(r.has(.avx512_fp16))
        XCTAssertTrue(r.has(.avx512_bf16))
    }

    func testUnusableFeatures_areListedInCanonicalOrder() throws {
        let r = try ISAFixtures.replay("Intel-SapphireRapids-2xXeonMax9460", xcr0: 0x3)
        let names = r.unusable.map(\.name)
        XCTAssertEqual(names, names.sorted())
        XCTAssertTrue(names.contains(.amx_tile))
        XCTAssertTrue(names.contains(.avx))
    }

    // MARK: --xcr0 parsing

    func testXCR0Option_acceptsHexWithOrWithoutPrefix() throws {
        XCTAssertEqual(try XCR0Option.parse("0xe7"), 0xE7)
        XCTAssertEqual(try XCR0Option.parse("E7"), 0xE7)
        XCTAssertEqual(try XCR0Option.parse("0X602E7"), 0x602E7)
        XCTAssertEqual(try XCR0Option.parse(" 0x7 "), 0x7)
        XCTAssertEqual(try XCR0Option.parse("0"), 0)
        XCTAssertEqual(try XCR0Option.parse("ffffffffffffffff"), UInt64.max)
        XCTAssertEqual(try XCR0Option.parse("0x0000000000000000007"), 0x7, "leading zeros do not count as width")
    }

    func testXCR0Option_rejectsBadValuesNamingTheFlag() {
        for bad in [
            "zz", "", "  ", "-1", "-0x7", "0x", "+7", "0x1ffffffffffffffff", "12345678901234567", "0xe7g", "7 7",
        ] {
            XCTAssertThrowsError(try XCR0Option.parse(bad), "`\(bad)` should be rejected") { error in
                guard case let QBError.badOption(flag, message)? = error as? QBError else {
                    return XCTFail("`\(bad)`: expected QBError.badOption, got \(error)")
                }
                XCTAssertEqual(flag, "--xcr0")
                XCTAssertFalse(message.contains("\n"))
                XCTAssertTrue(message.contains("hex"), message)
            }
        }
    }
}
