// Crash isolation: misbehaving kernels end as status rows (timeout, crashed with the signal), and a variant
// forced onto a CPU that lacks its instructions dies with SIGILL in the child, not in the test process.
import CQBench
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchDevice
@testable import QBenchKernels

final class KernelCanaryTests: XCTestCase {
    /// A registry-shaped entry around one of canary.c's test kernels (strings leak: test-only, a handful).
    private func entry(
        _ fn: @escaping @convention(c) (UnsafePointer<qb_mat_args>?, Int32, Int32) -> Void
    ) -> UnsafeMutablePointer<qb_kernel_entry> {
        let e = UnsafeMutablePointer<qb_kernel_entry>.allocate(capacity: 1)
        e.initialize(to: qb_kernel_entry())
        e.pointee.op = UnsafePointer(strdup("gemv"))
        e.pointee.wfmt = UnsafePointer(strdup("q8_0"))
        e.pointee.afmt = UnsafePointer(strdup("q8_0"))
        e.pointee.variant = UnsafePointer(strdup("test"))
        e.pointee.requires = UnsafePointer(strdup(""))
        e.pointee.repack = UnsafePointer(strdup(""))
        e.pointee.mat = fn
        return e
    }

    func testCanary_scalarVariantExitsCleanly() throws {
        let v = try XCTUnwrap(KernelRegistry.builtIn.variant("gemm/q4_1/q8_1/scalar"))
        XCTAssertEqual(KernelCanary.run(v), .ok)
    }

    func testCanary_hangingKernelIsKilledAndReportedAsTimeout() {
        let start = Date()
        XCTAssertEqual(KernelCanary.run(entry: entry(qb_canary_test_spin), group: 0, timeoutMs: 300), .timeout)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the child must be killed near the timeout")
    }

    func testCanary_segfaultIsReportedWithItsSignal() {
        XCTAssertEqual(
            KernelCanary.run(entry: entry(qb_canary_test_segv), group: 0, timeoutMs: 5000), .crashed(signal: SIGSEGV))
    }

    func testCanary_illegalInstructionIsReportedAsSIGILL() {
        let out = KernelCanary.run(entry: entry(qb_canary_test_sigill), group: 0, timeoutMs: 5000)
        XCTAssertEqual(out, .crashed(signal: SIGILL))
        if case let .crashed(s) = out { XCTAssertEqual(KernelCanary.signalName(s), "SIGILL") }
    }

    /// The host side: runs this test binary under `qemu-x86_64 -cpu Haswell`, where AVX-512 does not exist,
    /// asking it for `testUnderQEMUHaswell_...` below, and reads the status that test printed.
    func testForcedAVX512VariantOnHaswell_crashesWithSIGILLUnderQEMU() throws {
        #if !arch(x86_64) || !os(Linux)
        throw XCTSkip("needs an x86_64 Linux host to run qemu-x86_64 on this test binary")
        #else
        let qemu = ["/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        try Oracle.require("qemu-x86_64", qemu != nil, "qemu-x86_64 not installed (apt-get install qemu-user)")
        let q = qemu!
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: bin), "test binary not found at \(bin)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: q)
        p.arguments = [
            "-cpu", "Haswell", bin,
            "QBenchCoreTests.KernelCanaryTests/testUnderQEMUHaswell_forcedAVX512VariantDiesInTheChild",
        ]
        var env = ProcessInfo.processInfo.environment
        env["QBENCH_CANARY_UNDER_QEMU"] = "1"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("QBENCH_CANARY avx512_vnni unsupported avx512f"), text)
        XCTAssertTrue(text.contains("QBENCH_CANARY avx512_vnni forced crashed SIGILL"), text)
        XCTAssertTrue(text.contains("QBENCH_CANARY avx2 verified"), text)
        XCTAssertEqual(p.terminationStatus, 0, text)
        #endif
    }

    /// Runs only inside qemu (launched by the test above): a Haswell device profile, the avx512_vnni gemv
    /// first refused for its missing features, then forced, which must end in SIGILL inside the canary child.
    func testUnderQEMUHaswell_forcedAVX512VariantDiesInTheChild() throws {
        try XCTSkipUnless(
            ProcessInfo.processInfo.environment["QBENCH_CANARY_UNDER_QEMU"] == "1",
            "runs only under qemu -cpu Haswell, started by testForcedAVX512VariantOnHaswell_crashesWithSIGILLUnderQEMU")
        let haswell: Set<CPUFeature> = [.sse4_2, .avx, .avx2, .fma, .f16c, .bmi2]
        let reg = KernelRegistry.builtIn
        let v = try XCTUnwrap(reg.variant("gemv/q8_0/q8_0/avx512_vnni"))
        let refused = KernelVerifier.verify(v, features: haswell, registry: reg)
        XCTAssertEqual(refused.status, .unsupported)
        print(
            "QBENCH_CANARY avx512_vnni \(refused.status.rawValue) "
                + "\((refused.missingFeatures ?? []).map(\.rawValue).joined(separator: ","))"
        )
        let forced = KernelVerifier.verify(v, features: haswell, registry: reg, force: true, timeoutMs: 60_000)
        XCTAssertEqual(forced.status, .crashed)
        XCTAssertEqual(forced.signal, "SIGILL")
        print("QBENCH_CANARY avx512_vnni forced \(forced.status.rawValue) \(forced.signal ?? "-")")
        let avx2 = try XCTUnwrap(reg.variant("gemv/q4_0/q8_0/avx2"))
        let ok = KernelVerifier.verify(avx2, features: haswell, registry: reg, timeoutMs: 60_000)
        XCTAssertEqual(ok.status, .verified)
        print("QBENCH_CANARY avx2 \(ok.status.rawValue)")
    }
}
