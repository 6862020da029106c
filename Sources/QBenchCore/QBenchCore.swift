// One import for the whole library: `import QBenchCore` brings every layer (docs/architecture.md).
@_exported import QBenchAccuracy
@_exported import QBenchDevice
@_exported import QBenchFormats
@_exported import QBenchHarness
@_exported import QBenchKernels
@_exported import QBenchLLM
@_exported import QBenchModelFiles
@_exported import QBenchProfiles
@_exported import QBenchReport
@_exported import QBenchRun
@_exported import QBenchSupport
