import QBenchCLI

QBench.runMain()
