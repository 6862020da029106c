// Pure x86 decoding on hand-built register values: signature rules, strings, hypervisor, OS-support reasons.
import QBenchTestSupport
import XCTest
@testable import QBenchDevice

final class X86DecoderTests: XCTestCase {
    /// Little-endian ASCII packing, as CPUID returns strings.
    private func regs(_ text: String) -> [UInt32] {
        var bytes = Array(text.utf8)
        while bytes.count % 4 != 0 { bytes.append(0) }
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
    }

    func testSignature_appliesExtendedModelForFamily6() {
        let s = X86Decoder.signature(eax: 0x000906EA)  // Coffee Lake: family 6, model 0x9E, stepping 10
        XCTAssertEqual(s.family, 6); XCTAssertEqual(s.model, 0x9E); XCTAssertEqual(s.stepping, 10)
    }

    func testSignature_addsExtendedFamilyOnlyForBaseFamily15() {
        let zen4 = X86Decoder.signature(eax: 0x00A60F12)  // family 0xF + 0xA = 0x19, model 0x61
        XCTAssertEqual(zen4.family, 0x19); XCTAssertEqual(zen4.model, 0x61); XCTAssertEqual(zen4.stepping, 2)
        let p5 = X86Decoder.signature(eax: 0x01F10543)  // base family 5: extended fields must be ignored
        XCTAssertEqual(p5.family, 5); XCTAssertEqual(p5.model, 4); XCTAssertEqual(p5.stepping, 3)
    }

    func testVendor_readsEBXEDXECX() {
        let r = regs("GenuineIntel")
        XCTAssertEqual(
            X86Decoder.vendor(leaf0: CPUIDRegisters(eax: 0x20, ebx: r[0], ecx: r[2], edx: r[1])), "GenuineIntel")
    }

    func testBrand_trimsAndCollapsesBlanks() {
        let r = regs("  Intel(R) Xeon(R) CPU         X5650  @ 2.67GHz ")  // 48 bytes, as leaves 0x80000002-4 hold
        XCTAssertEqual(r.count, 12)
        let words = r
        let leaves = stride(from: 0, to: 12, by: 4).map {
            CPUIDRegisters(eax: words[$0], ebx: words[$0 + 1], ecx: words[$0 + 2], edx: words[$0 + 3])
        }
        XCTAssertEqual(X86Decoder.brand(leaves), "Intel(R) Xeon(R) CPU X5650 @ 2.67GHz")
        XCTAssertEqual(X86Decoder.brand([]), "")
    }

    func testHypervisorName_mapsKnownSignaturesAndKeepsUnknownOnes() {
        let kvm = regs("KVMKVMKVM\0\0\0")
        XCTAssertEqual(
            X86Decoder.hypervisorName(CPUIDRegisters(eax: 0x40000001, ebx: kvm[0], ecx: kvm[1], edx: kvm[2])), "kvm")
        let hv = regs("Microsoft Hv")
        XCTAssertEqual(X86Decoder.hypervisorName(CPUIDRegisters(eax: 0, ebx: hv[0], ecx: hv[1], edx: hv[2])), "hyperv")
        let odd = regs("NewVisorXYZ!")
        XCTAssertEqual(
            X86Decoder.hypervisorName(CPUIDRegisters(eax: 0, ebx: odd[0], ecx: odd[1], edx: odd[2])), "NewVisorXYZ!")
        XCTAssertEqual(X86Decoder.hypervisorName(nil), "unknown")
    }

    func testProbe_readsHypervisorLeafWhenBit31IsSet() {
        let kvm = regs("KVMKVMKVM\0\0\0")
        let hw = capturedX86(
            [
                (0, 0, CPUIDRegisters(eax: 1, ebx: 0, ecx: 0, edx: 0)),
                (1, 0, CPUIDRegisters(eax: 0x000A10F11, ebx: 0, ecx: 1 << 31, edx: 1 << 26)),
                (0x40000000, 0, CPUIDRegisters(eax: 0x40000001, ebx: kvm[0], ecx: kvm[1], edx: kvm[2])),
            ], xcr0: nil)
        let r = ISAProbe.probe(hw)
        XCTAssertEqual(r.hypervisor, "kvm")
        XCTAssertTrue(r.has(.sse2))
    }

