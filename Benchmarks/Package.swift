// swift-tools-version:6.1
// Kernel and quantizer benchmarks (package-benchmark), kept in a nested package so the main package stays lean.
// Run: cd Benchmarks && swift package benchmark
import PackageDescription
import Foundation

// A path dependency is identified by its folder name, which is whatever the clone was called.
let suitePackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "QuantBenchBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QBenchCore", package: suitePackage),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
