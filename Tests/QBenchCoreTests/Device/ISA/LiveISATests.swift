// The live probe on this machine, checked against what the Linux kernel itself reports in /proc/cpuinfo.
import Foundation
import XCTest
@testable import QBenchDevice
import QBenchKernels

final class LiveISATests: XCTestCase {
    /// Canonical names the kernel never prints in /proc/cpuinfo (no quoted name in cpufeatures.h, or a
    /// KVM-only definition), so their absence there says nothing.
    static let hiddenFromCpuinfo: Set<CPUFeature> = [.avx_vnni_int8, .amx_fp16]

    /// `flags`, `model name`, `cpu family`, `model`, `stepping` of the first CPU in /proc/cpuinfo.
    private func cpuinfo() throws -> [String: String] {
        try XCTSkipUnless(ISAArch.host == .x86_64, "live x86 checks need an x86_64 host")
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            throw XCTSkip("/proc/cpuinfo is not readable here (not Linux?)")
        }
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            out[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    func testLive_usableFeaturesAreSubsetOfKernelFlags() throws {
        let info = try cpuinfo()
        let flags = Set((info["flags"] ?? "").split(separator: " ").map(String.init))
        let r = ISAProbe.live()
        XCTAssertEqual(r.source, "live")
        XCTAssertEqual(r.arch, .x86_64)
        for f in r.usable where !Self.hiddenFromCpuinfo.contains(f) {
            XCTAssertTrue(flags.contains(f.rawValue), "probe says \(f) is usable but /proc/cpuinfo does not list it")
        }
    }

    func testLive_everyCanonicalFlagTheKernelListsIsUsable() throws {
        let info = try cpuinfo()
        let flags = Set((info["flags"] ?? "").split(separator: " ").map(String.init))
        let r = ISAProbe.live()
        for f in CPUFeature.allCases where !f.isARM && flags.contains(f.rawValue) {
            // Linux lists AMX as soon as XCR0 enables it; the per-process permission is a separate gate.
            if f.rawValue.hasPrefix("amx"), r.reason(f)?.contains("permission") == true { continue }
            XCTAssertTrue(r.has(f), "/proc/cpuinfo lists \(f) but the probe says: \(r.reason(f) ?? "not reported")")
        }
    }

    func testLive_identityMatchesKernel() throws {
        let info = try cpuinfo()
        let r = ISAProbe.live()
        if let name = info["model name"] {
            XCTAssertEqual(r.model, name.split(separator: " ").joined(separator: " "))
        }
        if let fam = info["cpu family"].flatMap({ Int($0) }) { XCTAssertEqual(r.family, fam) }
        if let model = info["model"].flatMap({ Int($0) }) { XCTAssertEqual(r.modelNumber, model) }
        if let stepping = info["stepping"].flatMap({ Int($0) }) { XCTAssertEqual(r.stepping, stepping) }
        if let vendor = info["vendor_id"] { XCTAssertEqual(r.vendor, vendor) }
        let flags = Set((info["flags"] ?? "").split(separator: " ").map(String.init))
        XCTAssertEqual(r.hypervisor != nil, flags.contains("hypervisor"))
        if flags.contains("xsave") {
            XCTAssertEqual(r.xcr0?.source, .xgetbv)
            XCTAssertEqual(r.cpuInfo().xcr0Source, "xgetbv")
        }
    }

    func testLive_avx512VNNIAndBF16UsableWhereTheKernelListsThem() throws {
        let info = try cpuinfo()
        let flags = Set((info["flags"] ?? "").split(separator: " ").map(String.init))
        try XCTSkipUnless(
            flags.contains("avx512_vnni") && flags.contains("avx512_bf16"),
            "this CPU/VM does not expose avx512_vnni and avx512_bf16")
        let r = ISAProbe.live()
        XCTAssertTrue(r.has(.avx512_vnni))
        XCTAssertTrue(r.has(.avx512_bf16))
        let expectedFirst: KernelVariantName = r.has(.amx_tile) && r.has(.amx_int8) ? .amx : .avx512_vnni
        XCTAssertEqual(r.dispatchTiers()[.int8]?.first?.variant, expectedFirst)
    }
}
