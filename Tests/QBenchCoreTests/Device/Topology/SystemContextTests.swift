// The software context, replayed from fake roots written under Fixtures/ and read live.
import QBenchTestSupport
import XCTest
@testable import QBenchSupport
@testable import QBenchDevice

final class SystemContextTests: XCTestCase {
    private func sysroot(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    }

    func testXeonDebianRoot_readsEveryField() {
        let c = SystemContext.read(root: sysroot("sysroot-xeon-debian"))
        XCTAssertEqual(
            c,
            SystemContext(
                microcode: "0x5003604", kernel: "Linux 6.1.0-18-amd64",
                osName: "Debian GNU/Linux 12 (bookworm)", frequencyGovernor: "performance",
                transparentHugepages: "madvise", memTotalBytes: 196_608_000 * 1024))
        XCTAssertEqual(
            c.os,
            OSInfo(
                name: "Debian GNU/Linux 12 (bookworm)", kernel: "Linux 6.1.0-18-amd64",
                frequencyGovernor: "performance"))
    }

    func testArmRootWithoutCpufreqOrMicrocode_leavesThoseNil() {
        let c = SystemContext.read(root: sysroot("sysroot-arm-minimal"))
        XCTAssertNil(c.microcode, "ARM /proc/cpuinfo has no microcode line")
        XCTAssertNil(c.frequencyGovernor, "no cpufreq directory")
        XCTAssertNil(c.memTotalBytes)
        XCTAssertEqual(c.osName, "Ubuntu", "NAME stands in when PRETTY_NAME is missing")
        XCTAssertEqual(c.kernel, "Linux 6.8.0-1011-nvidia-64k")
        XCTAssertEqual(c.transparentHugepages, "never")
    }

    func testEmptyRoot_knowsNothingButDoesNotFail() throws {
        let c = SystemContext.read(root: try TestPaths.scratch())
        XCTAssertEqual(
            c,
            SystemContext(
                microcode: nil, kernel: "unknown", osName: "unknown", frequencyGovernor: nil,
                transparentHugepages: nil, memTotalBytes: nil))
    }

    func testMemory_prefersMemTotalAndFallsBackToHwloc() {
        let c = SystemContext.read(root: sysroot("sysroot-xeon-debian"))
        XCTAssertEqual(
            c.memory(hwlocTotalBytes: 42),
            MemoryInfo(totalBytes: 196_608_000 * 1024, transparentHugepages: "madvise"))
        let arm = SystemContext.read(root: sysroot("sysroot-arm-minimal"))
        XCTAssertEqual(arm.memory(hwlocTotalBytes: 42), MemoryInfo(totalBytes: 42, transparentHugepages: "never"))
    }

    func testParsers_handleOddButRealInputs() {
        XCTAssertEqual(SystemContext.parseBracketedChoice("[always] madvise never\n"), "always")
        XCTAssertNil(SystemContext.parseBracketedChoice("always madvise never"))
        XCTAssertEqual(
            SystemContext.parseOSRelease("# comment\nNAME='Alpine Linux'\nPRETTY_NAME=\"Alpine Linux v3.19\""),
            "Alpine Linux v3.19")
        XCTAssertNil(SystemContext.parseOSRelease("ID=debian\n"))
        XCTAssertNil(SystemContext.parseMemTotal("MemTotal: lots kB\n"))
        XCTAssertNil(SystemContext.parseMemTotal("MemTotal: 99999999999999999999 kB\n"), "overflow is not a size")
        XCTAssertEqual(SystemContext.parseMicrocode("microcode\t: 0x1\n"), "0x1")
        XCTAssertNil(SystemContext.parseMicrocode("microcode\t:\n"))
    }

    func testLiveContext_kernelMatchesUname() throws {
        let c = SystemContext.read()
        XCTAssertNotEqual(c.kernel, "unknown")
        XCTAssertEqual(c.kernel, SystemContext.unameKernel())
        XCTAssertNotEqual(c.osName, "unknown")
        if let thp = c.transparentHugepages { XCTAssertTrue(["always", "madvise", "never"].contains(thp), thp) }
        XCTAssertGreaterThan(c.memTotalBytes ?? 0, 0)
    }

    func testToolchain_namesTheCompilersThatBuiltThisBinary() {
        let t = ToolchainInfo.current
        XCTAssertTrue(t.swift.hasPrefix("6."), t.swift)
        #if compiler(>=6.3) && !compiler(>=6.4)
        XCTAssertTrue(t.swift.hasPrefix("6.3"), t.swift)
        #endif
        XCTAssertTrue(t.cCompiler.hasPrefix("clang ") || t.cCompiler.hasPrefix("gcc "), t.cCompiler)
        XCTAssertEqual(try QBJSON.decoder().decode(Toolchain.self, from: QBJSON.encode(t)), t)
    }

    func testCFlags_areTheOnesPackageSwiftCompilesTheKernelsWith() throws {
        // One source: Package.swift's `cqbenchFlags` array feeds both unsafeFlags and QB_C_FLAGS.
        let manifest = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("Package.swift"),
            encoding: .utf8)
        let line = try XCTUnwrap(manifest.split(separator: "\n").first { $0.hasPrefix("let cqbenchFlags = [") })
        let flags = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        XCTAssertFalse(flags.isEmpty, String(line))
        XCTAssertEqual(ToolchainInfo.cFlags, flags)
    }
}
