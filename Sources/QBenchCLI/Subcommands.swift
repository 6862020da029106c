// The registry of subcommands; each file adds its command here and nowhere else.
import ArgumentParser

extension QBench {
    static let allSubcommands: [ParsableCommand.Type] = [
        Probe.self, Run.self, Accuracy.self, LLM.self, ReportCommand.self, Matrix.self, Compare.self, Gate.self,
        Tune.self,
    ]
}
