import XCTest
@testable import QBenchHarness

final class RAPLMeterTests: XCTestCase {
    func testRAPL_serverSumsEveryPackageAndItsDRAM() throws {
        let meter = try RAPLMeter.discover(HarnessFixtures.sysfs("sysfs-rapl-server-2s")).get()
        XCTAssertEqual(meter.domains.map(\.zone), ["intel-rapl:0", "intel-rapl:1", "intel-rapl:0:0", "intel-rapl:1:0"])
        XCTAssertEqual(meter.domains.map(\.name), ["package-0", "package-1", "dram", "dram"])
        XCTAssertEqual(meter.domains[0].maxEnergyRangeUj, 262_143_328_850)
        XCTAssertEqual(
            meter.detail, "intel-rapl:0 package-0 + intel-rapl:1 package-1 + intel-rapl:0:0 dram + intel-rapl:1:0 dram")
        XCTAssertEqual(try meter.read().values, [123_456_789_012, 98_765_432_100, 5_000_000_000, 6_000_000_000])
    }

    func testRAPL_laptopUsesThePackageNotPsysCoreOrTheMMIODuplicate() throws {
        let meter = try RAPLMeter.discover(HarnessFixtures.sysfs("sysfs-rapl-laptop")).get()
        XCTAssertEqual(meter.domains.map(\.zone), ["intel-rapl:0"])
        XCTAssertEqual(meter.domains.map(\.name), ["package-0"])
    }

    func testRAPL_replayedCountersGiveJoulesAcrossAWrap() throws {
        let sysfs = try HarnessFixtures.copy("sysfs-rapl-server-2s")
        let clock = ManualClock()
        let meter = try RAPLMeter.discover(sysfs, clock: clock).get()
        let a = try meter.read()
        // package-0 wraps (range 262143328850 uJ), the others advance by 10 J, 20 J, 1 J and 2 J.
        try HarnessFixtures.write("1000000", "class/powercap/intel-rapl:0/energy_uj", in: sysfs)
        try HarnessFixtures.write("98775432100", "class/powercap/intel-rapl:1/energy_uj", in: sysfs)
        try HarnessFixtures.write("5001000000", "class/powercap/intel-rapl:0:0/energy_uj", in: sysfs)
        try HarnessFixtures.write("6002000000", "class/powercap/intel-rapl:1:0/energy_uj", in: sysfs)
        clock.advance(2_000_000_000)
        let b = try meter.read()
        let wrapped = (262_143_328_850.0 - 123_456_789_012.0 + 1_000_000.0) / 1e6
        XCTAssertEqual(meter.joules(from: a, to: b), wrapped + 10 + 1 + 2, accuracy: 1e-6)
        let m = meter.measurement(from: a, to: b, calls: 4)
        XCTAssertEqual(m.source, .rapl)
        XCTAssertEqual(m.seconds, 2)
        XCTAssertEqual(m.watts, (wrapped + 13) / 2, accuracy: 1e-6)
    }

    func testRAPL_deltaHandlesOneWrapAndUnknownRange() {
        XCTAssertEqual(RAPLMeter.deltaUj(from: 100, to: 350, maxRangeUj: 1000), 250)
        XCTAssertEqual(RAPLMeter.deltaUj(from: 900, to: 100, maxRangeUj: 1000), 200)
        XCTAssertEqual(RAPLMeter.deltaUj(from: 900, to: 100, maxRangeUj: 0), 100)
    }

    func testRAPL_permissionErrorIsAReasonNotACrash() {
        let sysfs = DenyingSysfs(
            base: HarnessFixtures.sysfs("sysfs-rapl-server-2s"),
            denied: ["class/powercap/intel-rapl:0/energy_uj"])
        guard case .failure(let why) = RAPLMeter.discover(sysfs) else { return XCTFail("expected failure") }
        XCTAssertEqual(why.source, .rapl)
        XCTAssertTrue(why.reason.contains("intel-rapl:0/energy_uj is readable by root only"), why.reason)
        XCTAssertTrue(why.reason.contains("CVE-2020-8694"), why.reason)
    }

