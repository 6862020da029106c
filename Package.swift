// swift-tools-version:6.0
// QuantBench: what a CPU can do with quantized LLM kernels, measured honestly.
import PackageDescription

let package = Package(
    name: "QuantBench",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "QBenchCore", targets: ["QBenchCore"]),
        .executable(name: "qbench", targets: ["qbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // hwloc and libnuma through their C APIs (pkg-config finds them; see Makefile for installing).
        .systemLibrary(name: "CHwloc", path: "Sources/CHwloc", pkgConfig: "hwloc",
                       providers: [.apt(["libhwloc-dev"])]),
        .systemLibrary(name: "CNuma", path: "Sources/CNuma", pkgConfig: "numa",
                       providers: [.apt(["libnuma-dev"])]),
        // Low-level hardware reads (cpuid, xgetbv, getauxval, sysctl, arch_prctl) and the SIMD kernels.
        // Each kernel is compiled with __attribute__((target(...))) so one binary carries every variant.
        .target(name: "CQBench", path: "Sources/CQBench",
                cSettings: [.unsafeFlags(["-O3", "-fno-strict-aliasing", "-ffp-contract=off"])]),
        .target(name: "QBenchCore",
                dependencies: ["CQBench", "CHwloc", "CNuma", .product(name: "Yams", package: "Yams")],
                path: "Sources/QBenchCore",
                resources: [.copy("Resources")]),
        .target(name: "QBenchCLI",
                dependencies: ["QBenchCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Sources/QBenchCLI"),
        .executableTarget(name: "qbench", dependencies: ["QBenchCLI"], path: "Sources/qbench"),
        // Shared by both test targets: where the fixtures and the package root are.
        .target(name: "QBenchTestSupport", path: "Tests/QBenchTestSupport"),
        .testTarget(name: "QBenchCoreTests", dependencies: ["QBenchCore", "CQBench", "QBenchTestSupport"], path: "Tests/QBenchCoreTests",
                    exclude: ["Topology/Fixtures", "Harness/Fixtures"]),
        .testTarget(name: "QBenchCLITests", dependencies: ["QBenchCLI", "QBenchCore", "QBenchTestSupport"], path: "Tests/QBenchCLITests"),
    ],
    swiftLanguageModes: [.v5]
)
