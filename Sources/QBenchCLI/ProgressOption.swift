// `--progress auto|plain|none`, shared by `run` and `accuracy`: how progress is shown on stderr.
import ArgumentParser
import QBenchHarness

extension ProgressMode: ExpressibleByArgument {}

extension ArgumentHelp {
    /// The help of `--progress` (the values are listed by ArgumentParser).
    static let progress = ArgumentHelp(
        "Progress on stderr: auto (a line redrawn in place on a terminal, else plain), plain (a line at each phase's "
            + "start and end and every 10 s in between, for logs), none.",
        valueName: "mode")
}
