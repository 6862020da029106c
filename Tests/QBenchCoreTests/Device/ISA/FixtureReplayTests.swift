// Replays every real-machine CPUID dump and checks the facts the fixtures README states for each machine.
import XCTest
@testable import QBenchSupport
@testable import QBenchDevice

final class FixtureReplayTests: XCTestCase {
    struct Facts {
        var vendor: String
        var brand: String
        var family: Int, model: Int, stepping: Int
        var usable: [CPUFeature]
        var absent: [CPUFeature]
    }

    // Family/model/stepping worked out by hand from each dump's CPUID.1:EAX; brands from leaves 0x80000002-4.
    static let facts: [String: Facts] = [
        "Intel-Westmere-2xXeon-X5650": Facts(
            vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) CPU X5650 @ 2.67GHz",
            family: 6, model: 0x2C, stepping: 2,
            usable: [.sse2, .ssse3, .sse4_1, .sse4_2, .popcnt], absent: [.avx, .avx2]),
        "Intel-SandyBridge-2xXeon-E5-2650": Facts(
            vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) CPU E5-2650 0 @ 2.00GHz",
            family: 6, model: 0x2D, stepping: 7,
            usable: [.sse4_2, .avx], absent: [.avx2, .fma, .f16c, .avx512f]),
        "Intel-Haswell-2xXeon-E5-2680v3": Facts(
            vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz",
            family: 6, model: 0x3F, stepping: 2,
            usable: [.avx, .avx2, .fma, .f16c, .bmi2],
            absent: [.avx512f, .avx512bw, .avx512vl, .avx512dq, .avx512cd, .avx512_vnni]),
        "Intel-Skylake-2xXeon6140": Facts(
            vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) Gold 6140 CPU @ 2.30GHz",
            family: 6, model: 0x55, stepping: 4,
            usable: [.avx2, .avx512f, .avx512bw, .avx512vl, .avx512dq, .avx512cd],
            absent: [.avx512_vnni, .avx512_bf16, .avx_vnni]),
        "Intel-CascadeLake-2xXeon6230": Facts(
            vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
            family: 6, model: 0x55, stepping: 7,
            usable: [.avx512f, .avx512bw, .avx512vl, .avx512dq, .avx512_vnni],
            absent: [.avx512_bf16, .avx512_fp16, .amx_tile]),
        "Intel-KnightsLanding-XeonPhi-7210": Facts(
            vendor: "GenuineIntel", brand: "Intel(R) Xeon Phi(TM) CPU 7210 @ 1.30GHz",
            family: 6, model: 0x57, stepping: 1,
            usable: [.avx2, .avx512f, .avx512cd, .avx512er, .avx512pf],
            absent: [.avx512bw, .avx512vl, .avx512dq]),
        "Intel-SapphireRapids-2xXeonMax9460": Facts(
            vendor: "GenuineIntel", brand: "Intel (R) Xeon (R) CPU Max 9460",
            family: 6, model: 0x8F, stepping: 8,
            usable: [
                .avx512_vnni, .avx512_bf16, .avx512_fp16, .avx_vnni,
                .amx_tile, .amx_int8, .amx_bf16,
            ],
            absent: [.amx_fp16, .avx_vnni_int8, .avx512er]),
        "Intel-RaptorLake-Corei7-1370P": Facts(
            vendor: "GenuineIntel", brand: "13th Gen Intel(R) Core(TM) i7-1370P",
            family: 6, model: 0xBA, stepping: 2,
            usable: [.avx2, .fma, .f16c, .avx_vnni],
            absent: [.avx512f, .avx512_vnni, .amx_tile]),
        "AMD-17h-Zen-2xEpyc-7451": Facts(
            vendor: "AuthenticAMD", brand: "AMD EPYC 7451 24-Core Processor",
            family: 0x17, model: 1, stepping: 2,
            usable: [.avx2, .fma, .f16c], absent: [.avx512f]),
        "AMD-19h-Zen3-2xEpyc-7763": Facts(
            vendor: "AuthenticAMD", brand: "AMD EPYC 7763 64-Core Processor",
            family: 0x19, model: 1, stepping: 1,
            usable: [.avx2, .fma, .f16c], absent: [.avx512f, .avx_vnni]),
        "Hygon-Dhyana-32cores": Facts(
            vendor: "HygonGenuine", brand: "Hygon Dhyana Eng Sample",
            family: 0x18, model: 0, stepping: 0,
            usable: [.avx2, .fma], absent: [.avx512f]),
        "AMD-19h-Zen4-2xEpyc-9654": Facts(
            vendor: "AuthenticAMD", brand: "AMD EPYC 9654 96-Core Processor",
            family: 0x19, model: 0x11, stepping: 1,
            usable: [.avx512f, .avx512bw, .avx512vl, .avx512dq, .avx512_vnni, .avx512_bf16],
            absent: [.avx512_fp16, .amx_tile, .amx_int8, .amx_bf16, .avx_vnni]),
    ]

    func testReplay_everyFixtureMatchesItsReadmeFacts() throws {
        let machines = try ISAFixtures.machines()
        XCTAssertFalse(machines.isEmpty, "no machine folders under fixtures/cpuid")
        for machine in machines {
            guard let f = Self.facts[machine] else {
                XCTFail("\(machine): no facts listed in FixtureReplayTests for this fixture; add them from the README")
                continue
            }
            for pu in try ISAFixtures.puFiles(machine) {
                let r = try ISAProbe.replay(dump: pu)
                let where_ = "\(machine)/\(pu.lastPathComponent)"
                XCTAssertEqual(r.arch, .x86_64, where_)
                XCTAssertEqual(r.source, "fixture", where_)
                XCTAssertEqual(r.vendor, f.vendor, where_)
                XCTAssertEqual(r.model, f.brand, where_)
                XCTAssertEqual(r.family, f.family, where_)
                XCTAssertEqual(r.modelNumber, f.model, where_)
                XCTAssertEqual(r.stepping, f.stepping, where_)
                XCTAssertNil(r.hypervisor, "\(where_): bare-metal dump has no hypervisor bit")
                for feature in f.usable { XCTAssertTrue(r.has(feature), "\(where_): expected \(feature) usable") }
                for feature in f.absent {
                    XCTAssertFalse(r.reported.contains(feature), "\(where_): \(feature) should not be reported")
                }
                // With XCR0 = everything leaf 0xD supports (the fixture default), the OS enables all CPU state.
                XCTAssertEqual(r.unusable, [], where_)
                XCTAssertEqual(r.usable, r.reported, where_)
            }
        }
    }

    func testReplay_raptorLakeBothCoreTypesHaveAVXVNNIButNoAVX512() throws {
        for pu in ["pu0", "pu19"] {
            let r = try ISAFixtures.replay("Intel-RaptorLake-Corei7-1370P", pu: pu)
            XCTAssertTrue(r.has(.avx2), pu)
            XCTAssertTrue(r.has(.avx_vnni), pu)
            XCTAssertFalse(r.reported.contains(.avx512f), pu)
        }
    }

    func testReplay_sapphireRapidsXCR0DefaultsToLeafDSupportedState() throws {
        let r = try ISAFixtures.replay("Intel-SapphireRapids-2xXeonMax9460")
        XCTAssertEqual(r.xcr0, XCR0Reading(value: 0x602E7, source: .fixtureLeaf0xD))
        let info = r.cpuInfo()
        XCTAssertEqual(info.xcr0, "0x602e7")
        XCTAssertEqual(info.xcr0Source, "fixture-leaf-0xd")
        XCTAssertEqual(info.arch, "x86_64")
        XCTAssertEqual(info.features, info.features.sorted(), "features must be in canonical order")
        XCTAssertTrue(info.features.contains(.amx_int8))
    }

    func testReplay_westmereHasNoXCR0BecauseXSAVEIsAbsent() throws {
        let r = try ISAFixtures.replay("Intel-Westmere-2xXeon-X5650")
        XCTAssertNil(r.xcr0)
        XCTAssertNil(r.cpuInfo().xcr0)
        XCTAssertNil(r.cpuInfo().xcr0Source)
    }

    func testReplay_folderAndPu0FileGiveTheSameReport() throws {
        let folder = try ISAFixtures.replay("AMD-19h-Zen4-2xEpyc-9654")
        let file = try ISAFixtures.replay("AMD-19h-Zen4-2xEpyc-9654", pu: "pu0")
        XCTAssertEqual(folder, file)
    }

    func testCPUInfo_encodesWithSnakeCaseKeysAndCanonicalNames() throws {
        let info = try ISAFixtures.replay("Intel-Skylake-2xXeon6140", xcr0: 0x7).cpuInfo()
        let json = String(decoding: try QBJSON.encode(info), as: UTF8.self)
        XCTAssertTrue(json.contains("\"unusable_features\""), json)
        XCTAssertTrue(json.contains("\"xcr0_source\" : \"override\""), json)
        XCTAssertTrue(json.contains("\"avx512f\""), json)
        XCTAssertEqual(try QBJSON.decoder().decode(CPUInfo.self, from: try QBJSON.encode(info)), info)
    }
}
