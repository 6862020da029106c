// Stand-alone driver for the model-file fuzzer, compiled by scripts/test.d/fuzz-readers.sh together with
// Sources/QBenchModelFiles (optimized, with AddressSanitizer) so that 100,000+ mutated inputs run in
// seconds and any read outside a buffer aborts the run.
//
//   fuzz-readers [ITERATIONS] [SEED]        run the mutation loop (defaults: 100000, 0x5EED0001)
//   fuzz-readers --write-seeds DIR          write the seed files (a libFuzzer corpus) into DIR
import Foundation
import QBenchFuzzing
import QBenchModelFiles
import QBenchSupport

let args = Array(CommandLine.arguments.dropFirst())
do {
    let fuzzer = try ModelFileFuzzer()
    if args.first == "--write-seeds", args.count == 2 {
        let dir = URL(fileURLWithPath: args[1])
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // The libFuzzer harness reads the first byte as the format selector: even = GGUF, odd = safetensors.
        for (i, s) in fuzzer.ggufSeeds.enumerated() {
            try Data([0] + s).write(to: dir.appendingPathComponent("gguf-\(i)"))
        }
        for (i, s) in fuzzer.safetensorsSeeds.enumerated() {
            try Data([1] + s).write(to: dir.appendingPathComponent("safetensors-\(i)"))
        }
        exit(0)
    }
    let iterations = args.first.flatMap(Int.init) ?? 100_000
    let seedText = args.dropFirst().first ?? "0x5EED0001"
    guard let seed = seedText.hasPrefix("0x") ? UInt64(seedText.dropFirst(2), radix: 16) : UInt64(seedText) else {
        FileHandle.standardError.write(Data("fuzz-readers: SEED \(seedText) is not a number\n".utf8))
        exit(1)
    }
    let report = fuzzer.run(iterations: iterations, seed: seed)
    print(
        "fuzz-readers: \(report.iterations) inputs (seed \(seed)), \(report.accepted) parsed, "
            + "\(report.rejected) refused with one-line errors, \(report.failures.count) failures; "
            + String(format: "%.2f s total, slowest input %.2f ms", report.elapsedSeconds, report.slowestSeconds * 1000)
    )
    if !report.failures.isEmpty {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-fuzz-failures")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in report.failures {
            let url = dir.appendingPathComponent("iteration-\(f.iteration).\(f.format.rawValue)")
            try? Data(f.input).write(to: url)
            FileHandle.standardError.write(Data("fuzz-readers: \(f) (input saved to \(url.path))\n".utf8))
        }
        exit(1)
    }
} catch {
    FileHandle.standardError.write(Data("fuzz-readers: \(error)\n".utf8))
    exit(1)
}