    // Bits of CPUID.1:ECX / 7.0 / 7.1 used below, written out independently of the decoder's table.
    private let l1ECX_AVX_FMA_F16C_OSXSAVE: UInt32 = (1 << 28) | (1 << 12) | (1 << 29) | (1 << 27)

    func testUsability_osxsaveOffMakesEveryVectorStateFeatureUnusable() {
        let hw = capturedX86(
            [
                (0, 0, CPUIDRegisters(eax: 7, ebx: 0, ecx: 0, edx: 0)),
                (1, 0, CPUIDRegisters(eax: 0x306F2, ebx: 0, ecx: (1 << 28) | (1 << 12) | (1 << 20), edx: 1 << 26)),
                (7, 0, CPUIDRegisters(eax: 0, ebx: 1 << 5, ecx: 0, edx: 0)),
            ], xcr0: 0x7)
        let r = ISAProbe.probe(hw)
        XCTAssertTrue(r.has(.sse4_2))
        for f: CPUFeature in [.avx, .avx2, .fma] {
            XCTAssertFalse(r.has(f))
            XCTAssertTrue(r.reason(f)?.hasPrefix("OSXSAVE off") ?? false, "\(f): \(r.reason(f) ?? "nil")")
        }
    }

    func testUsability_dependencyNotReportedMakesFeatureUnusable() {
        // A VM that passes AVX2 through but hides AVX.
        let hw = capturedX86(
            [
                (0, 0, CPUIDRegisters(eax: 7, ebx: 0, ecx: 0, edx: 0)),
                (1, 0, CPUIDRegisters(eax: 0x306F2, ebx: 0, ecx: 1 << 27, edx: 1 << 26)),
                (7, 0, CPUIDRegisters(eax: 0, ebx: 1 << 5, ecx: 0, edx: 0)),
            ], xcr0: 0x7)
        let r = ISAProbe.probe(hw)
        XCTAssertFalse(r.has(.avx2))
        XCTAssertEqual(r.reason(.avx2), "requires avx, which the CPU does not report")
    }

    func testUsability_dependencyUnusablePropagates() {
        // AVX-512 VNNI on a CPU whose AVX512VL is reported but whose AVX512F is hidden.
        let ebx: UInt32 = (1 << 5) | (1 << 31)  // avx2, avx512vl
        let hw = capturedX86(
            [
                (0, 0, CPUIDRegisters(eax: 0xD, ebx: 0, ecx: 0, edx: 0)),
                (1, 0, CPUIDRegisters(eax: 0x50657, ebx: 0, ecx: l1ECX_AVX_FMA_F16C_OSXSAVE, edx: 1 << 26)),
                (7, 0, CPUIDRegisters(eax: 0, ebx: ebx, ecx: 1 << 11, edx: 0)),
            ], xcr0: 0xE7)
        let r = ISAProbe.probe(hw)
        XCTAssertEqual(r.reason(.avx512vl), "requires avx512f, which the CPU does not report")
        XCTAssertEqual(r.reason(.avx512_vnni), "requires avx512vl, which is not usable")
        XCTAssertTrue(r.has(.avx2))
    }

    func testUsability_unknownXCR0IsSaidPlainly() {
        let hw = capturedX86(
            [
                (0, 0, CPUIDRegisters(eax: 1, ebx: 0, ecx: 0, edx: 0)),
                (1, 0, CPUIDRegisters(eax: 0x206D7, ebx: 0, ecx: (1 << 28) | (1 << 27), edx: 1 << 26)),
            ], xcr0: nil)
        let r = ISAProbe.probe(hw)
        XCTAssertFalse(r.has(.avx))
        XCTAssertTrue(r.reason(.avx)?.contains("XCR0 unknown") ?? false, r.reason(.avx) ?? "nil")
    }

    // MARK: AMX permission

