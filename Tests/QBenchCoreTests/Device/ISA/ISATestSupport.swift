// Helpers for the ISA tests: replaying the real-machine CPUID fixtures, and a reader that records AMX requests.
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchDevice

enum ISAFixtures {
    /// Replays `cpuid/<machine>` (its pu0, or the named pu file); skips when the fixtures are absent.
    static func replay(_ machine: String, pu: String? = nil, xcr0: UInt64? = nil) throws -> ISAReport {
        var url = try TestPaths.requireFixtures("cpuid/\(machine)")
        if let pu { url.appendPathComponent(pu) }
        return try ISAProbe.replay(dump: url, xcr0: xcr0)
    }

    /// Every machine folder under `cpuid/`.
    static func machines() throws -> [String] {
        let root = try TestPaths.requireFixtures("cpuid")
        return try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { name in
                var isDir: ObjCBool = false
                return FileManager.default.fileExists(
                    atPath: root.appendingPathComponent(name).path, isDirectory: &isDir)
                    && isDir.boolValue
            }
            .sorted()
    }

    /// The `pu*` files of one machine folder.
    static func puFiles(_ machine: String) throws -> [URL] {
        let dir = try TestPaths.requireFixtures("cpuid/\(machine)")
        return try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasPrefix("pu") }.sorted().map { dir.appendingPathComponent($0) }
    }
}

/// Wraps captured hardware and counts AMX permission requests (the one read with a side effect).
final class AMXRequestCounter: HardwareReader {
    var inner: CapturedHardware
    private(set) var requests = 0
    init(_ inner: CapturedHardware) { self.inner = inner }
    var arch: ISAArch { inner.arch }
    var os: ISAHostOS { inner.os }
    var sourceLabel: String { inner.sourceLabel }
    func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDRegisters? { inner.cpuid(leaf: leaf, subleaf: subleaf) }
    func xcr0() -> XCR0Reading? { inner.xcr0() }
    func amxPermission() -> AMXPermission { requests += 1; return inner.amxPermission() }
    func auxval(_ type: UInt) -> UInt? { inner.auxval(type) }
    func sveVectorLengthBytes() -> Int? { inner.sveVectorLengthBytes() }
    func sysctlInt64(_ name: String) -> Int64? { inner.sysctlInt64(name) }
    func sysctlString(_ name: String) -> String? { inner.sysctlString(name) }
    func midrEL1() -> UInt64? { inner.midrEL1() }
}

/// Builds a minimal CPUID capture from a few leaves (mask 5: EAX and ECX select the entry).
func capturedX86(
    _ leaves: [(UInt32, UInt32, CPUIDRegisters)], xcr0: UInt64?,
    amx: AMXPermission = .granted
) -> CapturedHardware {
    let entries = leaves.map {
        CPUIDEntry(mask: 5, inputs: CPUIDRegisters(eax: $0.0, ebx: 0, ecx: $0.1, edx: 0), outputs: $0.2)
    }
    return CapturedHardware(
        arch: .x86_64, os: .linux, sourceLabel: "fixture", cpuidEntries: entries,
        xcr0: xcr0.map { XCR0Reading(value: $0, source: .override) }, amx: amx)
}
