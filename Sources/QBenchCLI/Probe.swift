// `qbench probe`: the device profile and the dispatch tiers it qualifies for.
import ArgumentParser
import Foundation
import QBenchSupport
import QBenchDevice
import QBenchKernels

extension QBench {
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the CPU features, topology, NUMA layout and kernel dispatch of this device.",
            discussion: """
                A feature counts as usable only when the CPU reports it and the OS enables its state (x86: OSXSAVE and \
                XCR0, AMX also the Linux permission request; ARM: HWCAP). Fixture flags answer "what would that device \
                get" without reading this machine.

                Examples:
                  qbench probe
                  qbench probe --json > device.json
                From a checkout (the fixtures are real machines, in Tests/Fixtures/real-machines):
                  F=Tests/Fixtures/real-machines
                  qbench probe --cpuid-dump $F/cpuid/Intel-SapphireRapids-2xXeonMax9460 \\
                               --topology-xml $F/hwloc-xml/Intel-SapphireRapids-2xXeonMax9460.xml
                  qbench probe --cpuid-dump $F/cpuid/AMD-19h-Zen4-2xEpyc-9654 --xcr0 0x7   # an OS without AVX-512 state
                """
        )

        @Flag(help: "Print the probe as JSON (schema qbench.probe/1, documented in docs/probe.md).")
        var json = false

        @Option(
            name: .customLong("topology-xml"),
            help: ArgumentHelp("Replay an hwloc XML topology export instead of this machine.", valueName: "file"))
        var topologyXML: String?

        @Option(
            name: .customLong("cpuid-dump"),
            help: ArgumentHelp(
                "Replay a hwloc-gather-cpuid dump: a pu* file, or a folder (its pu0).", valueName: "file|dir"))
        var cpuidDump: String?

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Model an OS that enables only this XCR0 state (hex, e.g. 0x7 = no AVX-512 state).", valueName: "hex"))
        var xcr0: String?

        func validate() throws {
            try validating {
                try requireNonEmptyPaths([("--topology-xml", topologyXML), ("--cpuid-dump", cpuidDump)])
            }
        }

        func run() throws {
            try reportingUserErrors {
                let options = ProbeOptions(
                    topologyXML: topologyXML.map { URL(fileURLWithPath: $0) },
                    cpuidDump: cpuidDump.map { URL(fileURLWithPath: $0) },
                    xcr0: try xcr0.map { try XCR0Option.parse($0) })
                let report = try ProbeReport.probe(options)
                if json {
                    try Stdout.write(try QBJSON.encode(report) + Data("\n".utf8))
                } else {
                    try Stdout.write(ProbeSummary.render(report))
                }
            }
        }
    }
}