    func testRAPL_realPermissionErrorOnDisk() throws {
        try XCTSkipIf(geteuid() == 0, "root reads mode-000 files; the injected-denial test covers this path")
        let sysfs = try HarnessFixtures.copy("sysfs-rapl-laptop")
        chmod(sysfs.display("class/powercap/intel-rapl:0/energy_uj"), 0)
        guard case .failure(let why) = RAPLMeter.discover(sysfs) else { return XCTFail("expected failure") }
        XCTAssertTrue(why.reason.contains("root only"), why.reason)
    }

    func testRAPL_absentPowercapSaysSo() {
        guard case .failure(let why) = RAPLMeter.discover(HarnessFixtures.sysfs("sysfs-dev-vm")) else {
            return XCTFail()
        }
        XCTAssertTrue(why.reason.contains("class/powercap does not exist"), why.reason)
    }

    func testRAPL_zoneNames() {
        XCTAssertTrue(RAPLMeter.isRAPLZone("intel-rapl:0"))
        XCTAssertTrue(RAPLMeter.isRAPLZone("intel-rapl:1:2"))
        XCTAssertTrue(RAPLMeter.isRAPLZone("amd-rapl:0"))
        XCTAssertFalse(RAPLMeter.isRAPLZone("intel-rapl"))
        XCTAssertFalse(RAPLMeter.isRAPLZone("intel-rapl-mmio:0"))
        XCTAssertFalse(RAPLMeter.isRAPLZone("intel-rapl:x"))
    }
}

final class PerfPowerMeterTests: XCTestCase {
    func testPerf_detectsTheDevVMPowerPMU() throws {
        let pmu = try PerfPowerPMU.detect(HarnessFixtures.sysfs("sysfs-dev-vm")).get()
        XCTAssertEqual(pmu.type, 9)
        XCTAssertEqual(pmu.cpus, [0])
        XCTAssertEqual(
            pmu.events,
            [PerfPowerEvent(name: "energy-psys", config: 5, scale: 2.3283064365386962890625e-10, unit: "Joules")])
        XCTAssertEqual(pmu.eventsToSum.map(\.name), ["energy-psys"])
    }

    func testPerf_counterThatNeverAdvancesIsRejected() throws {
        let pmu = try PerfPowerPMU.detect(HarnessFixtures.sysfs("sysfs-dev-vm")).get()
        let perf = ScriptedPerf(scripts: [5: [0, 0]])
        guard case .failure(let why) = PerfPowerMeter.open(pmu: pmu, perf: perf, wait: { _ in }) else {
            return XCTFail()
        }
        XCTAssertTrue(why.reason.contains("did not advance"), why.reason)
        XCTAssertEqual(perf.closed.count, 1, "the opened event is closed again")
    }

    func testPerf_serverSumsPackageAndRAMOnEveryPackage() throws {
        let pmu = try PerfPowerPMU.detect(HarnessFixtures.sysfs("sysfs-perf-server")).get()
        XCTAssertEqual(pmu.cpus, [0, 64])
        XCTAssertEqual(pmu.eventsToSum.map(\.name), ["energy-pkg", "energy-ram"])
        // pkg counts 2^32 per read step (= 1 J), ram 65536 per step (= 1 J)
        let perf = ScriptedPerf(scripts: [2: [0, 1 << 32, 2 << 32, 5 << 32], 3: [0, 65536, 131072, 196608]])
        let meter = try PerfPowerMeter.open(pmu: pmu, perf: perf, wait: { _ in }).get()
        XCTAssertEqual(perf.opened.map(\.cpu), [0, 64, 0, 64])
        XCTAssertEqual(perf.opened.map(\.config), [2, 2, 3, 3])
        let a = try meter.read(), b = try meter.read()
        // each pkg fd +3 J, each ram fd +1 J
        XCTAssertEqual(meter.joules(from: a, to: b), 3 + 3 + 1 + 1, accuracy: 1e-9)
        XCTAssertEqual(meter.source, .perf)
        XCTAssertEqual(meter.detail, "perf power PMU: energy-pkg + energy-ram on cpu 0,64")
    }

    func testPerf_openErrorIsRecorded() throws {
        let pmu = try PerfPowerPMU.detect(HarnessFixtures.sysfs("sysfs-perf-server")).get()
        let perf = ScriptedPerf(scripts: [:], openError: EnergyUnavailable(.perf, "Permission denied"))
        guard case .failure(let why) = PerfPowerMeter.open(pmu: pmu, perf: perf, wait: { _ in }) else {
            return XCTFail()
        }
        XCTAssertTrue(why.reason.hasPrefix("perf_event_open(power/energy-pkg/, cpu 0):"), why.reason)
    }