    private func sprCapture(amx: AMXPermission, xcr0: UInt64? = nil) throws -> CapturedHardware {
        let url = try TestPaths.requireFixtures("cpuid/Intel-SapphireRapids-2xXeonMax9460")
        var hw = try CPUIDDump.load(url).reader(xcr0Override: xcr0)
        hw.amx = amx
        return hw
    }

    func testAMX_refusedPermissionMakesAMXUnusableWithErrno() throws {
        let r = ISAProbe.probe(try sprCapture(amx: .refused(errno: 22)))
        for f: CPUFeature in [.amx_tile, .amx_int8, .amx_bf16] {
            XCTAssertFalse(r.has(f))
            XCTAssertEqual(r.reason(f), "Linux refused AMX tile data permission: errno 22")
        }
        XCTAssertTrue(r.has(.avx512_bf16))
    }

    func testAMX_unavailableRequestIsStated() throws {
        let r = ISAProbe.probe(try sprCapture(amx: .unavailable))
        XCTAssertFalse(r.has(.amx_tile))
        XCTAssertTrue(r.reason(.amx_tile)?.contains("no AMX tile data permission request") ?? false)
    }

    func testAMX_permissionIsRequestedOnlyWhenXCR0EnablesTiles() throws {
        let withTiles = AMXRequestCounter(try sprCapture(amx: .granted))
        _ = ISAProbe.probe(withTiles)
        XCTAssertEqual(withTiles.requests, 1)
        let withoutTiles = AMXRequestCounter(try sprCapture(amx: .granted, xcr0: 0x2E7))
        _ = ISAProbe.probe(withoutTiles)
        XCTAssertEqual(withoutTiles.requests, 0)
        let noAMXCPU = AMXRequestCounter(
            try CPUIDDump.load(try TestPaths.requireFixtures("cpuid/AMD-19h-Zen4-2xEpyc-9654"))
                .reader(xcr0Override: 0x602E7))
        _ = ISAProbe.probe(noAMXCPU)
        XCTAssertEqual(noAMXCPU.requests, 0)
    }

    // MARK: leaf-range discipline

    func testSnapshot_doesNotReadLeavesBeyondTheHighestBasicLeaf() {
        // Max basic leaf 1: a stale leaf-7 entry in the capture must be ignored (real CPUs would return leaf 1).
        let hw = capturedX86(
            [
                (0, 0, CPUIDRegisters(eax: 1, ebx: 0, ecx: 0, edx: 0)),
                (1, 0, CPUIDRegisters(eax: 0x206C2, ebx: 0, ecx: 1 << 20, edx: 1 << 26)),
                (7, 0, CPUIDRegisters(eax: 0, ebx: 1 << 5, ecx: 0, edx: 0)),
            ], xcr0: nil)
        let r = ISAProbe.probe(hw)
        XCTAssertFalse(r.reported.contains(.avx2))
        XCTAssertTrue(r.has(.sse4_2))
    }

    func testSnapshot_readsLeaf7Subleaf1OnlyWhenAdvertised() {
        let hw = capturedX86(
            [
                (0, 0, CPUIDRegisters(eax: 7, ebx: 0, ecx: 0, edx: 0)),
                (1, 0, CPUIDRegisters(eax: 0xB06A2, ebx: 0, ecx: l1ECX_AVX_FMA_F16C_OSXSAVE, edx: 1 << 26)),
                (7, 0, CPUIDRegisters(eax: 0, ebx: 1 << 5, ecx: 0, edx: 0)),  // EAX 0: no sub-leaf 1
                (7, 1, CPUIDRegisters(eax: 1 << 4, ebx: 0, ecx: 0, edx: 1 << 4)),
            ], xcr0: 0x7)
        XCTAssertFalse(ISAProbe.probe(hw).reported.contains(.avx_vnni))

        var advertised = hw
        advertised.cpuidEntries[2].outputs.eax = 1
        let r = ISAProbe.probe(advertised)
        XCTAssertTrue(r.has(.avx_vnni))
        XCTAssertTrue(r.has(.avx_vnni_int8))
    }
}
