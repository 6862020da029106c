// Reading reports: `qbench matrix` over 100 reports and `qbench compare` of two reports with 5,000 results each,
// from the JSON on disk to the rendered answer. Target: under 2 s each on a 2-core VM.
// The reports are copies of a real one (Tests/Fixtures/reports/smoke-quick-zen3.json): 100 devices made by changing
// the device id, and 5,000 results made by repeating the real results under distinct keys.
import Benchmark
import Foundation
import QBenchCore

func reportBenchmarks() {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-report-bench-\(getpid())")
    let template = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../../Tests/Fixtures/reports/smoke-quick-zen3.json"
    ).standardizedFileURL
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock], timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(10),
        maxIterations: 10)

    Benchmark("matrix of 100 reports (load, build, markdown)", configuration: configuration) { benchmark, folder in
        for _ in benchmark.scaledIterations {
            let loaded = try ReportLoader.loadAll([folder])
            blackHole(MatrixRender.markdown(MatrixBuilder.build(loaded)))
        }
    } setup: {
        let report = try Report.load(template)
        let folder = dir.appendingPathComponent("devices")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for i in 0..<100 {
            var r = report
            r.device.id = String(format: "%016x", 0x1000_0000_0000 + i)
            try r.write(to: folder.appendingPathComponent("r\(i).json"))
        }
        return folder.path
    }

    Benchmark("compare 2 reports of 5,000 results (load, Mann-Whitney per key)", configuration: configuration) {
        (benchmark: Benchmark, paths: [String]) in
        for _ in benchmark.scaledIterations {
            let both = try ReportLoader.load(files: paths)  // as `qbench compare` loads them
            blackHole(Compare.compare(base: both[0].report, candidate: both[1].report))
        }
    } setup: {
        var report = try Report.load(template)
        let real = report.results
        report.results = (0..<5_000).map { i in
            var x = real[i % real.count]
            x.key += "/copy\(i)"
            return x
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let base = dir.appendingPathComponent("base.json"), cand = dir.appendingPathComponent("cand.json")
        try report.write(to: base)
        try report.write(to: cand)
        return [base.path, cand.path]
    }
}