    func testPerf_parsesEventSpecsAndCPULists() {
        XCTAssertEqual(PerfPowerPMU.parseEventConfig("event=0x02"), 2)
        XCTAssertEqual(PerfPowerPMU.parseEventConfig("event=17"), 17)
        XCTAssertNil(PerfPowerPMU.parseEventConfig("umask=0x1"))
        XCTAssertEqual(PerfPowerPMU.parseCPUList("0,64"), [0, 64])
        XCTAssertEqual(PerfPowerPMU.parseCPUList("0-2"), [0, 1, 2])
    }
}

final class HwmonBatteryMeterTests: XCTestCase {
    func testHwmon_amdEnergyUsesSocketCountersNotCoresToo() throws {
        let sysfs = try HarnessFixtures.copy("sysfs-hwmon-amd-energy")
        let clock = ManualClock()
        let meter = try HwmonMeter.discover(sysfs, clock: clock).get()
        XCTAssertEqual(meter.device, "hwmon1")
        XCTAssertEqual(meter.deviceName, "amd_energy")
        XCTAssertEqual(meter.kind, .energy)
        XCTAssertEqual(meter.inputs, ["energy3_input"])
        let a = try meter.read()
        try HarnessFixtures.write("9881543210", "class/hwmon/hwmon1/energy3_input", in: sysfs)
        let b = try meter.read()
        XCTAssertEqual(meter.joules(from: a, to: b), 5, accuracy: 1e-9)
    }

    func testHwmon_powerMeterIntegratesAverageOverTimeAndIgnoresTheGPU() throws {
        let clock = ManualClock()
        let meter = try HwmonMeter.discover(HarnessFixtures.sysfs("sysfs-hwmon-power-meter"), clock: clock).get()
        XCTAssertEqual(meter.deviceName, "power_meter")
        XCTAssertEqual(meter.kind, .power)
        XCTAssertEqual(meter.inputs, ["power1_average"])
        let a = try meter.read()
        clock.advance(3_000_000_000)
        let b = try meter.read()
        XCTAssertEqual(meter.joules(from: a, to: b), 182 * 3, accuracy: 1e-9)
    }

    func testHwmon_permissionDeniedIsTheReason() {
        let sysfs = DenyingSysfs(
            base: HarnessFixtures.sysfs("sysfs-hwmon-amd-energy"),
            denied: ["class/hwmon/hwmon1/energy3_input"])
        guard case .failure(let why) = HwmonMeter.discover(sysfs) else { return XCTFail() }
        XCTAssertTrue(why.reason.contains("energy3_input: permission denied"), why.reason)
    }

    func testBattery_dischargingPowerNow() throws {
        let clock = ManualClock()
        let meter = try BatteryMeter.discover(HarnessFixtures.sysfs("sysfs-battery-discharging"), clock: clock).get()
        XCTAssertEqual(meter.battery, "BAT0")
        let a = try meter.read()
        clock.advance(10_000_000_000)
        XCTAssertEqual(meter.joules(from: a, to: try meter.read()), 125, accuracy: 1e-9)
    }

    func testBattery_currentTimesVoltage() throws {
        let meter = try BatteryMeter.discover(HarnessFixtures.sysfs("sysfs-battery-current-voltage")).get()
        XCTAssertTrue(meter.usesCurrentTimesVoltage)
        XCTAssertEqual(try meter.microwatts(), 18_000_000, accuracy: 1e-6)
    }

    func testBattery_chargingIsNotAMeasurement() {
        guard case .failure(let why) = BatteryMeter.discover(HarnessFixtures.sysfs("sysfs-battery-charging")) else {
            return XCTFail()
        }
        XCTAssertEqual(why.reason, "BAT0 is Charging (power_now then is not the system's draw)")
    }
}

