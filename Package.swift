// swift-tools-version:6.0
// QuantBench: what a CPU can do with quantized LLM kernels, measured honestly.
import PackageDescription

// The C flags of CQBench, in one place: they compile the kernels, and `qb_toolchain_c_flags()` returns them (through
// QB_C_FLAGS) so every report records what its kernels were built with.
let cqbenchFlags = ["-O3", "-fno-strict-aliasing", "-ffp-contract=off"]

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
        .systemLibrary(
            name: "CHwloc", path: "Sources/CHwloc", pkgConfig: "hwloc",
            providers: [.apt(["libhwloc-dev"])]),
        .systemLibrary(
            name: "CNuma", path: "Sources/CNuma", pkgConfig: "numa",
            providers: [.apt(["libnuma-dev"])]),
        // Low-level hardware reads (cpuid, xgetbv, getauxval, sysctl, arch_prctl) and the SIMD kernels.
        // Each kernel is compiled with __attribute__((target(...))) so one binary carries every variant.
        .target(
            name: "CQBench", path: "Sources/CQBench",
            cSettings: [
                .unsafeFlags(cqbenchFlags),
                .define("QB_C_FLAGS", to: "\"" + cqbenchFlags.joined(separator: " ") + "\""),
            ]),
        // The Swift layers, lowest first. Each target imports only the ones above it in this list (see
        // docs/architecture.md): the compiler keeps the dependencies pointing down.
        .target(name: "QBenchSupport", path: "Sources/QBenchSupport", plugins: ["BuildStamp"]),
        .target(name: "QBenchFormats", dependencies: ["QBenchSupport"], path: "Sources/QBenchFormats"),
        .target(name: "QBenchModelFiles", dependencies: ["QBenchSupport"], path: "Sources/QBenchModelFiles"),
        .target(
            name: "QBenchDevice", dependencies: ["QBenchSupport", "CQBench", "CHwloc", "CNuma"],
            path: "Sources/QBenchDevice"),
        .target(
            name: "QBenchKernels",
            dependencies: ["QBenchDevice", "QBenchFormats", "QBenchSupport", "CQBench", "CHwloc"],
            path: "Sources/QBenchKernels"),
        .target(name: "QBenchHarness", dependencies: ["QBenchSupport", "CQBench"], path: "Sources/QBenchHarness"),
        .target(
            name: "QBenchProfiles",
            dependencies: [
                "QBenchHarness", "QBenchModelFiles", "QBenchFormats", "QBenchSupport",
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/QBenchProfiles"),
        .target(
            name: "QBenchReport",
            dependencies: [
                "QBenchProfiles", "QBenchKernels", "QBenchHarness", "QBenchDevice", "QBenchFormats",
                "QBenchSupport",
            ],
            path: "Sources/QBenchReport"),
        .target(
            name: "QBenchAccuracy",
            dependencies: ["QBenchModelFiles", "QBenchFormats", "QBenchHarness", "QBenchSupport"],
            path: "Sources/QBenchAccuracy"),
        .target(
            name: "QBenchLLM",
            dependencies: [
                "QBenchReport", "QBenchAccuracy", "QBenchKernels", "QBenchHarness", "QBenchModelFiles", "QBenchFormats",
                "QBenchSupport", "CQBench",
            ],
            path: "Sources/QBenchLLM"),
        .target(
            name: "QBenchRun",
            dependencies: [
                "QBenchLLM", "QBenchReport", "QBenchAccuracy", "QBenchProfiles", "QBenchHarness", "QBenchKernels",
                "QBenchDevice", "QBenchModelFiles", "QBenchFormats", "QBenchSupport", "CQBench",
            ],
            path: "Sources/QBenchRun"),
        // Everything above under one name, for library users and the Benchmarks package.
        .target(
            name: "QBenchCore",
            dependencies: [
                "QBenchRun", "QBenchLLM", "QBenchReport", "QBenchAccuracy", "QBenchProfiles", "QBenchHarness",
                "QBenchKernels", "QBenchDevice", "QBenchModelFiles", "QBenchFormats", "QBenchSupport",
            ],
            path: "Sources/QBenchCore"),
        // Writes the git commit and dirty flag into QBenchSupport before every build (BuildInfo).
        .plugin(name: "BuildStamp", capability: .buildTool(), path: "Plugins/BuildStamp"),
        // The model-file fuzzer: driven by the tests and by Fuzz/ (scripts/test.d/fuzz-readers.sh).
        .target(name: "QBenchFuzzing", dependencies: ["QBenchModelFiles", "QBenchSupport"], path: "Fuzz/Shared"),
        // Fuzzes profiles, CPUID dumps and hwloc XML (scripts/test.d/fuzz-inputs.sh builds it with ASan).
        .executableTarget(
            name: "qbench-fuzz-inputs", dependencies: ["QBenchProfiles", "QBenchDevice", "QBenchSupport"],
            path: "Fuzz/Inputs"),
        .target(
            name: "QBenchCLI",
            dependencies: ["QBenchCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/QBenchCLI"),
        .executableTarget(name: "qbench", dependencies: ["QBenchCLI"], path: "Sources/qbench"),
        // Shared by both test targets: where the fixtures and the package root are.
        .target(name: "QBenchTestSupport", path: "Tests/QBenchTestSupport"),
        .testTarget(
            name: "QBenchCoreTests", dependencies: ["QBenchCore", "QBenchFuzzing", "CQBench", "QBenchTestSupport"],
            path: "Tests/QBenchCoreTests",
            exclude: ["Device/Topology/Fixtures", "Harness/Fixtures"]),
        .testTarget(
            name: "QBenchCLITests",
            dependencies: ["QBenchCLI", "QBenchCore", "QBenchTestSupport", .product(name: "Yams", package: "Yams")],
            path: "Tests/QBenchCLITests"),
    ],
    swiftLanguageModes: [.v5]
)
