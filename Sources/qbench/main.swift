import QBenchCLI

QBench.main()