final class ModeledEnergyTests: XCTestCase {
    func testTDPTable_matchesModelStringsAndNotOtherGenerations() {
        XCTAssertEqual(TDPTable.lookup(cpuModel: "AMD EPYC 9654 96-Core Processor")?.wattsPerCore, 3.75)
        XCTAssertEqual(TDPTable.lookup(cpuModel: "Intel(R) Xeon(R) CPU Max 9460")?.cores, 40)
        XCTAssertEqual(TDPTable.lookup(cpuModel: "13th Gen Intel(R) Core(TM) i7-1370P")?.wattsPerCore, 2)
        XCTAssertEqual(TDPTable.lookup(cpuModel: "Intel(R) Xeon(R) CPU E5-2650 0 @ 2.00GHz")?.watts, 95)
        XCTAssertNil(TDPTable.lookup(cpuModel: "Intel(R) Xeon(R) CPU E5-2650 v3 @ 2.30GHz"), "v3 is another chip")
        XCTAssertEqual(TDPTable.lookup(cpuModel: "Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz")?.watts, 120)
        XCTAssertNil(TDPTable.lookup(cpuModel: "Intel(R) Xeon(R) Gold 6230R CPU @ 2.10GHz"))
        XCTAssertNil(TDPTable.lookup(cpuModel: "Intel(R) Xeon(R) Processor"))
    }

    func testModeled_cpuTimeTimesWattsPerThread() throws {
        let cpu = CPUTimeScript([1_000_000_000, 3_000_000_000])
        let m = ModeledEnergyMeter.make(
            cpuModel: "AMD EPYC 9654 96-Core Processor", cores: 96, tdpOverrideWatts: nil,
            cpuTimeNs: cpu.next, clock: ManualClock())
        XCTAssertEqual(m.wattsPerThread, 3.75)
        XCTAssertEqual(m.joules(from: try m.read(), to: try m.read()), 7.5, accuracy: 1e-12)
        XCTAssertTrue(m.detail.contains("AMD EPYC 9654 360 W / 96 cores (approximate)"), m.detail)
    }

    func testModeled_tdpFlagWinsAndUnknownCPUGetsFourWatts() {
        XCTAssertEqual(
            ModeledEnergyMeter.make(cpuModel: "AMD EPYC 9654", cores: 8, tdpOverrideWatts: 65).wattsPerThread, 8.125)
        let unknown = ModeledEnergyMeter.make(cpuModel: "Intel(R) Xeon(R) Processor", cores: 2, tdpOverrideWatts: nil)
        XCTAssertEqual(unknown.wattsPerThread, 4)
        XCTAssertTrue(unknown.basis.contains("not in the TDP table"), unknown.basis)
    }

    func testResultEnergy_perCallPerGBAndPerGOP() {
        let m = EnergyMeasurement(source: .rapl, joules: 10, seconds: 2, calls: 100)
        let e = ResultEnergy.make(m, bytesPerCall: 1e8, opsPerCall: 2e9)
        XCTAssertEqual(e.joules, 0.1, accuracy: 1e-12)
        XCTAssertEqual(e.watts, 5)
        XCTAssertEqual(e.joulesPerGb!, 1, accuracy: 1e-12)
        XCTAssertEqual(e.joulesPerGop!, 0.05, accuracy: 1e-12)
    }
}

/// Returns scripted CPU times in order, then repeats the last.
final class CPUTimeScript: @unchecked Sendable {
    private var values: [UInt64]
    private let lock = NSLock()
    init(_ values: [UInt64]) { self.values = values }
    var next: @Sendable () -> UInt64 {
        { [self] in
            lock.lock(); defer { lock.unlock() }; return values.count > 1 ? values.removeFirst() : values[0]
        }
    }
}

final class EnergySelectionTests: XCTestCase {
    func env(
        _ fixture: String, perf: (any PerfEventOpening)? = ScriptedPerf(scripts: [5: [0]]), darwin: Bool = false,
        sysfs: (any SysfsReader)? = nil
    ) -> EnergyEnvironment {
        EnergyEnvironment(
            sysfs: sysfs ?? HarnessFixtures.sysfs(fixture), isDarwin: darwin, fileExists: { _ in true },
            cpuModel: "Intel(R) Xeon(R) Processor", cores: 2, perf: perf, clock: ManualClock())
    }

