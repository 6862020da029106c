import QBenchTestSupport
// Test doubles for the harness: a clock the test moves, a sysfs that refuses chosen paths, scripted perf counters.
import Foundation
@testable import QBenchHarness

/// A clock that only moves when the test (or the code under test's body) advances it.
final class ManualClock: BenchClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: UInt64
    /// Added on every read (models the cost of reading the clock).
    let stepPerRead: UInt64
    init(start: UInt64 = 1_000_000_000, stepPerRead: UInt64 = 0) { now = start; self.stepPerRead = stepPerRead }
    func nowNs() -> UInt64 { lock.lock(); defer { lock.unlock() }; now += stepPerRead; return now }
    func advance(_ ns: UInt64) { lock.lock(); now += ns; lock.unlock() }
}

/// A sysfs that fails chosen paths with `permissionDenied`, as /sys does for non-root readers of energy_uj.
struct DenyingSysfs: SysfsReader {
    let base: DirectorySysfs
    let denied: Set<String>
    var rootDescription: String { base.rootDescription }
    func read(_ path: String) throws -> String {
        if denied.contains(path) { throw SysfsError.permissionDenied(path: display(path)) }
        return try base.read(path)
    }
    func list(_ path: String) -> [String]? { base.list(path) }
}

/// perf counters whose values the test scripts: each `read` of a fd returns the next value of its script.
final class ScriptedPerf: PerfEventOpening, @unchecked Sendable {
    private let lock = NSLock()
    var scripts: [UInt64: [UInt64]]  // by event config
    var openError: EnergyUnavailable?
    private(set) var opened: [(type: UInt32, config: UInt64, cpu: Int32)] = []
    private(set) var closed: [Int32] = []
    private var cursor: [Int32: Int] = [:]

    init(scripts: [UInt64: [UInt64]], openError: EnergyUnavailable? = nil) {
        self.scripts = scripts; self.openError = openError
    }
    func open(type: UInt32, config: UInt64, cpu: Int32) throws -> Int32 {
        lock.lock(); defer { lock.unlock() }
        if let e = openError { throw e }
        opened.append((type, config, cpu))
        return Int32(opened.count - 1 + 100)
    }
    func read(_ fd: Int32) throws -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        let config = opened[Int(fd) - 100].config
        let script = scripts[config] ?? [0]
        let i = cursor[fd, default: 0]
        cursor[fd] = i + 1
        return script[min(i, script.count - 1)]
    }
    func close(_ fd: Int32) { lock.lock(); closed.append(fd); lock.unlock() }
}

enum HarnessFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func sysfs(_ name: String) -> DirectorySysfs {
        DirectorySysfs(root: root.appendingPathComponent(name).path)
    }

    /// A writable copy of a fixture, for tests that change counters between reads.
    static func copy(_ name: String, test: String = #function) throws -> DirectorySysfs {
        let dst = try TestPaths.scratch(test).appendingPathComponent(name)
        try FileManager.default.copyItem(at: root.appendingPathComponent(name), to: dst)
        return DirectorySysfs(root: dst.path)
    }

    static func write(_ text: String, _ path: String, in sysfs: DirectorySysfs) throws {
        try (text + "\n").write(toFile: sysfs.display(path), atomically: true, encoding: .utf8)
    }
}
