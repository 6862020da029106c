// ARM decoding on hand-built HWCAP/HWCAP2, sysctl and MIDR values (runs on any host: the decoders are pure).
import XCTest
@testable import QBenchDevice

final class ARMDecoderTests: XCTestCase {
    // Bit numbers written out from linux arch/arm64/include/uapi/asm/hwcap.h, independently of the decoder.
    func testLinuxHWCAP_eachDocumentedBitMapsToItsFeature() {
        let hwcap: [(CPUFeature, UInt64)] = [(.asimd, 1), (.fphp, 9), (.asimdhp, 10), (.asimddp, 20), (.sve, 22)]
        let hwcap2: [(CPUFeature, UInt64)] = [
            (.sve2, 1), (.svei8mm, 9), (.svebf16, 12), (.i8mm, 13), (.bf16, 14),
            (.sme, 23), (.sme2, 37),
        ]
        for (f, bit) in hwcap {
            XCTAssertEqual(ARMLinuxDecoder.features(hwcap: 1 << bit, hwcap2: 0), [f], "HWCAP bit \(bit)")
        }
        for (f, bit) in hwcap2 {
            XCTAssertEqual(ARMLinuxDecoder.features(hwcap: 0, hwcap2: 1 << bit), [f], "HWCAP2 bit \(bit)")
        }
    }

    func testLinuxHWCAP_ignoresBitsWithoutACanonicalFeature() {
        // fp(0) evtstrm(2) aes(3) ... and HWCAP2 dcpodp(0), sme_i16i64(24): none is a canonical feature.
        XCTAssertEqual(ARMLinuxDecoder.features(hwcap: 0b1101, hwcap2: 1 | 1 << 24), [])
    }

    /// A Neoverse V1 (Graviton3) as Linux reports it: features `fp asimd evtstrm aes pmull sha1 sha2 crc32
    /// atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit
    /// uscat ilrcpc flagm ssbs paca pacg dcpodp svei8mm svebf16 i8mm bf16 dgh rng`, 256-bit SVE.
    static let graviton3 = CapturedHardware(
        arch: .aarch64, os: .linux, sourceLabel: "fixture",
        auxv: [16: 0xDFFF_FFFF, 26: 0x1F201], sveBytes: 32, midr: 0x411F_D401)

    func testLinuxProbe_graviton3LikeValues() {
        let r = ISAProbe.probe(Self.graviton3)
        XCTAssertEqual(r.arch, .aarch64)
        XCTAssertEqual(r.features, [.asimd, .asimddp, .asimdhp, .fphp, .i8mm, .bf16, .sve, .svei8mm, .svebf16])
        XCTAssertEqual(r.unusable, [])
        XCTAssertEqual(r.sveVectorBits, 256)
        XCTAssertEqual(r.vendor, "ARM")
        XCTAssertEqual(r.model, "part 0xd40 r1p1")
        XCTAssertEqual(r.modelNumber, 0xD40)
        XCTAssertNil(r.xcr0)
        let info = r.cpuInfo()
        XCTAssertEqual(info.arch, "aarch64")
        XCTAssertEqual(info.sveVectorBits, 256)
        XCTAssertNil(info.xcr0)
    }

    func testSVEVectorBits_onlyWhenSVEIsUsableAndLengthIsArchitectural() {
        XCTAssertEqual(ARMLinuxDecoder.sveVectorBits(features: [.sve], vectorLengthBytes: 16), 128)
        XCTAssertEqual(ARMLinuxDecoder.sveVectorBits(features: [.sve], vectorLengthBytes: 64), 512)
        XCTAssertNil(ARMLinuxDecoder.sveVectorBits(features: [.asimd], vectorLengthBytes: 32), "no SVE in HWCAP")
        XCTAssertNil(ARMLinuxDecoder.sveVectorBits(features: [.sve], vectorLengthBytes: nil))
        XCTAssertNil(
            ARMLinuxDecoder.sveVectorBits(features: [.sve], vectorLengthBytes: 24), "not a multiple of 128 bits")
        XCTAssertNil(ARMLinuxDecoder.sveVectorBits(features: [.sve], vectorLengthBytes: 512), "beyond 2048 bits")
    }

    func testMIDR_unknownImplementerIsNamedByNumber() {
        let id = ARMLinuxDecoder.identify(midr: 0x7A00_1230)
        XCTAssertEqual(id.vendor, "implementer 0x7a")
        XCTAssertEqual(id.part, 0x123)
        XCTAssertEqual(ARMLinuxDecoder.identify(midr: nil).vendor, "unknown")
    }

    func testDarwinSysctl_mapsFeatureNames() {
        // An M2 as `sysctl hw.optional` shows it: no SME.
        let m2: [String: Int64] = [
            "hw.optional.AdvSIMD": 1, "hw.optional.arm.FEAT_DotProd": 1, "hw.optional.arm.FEAT_FP16": 1,
            "hw.optional.arm.FEAT_I8MM": 1, "hw.optional.arm.FEAT_BF16": 1, "hw.optional.arm.FEAT_SME": 0,
            "hw.optional.arm.FEAT_SHA3": 1,
        ]
        XCTAssertEqual(ARMDarwinDecoder.features(sysctls: m2), [.asimd, .asimddp, .fphp, .asimdhp, .i8mm, .bf16])
        XCTAssertEqual(
            ARMDarwinDecoder.features(sysctls: ["hw.optional.arm.FEAT_SME": 1, "hw.optional.arm.FEAT_SME2": 1]),
            [.sme, .sme2])
        XCTAssertEqual(ARMDarwinDecoder.features(sysctls: [:]), [])
    }

    func testDarwinProbe_readsSysctlsAndBrand() {
        let hw = CapturedHardware(
            arch: .aarch64, os: .darwin, sourceLabel: "fixture",
            sysctls: ["hw.optional.AdvSIMD": 1, "hw.optional.arm.FEAT_DotProd": 1],
            sysctlStrings: ["machdep.cpu.brand_string": "Apple M1"])
        let r = ISAProbe.probe(hw)
        XCTAssertEqual(r.vendor, "Apple")
        XCTAssertEqual(r.model, "Apple M1")
        XCTAssertEqual(r.features, [.asimd, .asimddp])
        XCTAssertNil(r.sveVectorBits)
    }
}