    func testChain_devVMFallsBackToModeledWithEveryReason() {
        let choice = EnergyMeters.select(env("sysfs-dev-vm"))
        XCTAssertEqual(choice.meter.source, .modeled)
        XCTAssertEqual(choice.unavailable.map(\.source), [.rapl, .perf, .hwmon, .battery, .powermetrics])
        let info = choice.info
        XCTAssertTrue(
            info.fallbackReasons[1].hasPrefix("perf: power/energy-psys/ opened but did not advance"),
            info.fallbackReasons[1])
        XCTAssertEqual(
            info.fallbackReasons[3],
            "battery: no battery under \(HarnessFixtures.root.path)/sysfs-dev-vm/class/power_supply")
        XCTAssertEqual(info.fallbackReasons[4], "powermetrics: not macOS")
    }

    func testChain_raplWinsWhenReadable() {
        let choice = EnergyMeters.select(env("sysfs-rapl-server-2s"))
        XCTAssertEqual(choice.meter.source, .rapl)
        XCTAssertTrue(choice.unavailable.isEmpty)
    }

    func testChain_permissionErrorFallsBackWithTheReason() {
        let denied = DenyingSysfs(
            base: HarnessFixtures.sysfs("sysfs-rapl-server-2s"),
            denied: ["class/powercap/intel-rapl:0/energy_uj"])
        let choice = EnergyMeters.select(env("", sysfs: denied))
        XCTAssertEqual(choice.meter.source, .modeled)
        XCTAssertTrue(choice.info.fallbackReasons[0].hasPrefix("rapl: "), "\(choice.info.fallbackReasons)")
        XCTAssertTrue(choice.info.fallbackReasons[0].contains("root only"))
    }

    func testChain_hwmonWhenNoRAPL() {
        let choice = EnergyMeters.select(env("sysfs-hwmon-amd-energy"))
        XCTAssertEqual(choice.meter.source, .hwmon)
        XCTAssertEqual(choice.unavailable.map(\.source), [.rapl, .perf])
    }

    func testChain_forcedSourceFallsBackToModeledWithItsReason() {
        let choice = EnergyMeters.select(env("sysfs-rapl-server-2s"), only: .battery)
        XCTAssertEqual(choice.meter.source, .modeled)
        XCTAssertEqual(choice.unavailable.map(\.source), [.battery])
    }

    func testPowermetrics_detectedOnDarwinButNotDriven() {
        let r = EnergyMeters.powermetricsStatus(env("sysfs-dev-vm", darwin: true))
        XCTAssertTrue(r.reason.contains("/usr/bin/powermetrics found but not used"), r.reason)
    }

    func testPerf_withoutPerfEventOpenIsDetectionOnly() {
        guard case .failure(let why) = EnergyMeters.attempt(.perf, env("sysfs-dev-vm", perf: nil)) else {
            return XCTFail()
        }
        XCTAssertTrue(why.reason.contains("power PMU present (energy-psys)"), why.reason)
    }

    /// What this machine has. Prints the choice; asserts only what must hold anywhere.
    func testLiveMachine_selectsALabelledMeter() throws {
        let choice = EnergyMeters.select(.live(cpuModel: "Intel(R) Xeon(R) Processor", cores: 2))
        print("live energy meter: \(choice.info.source.rawValue) - \(choice.info.detail)")
        for r in choice.info.fallbackReasons { print("  passed over: \(r)") }
        XCTAssertEqual(choice.info.fallbackReasons.count, EnergyMeters.order.firstIndex(of: choice.meter.source))
        if !FileManager.default.fileExists(atPath: "/sys/class/powercap") {
            XCTAssertTrue(choice.info.fallbackReasons[0].contains("/sys/class/powercap does not exist"))
        }
        let m = try choice.meter.measure(calls: 1) {
            var x = 0.0; for i in 0..<2_000_000 { x += Double(i) }; XCTAssertGreaterThan(x, 0)
        }
        XCTAssertEqual(m.source, choice.meter.source)
        XCTAssertGreaterThan(m.seconds, 0)
        XCTAssertTrue(m.joules.isFinite && m.joules >= 0, "\(m.joules) J")
        // The model is power x time, so it cannot be 0 for a measured interval; a counter may not have ticked.
        if m.source == .modeled { XCTAssertGreaterThan(m.joules, 0) }
        print("  2M adds: \(m.joules) J over \(m.seconds) s (\(m.source.rawValue), noisy shared VM)")
    }
}
