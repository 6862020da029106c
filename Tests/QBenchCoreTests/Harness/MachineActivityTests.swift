// How busy the machine was: /proc/stat and /proc/self/stat captured on the development VM, replayed through the
// probe's file-reading seam (Fixtures/proc-activity, README.md there says how each pair was taken).
import Foundation
import XCTest
@testable import QBenchHarness

final class MachineActivityTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/proc-activity")

    func text(_ path: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(path), encoding: .utf8)
    }

    /// A reader that answers /proc/stat and /proc/self/stat with the capture's `.0` files until the window's
    /// sleep, then with its `.1` files; `extra` answers other paths.
    final class Replay: @unchecked Sendable {
        let lock = NSLock()
        var after = false
        let files: [Bool: [String: String]]
        let extra: [String: String]
        private(set) var slept: [UInt64] = []
        init(before: [String: String], after: [String: String], extra: [String: String] = [:]) {
            files = [false: before, true: after]; self.extra = extra
        }
        func read(_ path: String) -> String? {
            lock.lock(); defer { lock.unlock() }
            return files[after]?[path] ?? extra[path]
        }
        func sleep(_ ns: UInt64) { lock.lock(); slept.append(ns); after = true; lock.unlock() }
    }

    func replay(_ capture: String, extra: [String: String] = [:]) throws -> Replay {
        let files = { (i: Int) in
            [
                "/proc/stat": try self.text("\(capture)/stat.\(i)"),
                "/proc/self/stat": try self.text("\(capture)/self-stat.\(i)"),
            ]
        }
        return Replay(before: try files(0), after: try files(1), extra: extra)
    }

    func probe(_ r: Replay, clock: ManualClock = ManualClock()) -> MachineActivityProbe {
        MachineActivityProbe(
            read: { r.read($0) }, clock: clock,
            sleep: { ns in
                r.sleep(ns); clock.advance(ns)
            })
    }

    func testParse_procStatFirstLineAndOnlineCPUs() throws {
        // cpu  208764 0 23351 3390572 2439 0 697 739 0 0
        let t = try XCTUnwrap(CPUTimes.parse(procStat: try text("sleeping-reader/stat.0")))
        XCTAssertEqual(t.busy, 208764 + 0 + 23351 + 0 + 697)
        XCTAssertEqual(t.idle, 3390572 + 2439)
        XCTAssertEqual(t.steal, 739)
        XCTAssertEqual(t.cpuIndices, [0, 1])
        XCTAssertNil(CPUTimes.parse(procStat: "intr 1 2 3\nctxt 4\n"))
        XCTAssertNil(CPUTimes.parse(procStat: "cpu  1 2 x 4 5 6 7 8 0 0\n"))
    }

    func testParse_ownTicksCountFieldsAfterTheLastParenthesis() throws {
        // comm "qb) x (y" (set with prctl before the capture); utime 32, stime 1.
        XCTAssertEqual(CPUTimes.parseOwnTicks(selfStat: try text("self-stat-odd-comm")), 33)
        XCTAssertEqual(CPUTimes.parseOwnTicks(selfStat: try text("spinning-reader/self-stat.1")), 28 + 2)
        XCTAssertNil(CPUTimes.parseOwnTicks(selfStat: "12724 (cat) R 1 2"))
        XCTAssertNil(CPUTimes.parseOwnTicks(selfStat: ""))
    }

    func testSleepingReader_otherProcessesAreWhatTheMachineDidBesidesIt() throws {
        // Busy ticks 8 user + 2 system, idle 39 + 1 iowait: 50 ticks over 2 CPUs; the reader used none.
        let r = try replay("sleeping-reader")
        let clock = ManualClock()
        let s = probe(r, clock: clock).snapshot()
        XCTAssertEqual(r.slept, [MachineActivityProbe.defaultWindowNs])
        let a = try XCTUnwrap(s.activity)
        XCTAssertEqual(a.otherCores, 10.0 / 50 * 2, accuracy: 1e-12)
        XCTAssertEqual(a.ownCores, 0)
        XCTAssertEqual(a.stealCores, 0)
        XCTAssertEqual(a.cpus, 2)
        XCTAssertEqual(a.windowMs, 250, accuracy: 1e-9)
    }

    func testSpinningReader_itsOwnTimeIsNotCountedAsOthers() throws {
        // Busy 39 user + 3 system, idle 7: 49 ticks; the reader's utime+stime went from 5 to 30.
        let a = try XCTUnwrap(probe(try replay("spinning-reader")).snapshot().activity)
        XCTAssertEqual(a.ownCores, 25.0 / 49 * 2, accuracy: 1e-12)
        XCTAssertEqual(a.otherCores, 17.0 / 49 * 2, accuracy: 1e-12)
    }

    func testShellLoop_bothCPUsBusyWithOthers() throws {
        // A shell busy loop plus other work on the 2-CPU VM: 46 user + 3 system, no idle tick.
        let a = try XCTUnwrap(probe(try replay("shell-loop")).snapshot().activity)
        XCTAssertEqual(a.otherCores, 2, accuracy: 1e-12)
        XCTAssertEqual(a.ownCores, 0)
    }

    func testIdle_nothingRan() throws {
        let a = try XCTUnwrap(probe(try replay("idle")).snapshot().activity)
        XCTAssertEqual(a.otherCores, 0)
        XCTAssertEqual(a.ownCores, 0)
    }

    func testSteal_isKeptApartFromOtherProcesses() throws {
        // 40 user + 3 system busy, no idle, 8 stolen: 51 ticks over 2 CPUs.
        let a = try XCTUnwrap(probe(try replay("steal")).snapshot().activity)
        XCTAssertEqual(a.otherCores, 43.0 / 51 * 2, accuracy: 1e-12)
        XCTAssertEqual(a.stealCores, 8.0 / 51 * 2, accuracy: 1e-12)
    }

    func testBetween_noTickOrCountersGoingBackwardsGiveNothing() throws {
        let t0 = try XCTUnwrap(CPUTimes.parse(procStat: try text("shell-loop/stat.0")))
        let t1 = try XCTUnwrap(CPUTimes.parse(procStat: try text("shell-loop/stat.1")))
        XCTAssertNil(MachineActivity.between(before: t0, ownBefore: 5, after: t0, ownAfter: 5, windowNs: 1))
        XCTAssertNil(MachineActivity.between(before: t1, ownBefore: 5, after: t0, ownAfter: 5, windowNs: 1))
        XCTAssertNil(MachineActivity.between(before: t0, ownBefore: 6, after: t1, ownAfter: 5, windowNs: 1))
    }

    func testUnreadableProc_givesNoActivity() {
        let r = Replay(before: [:], after: [:])
        XCTAssertEqual(probe(r).snapshot(), MachineSnapshot(activity: nil, frequency: nil))
    }

    func testFrequency_cpuinfoWhenThereIsNoCpufreq() throws {
        // The development VM: no cpufreq directory, two "cpu MHz : 2445.406" lines.
        let r = try replay("sleeping-reader", extra: ["/proc/cpuinfo": try text("cpuinfo-dev-vm")])
        let f = try XCTUnwrap(probe(r).snapshot().frequency)
        XCTAssertEqual(
            f,
            CPUFrequency(
                source: "cpuinfo", cpus: 2, minMhz: 2445.406, meanMhz: 2445.406,
                maxMhz: 2445.406))
    }

    func testFrequency_cpufreqWinsWhenEveryOnlineCPUHasIt() throws {
        // scaling_cur_freq written by hand after the cpufreq sysfs ABI (kHz, one number and a newline).
        let cpufreq = { (i: Int) in "/sys/devices/system/cpu/cpu\(i)/cpufreq/scaling_cur_freq" }
        let cpuinfo = try text("cpuinfo-dev-vm")
        let both = try replay(
            "sleeping-reader",
            extra: [
                cpufreq(0): "3400000\n", cpufreq(1): "800000\n",
                "/proc/cpuinfo": cpuinfo,
            ])
        XCTAssertEqual(
            probe(both).snapshot().frequency,
            CPUFrequency(source: "scaling_cur_freq", cpus: 2, minMhz: 800, meanMhz: 2100, maxMhz: 3400))
        // cpu1 has no cpufreq file: the summary would leave it out, so cpuinfo is used instead.
        let one = try replay("sleeping-reader", extra: [cpufreq(0): "3400000\n", "/proc/cpuinfo": cpuinfo])
        XCTAssertEqual(probe(one).snapshot().frequency?.source, "cpuinfo")
    }

    func testFrequency_absentWhenNothingSaysIt() throws {
        // An ARM cpuinfo has no "cpu MHz" lines (Device/Topology/Fixtures/sysroot-arm-minimal).
        let arm = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Device/Topology/Fixtures/sysroot-arm-minimal/proc/cpuinfo")
        let r = try replay("sleeping-reader", extra: ["/proc/cpuinfo": try String(contentsOf: arm, encoding: .utf8)])
        let s = probe(r).snapshot()
        XCTAssertNotNil(s.activity)
        XCTAssertNil(s.frequency)
    }

    func testLive_readsThisMachine() throws {
        #if os(Linux)
        let s = MachineActivityProbe(windowNs: 50_000_000).snapshot()
        let a = try XCTUnwrap(s.activity, "/proc/stat and /proc/self/stat are readable on Linux")
        XCTAssertEqual(a.cpus, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        XCTAssertGreaterThanOrEqual(a.otherCores, 0)
        XCTAssertLessThanOrEqual(a.otherCores + a.ownCores + a.stealCores, Double(a.cpus) + 1e-9)
        XCTAssertGreaterThanOrEqual(a.windowMs, 50)
        #else
        throw XCTSkip("/proc is Linux only")
        #endif
    }
}
