// `qbench probe`: the device profile and the dispatch tiers it qualifies for.
import ArgumentParser
import Foundation
import QBenchCore

extension QBench {
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the CPU features, topology, NUMA layout and kernel dispatch of this device."
        )

        @Flag(help: "Print the device profile as JSON.")
        var json = false

        func run() throws {
            print("probe: not implemented yet")
        }
    }
}
