// Shared pieces of the format tests: a seeded generator for test rows (normal, heavy-tailed,
// ties, outliers) and a runner for Tests/Scripts/gguf_reference.py (the gguf.quants reference).
import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchSupport

/// The suite's SplitMix64 (Sources/QBenchSupport), with the distributions the format tests draw from.
typealias SeededRandom = SplitMix64

extension SplitMix64 {
    mutating func laplace() -> Double {
        let u = uniform() - 0.5
        return u < 0 ? log(1 + 2 * u) : -log(1 - 2 * u)
    }

    /// Student-t with `nu` degrees of freedom (integer nu): normal / sqrt(chi2(nu)/nu).
    mutating func studentT(_ nu: Int) -> Double {
        var chi2 = 0.0
        for _ in 0..<nu { let z = normal(); chi2 += z * z }
        return normal() / (chi2 / Double(nu)).squareRoot()
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// Named families of test rows. Every kind fills `rows * k` floats (k a multiple of 256).
enum TestRows: String, CaseIterable {
    case normal, studentT, laplace, zeros, singleOutlier, ties, tinyAndHuge

    func make(rows: Int, k: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        let n = rows * k
        switch self {
        case .normal:
            return (0..<n).map { _ in Float(rng.normal() * 0.02) }
        case .studentT:
            return (0..<n).map { _ in Float(rng.studentT(3) * 0.02) }
        case .laplace:
            return (0..<n).map { _ in Float(rng.laplace()) }
        case .zeros:
            return [Float](repeating: 0, count: n)
        case .singleOutlier:
            var x = (0..<n).map { _ in Float(rng.normal() * 0.01) }
            for r in 0..<rows { x[r * k + rng.int(0...(k - 1))] = Float(rng.int(0...1) == 0 ? 40 : -40) }
            return x
        case .ties:
            // Half-integers on blocks whose extreme is pinned so d = 1 (q8_0: amax 127; q4_0/q5_0:
            // max -8/-16; q4_1: range 0...15): x*id lands exactly on rounding ties.
            var x = [Float](repeating: 0, count: n)
            for b in 0..<(n / 32) {
                let style = b % 4
                for j in 0..<32 {
                    let h = Float(rng.int(-30...30)) / 2
                    switch style {
                    case 0: x[b * 32 + j] = min(126.5, max(-126.5, h * 4 + 0.5))
                    case 1: x[b * 32 + j] = min(7.5, max(-7.5, h / 2))
                    case 2: x[b * 32 + j] = Float(rng.int(0...29)) / 2
                    default: x[b * 32 + j] = min(15.5, max(-15.5, h))
                    }
                }
                switch style {
                case 0: x[b * 32 + rng.int(0...31)] = 127
                case 1: x[b * 32 + rng.int(0...31)] = -8
                case 2: x[b * 32] = 0; x[b * 32 + 31] = 15
                default: x[b * 32 + rng.int(0...31)] = -16
                }
            }
            return x
        case .tinyAndHuge:
            // Scales near the ends of fp16's range: subnormal d and d close to overflow.
            return (0..<n).map { i in
                let block = i / 32
                let mag: Double = block % 3 == 0 ? 1e-6 : (block % 3 == 1 ? 3e5 : 1e-3)
                return Float(rng.normal() * mag)
            }
        }
    }
}

/// Runs gguf_reference.py jobs (gguf.quants, or the script's own port of ggml's k-quant code).
struct GGUFReference {
    let dir: URL
    static let script = TestPaths.packageRoot.appendingPathComponent("Tests/Scripts/gguf_reference.py")

    /// Skips the calling test (fails it under QBENCH_REQUIRE_ORACLES=1), with the reason, when python3 or its gguf
    /// package is missing.
    static func require(_ testName: String = #function) throws -> GGUFReference {
        let probe = run(["python3", "-c", "import gguf, gguf.quants, numpy"])
        try Oracle.require(
            "gguf-py", probe.status == 0,
            "python3 with the `gguf` package is not available (\(probe.stderr.prefix(200))); "
                + "pip install gguf to run this test"
        )
        return GGUFReference(dir: try TestPaths.scratch(testName))
    }

    struct Job {
        let op: String, type: String, rows: Int, k: Int, input: [UInt8]
    }

    /// Runs the jobs in one python process and returns each job's output bytes.
    func run(_ jobs: [Job]) throws -> [[UInt8]] {
        var manifest: [[String: Any]] = []
        for (i, j) in jobs.enumerated() {
            let inURL = dir.appendingPathComponent("in\(i).bin"), outURL = dir.appendingPathComponent("out\(i).bin")
            try Data(j.input).write(to: inURL)
            manifest.append([
                "op": j.op, "type": j.type, "rows": j.rows, "k": j.k, "in": inURL.path, "out": outURL.path,
            ])
        }
        let mURL = dir.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: mURL)
        let r = Self.run(["python3", Self.script.path, mURL.path])
        guard r.status == 0 else { throw QBError.other("gguf_reference.py failed (\(r.status)): \(r.stderr)") }
        return try jobs.indices.map { [UInt8](try Data(contentsOf: dir.appendingPathComponent("out\($0).bin"))) }
    }

    static func run(_ argv: [String]) -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { return (127, "\(error)") }
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

func floatBytes(_ x: [Float]) -> [UInt8] {
    x.withUnsafeBytes { [UInt8]($0) }
}

func floats(fromBytes b: [UInt8]) -> [Float] {
    precondition(b.count % 4 == 0)
    return b.withUnsafeBytes { raw in
        (0..<(b.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    }
}

/// First index where two byte arrays differ, with a short context, for failure messages.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    if a.count != b.count { return "sizes differ: \(a.count) vs \(b.count)" }
    guard let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else {
        return "identical"
    }
    let lo = max(0, i - 4), hi = min(a.count, i + 8)
    return "byte \(i): ours \(Array(a[lo..<hi])) reference \(Array(b[lo..<hi]))"
}
