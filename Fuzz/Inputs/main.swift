// Fuzzes the readers of the suite's small text inputs: run profiles (YAML), hwloc-gather-cpuid dumps and hwloc XML
// topologies. Seeds are the repository's own files; each input is a seeded mutation of one. Every input must end in
// a parse or in one QBError line; a trap (with AddressSanitizer in scripts/test.d/fuzz-inputs.sh: any bad memory
// access too) kills the run, and a watchdog aborts on an input that takes longer than the limit (a hang).
//
//   qbench-fuzz-inputs ROOT KIND ITERATIONS [SEED]     KIND: profile | cpuid | xml
import Foundation
import QBenchDevice
import QBenchProfiles
import QBenchSupport

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz-inputs: \(message)\n".utf8))
    exit(1)
}

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 3, let iterations = Int(args[2]) else { fail("usage: ROOT profile|cpuid|xml ITERATIONS [SEED]") }
let root = URL(fileURLWithPath: args[0])
let kind = args[1]
let seed = args.count > 3 ? (UInt64(args[3].replacingOccurrences(of: "0x", with: ""), radix: 16) ?? 1) : 0x5EED_0002
let limitSeconds = 10.0

func files(_ dir: String, _ pick: (URL) -> Bool) -> [URL] {
    let base = root.appendingPathComponent(dir)
    let items = (try? FileManager.default.subpathsOfDirectory(atPath: base.path)) ?? []
    return items.sorted().map { base.appendingPathComponent($0) }.filter(pick)
}

// Seeds and the tokens the mutator splices in (the syntax each reader has to survive).
let seeds: [[UInt8]]
let tokens: [String]
switch kind {
case "profile":
    seeds = files("profiles") { $0.pathExtension == "yaml" }.compactMap { try? Array(Data(contentsOf: $0)) }
    tokens = [
        "&a ", "*a", "<<: *a", "[", "]", "{", "}", ": ", "- ", "\n", "\n  ", "!!binary ", "!!int ", "'", "\"",
        "#", "? ", "|\n", ">\n", "~", "null", "-1", "1e308", "0x7fffffffffffffff", "nan", ".inf", "cores",
        "warm", "q4_k", "gemv", "\t", "\u{0}", "%YAML 1.1\n", "---\n", "...\n",
    ]
case "cpuid":
    seeds = files("Tests/Fixtures/real-machines/cpuid") { $0.lastPathComponent == "pu0" }
        .compactMap { try? Array(Data(contentsOf: $0)) }
    tokens = [
        "0x", "=>", " ", "\n", "#", "ffffffff", "00000000", "0x0000000d", "0x00000007", "-1", "zz", "\r\n",
        "99999999999999999999", "0x80000000",
    ]
case "xml":
    seeds = files("Tests/Fixtures/real-machines/hwloc-xml") { $0.lastPathComponent == "AMD-EPYC-Zen4-2core-VM.xml" }
        .compactMap { try? Array(Data(contentsOf: $0)) }
    tokens = [
        "<", ">", "</object>", "<object type=\"Core\" os_index=\"0\">", "cpuset=\"0xffffffff\"", "\"", "=",
        "depth=\"-1\"", "os_index=\"4294967295\"", "local_memory=\"18446744073709551615\"", "&amp;", "&#0;",
        "<!DOCTYPE x [<!ENTITY a \"b\">]>", "<info name=\"x\" value=\"y\"/>", "\n",
    ]
default:
    fail("KIND must be profile, cpuid or xml, not \(kind)")
}
guard !seeds.isEmpty else { fail("no \(kind) seeds found under \(root.path)") }

var rng = SplitMix64(seed: seed)
func mutate(_ input: [UInt8]) -> [UInt8] {
    var b = input
    for _ in 0...(Int(rng.next() % 4)) {
        let at = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count))
        switch rng.next() % 6 {
        case 0 where !b.isEmpty: b[at] ^= UInt8(1 << (rng.next() % 8))
        case 1 where !b.isEmpty: b.removeSubrange(at..<min(b.count, at + 1 + Int(rng.next() % 64)))
        case 2: b.insert(contentsOf: Array(tokens[Int(rng.next() % UInt64(tokens.count))].utf8), at: at)
        case 3 where !b.isEmpty:
            let len = min(b.count - at, 1 + Int(rng.next() % 256))
            b.insert(contentsOf: b[at..<(at + len)], at: Int(rng.next() % UInt64(b.count)))
        case 4: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
        default:
            let other = seeds[Int(rng.next() % UInt64(seeds.count))]
            if !other.isEmpty {
                let from = Int(rng.next() % UInt64(other.count))
                b.replaceSubrange(at..<b.count, with: other[from...])
            }
        }
    }
    return b
}

// The watchdog: an input still running after the limit is written out and the process aborts.
final class Current: @unchecked Sendable {
    let lock = NSLock()
    var startedNs: UInt64 = 0
    var input: [UInt8] = []
}
let current = Current()
let failures = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-fuzz-inputs")
Thread.detachNewThread {
    while true {
        Thread.sleep(forTimeInterval: 0.5)
        current.lock.lock()
        let started = current.startedNs, input = current.input
        current.lock.unlock()
        if started > 0, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 > limitSeconds {
            try? FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
            let f = failures.appendingPathComponent("hang-\(kind)")
            try? Data(input).write(to: f)
            FileHandle.standardError.write(Data("fuzz-inputs: an input ran over \(limitSeconds) s: \(f.path)\n".utf8))
            abort()
        }
    }
}

let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-fuzz-inputs-\(getpid()).xml")
defer { try? FileManager.default.removeItem(at: scratch) }
var parsed = 0, refused = 0, multiLine = 0
var slowest = 0.0
let start = DispatchTime.now().uptimeNanoseconds
for i in 0..<iterations {
    let input = i < seeds.count ? seeds[i] : mutate(seeds[Int(rng.next() % UInt64(seeds.count))])
    current.lock.lock()
    current.input = input
    current.startedNs = DispatchTime.now().uptimeNanoseconds
    current.lock.unlock()
    let t0 = DispatchTime.now().uptimeNanoseconds
    do {
        switch kind {
        case "profile":
            _ = try ProfileLoader.parse(yaml: String(decoding: input, as: UTF8.self), path: "fuzz.yaml")
        case "cpuid":
            let dump = try CPUIDDump.parse(String(decoding: input, as: UTF8.self), path: "pu0")
            _ = ISAProbe.probe(dump.reader(xcr0Override: nil))
        default:
            try Data(input).write(to: scratch)
            _ = try TopologyProbe.fixture(xmlPath: scratch.path)
        }
        parsed += 1
    } catch let e as QBError {
        refused += 1
        if e.description.contains("\n") {
            multiLine += 1
            if multiLine == 1 {
                try? FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
                let f = failures.appendingPathComponent("multiline-\(kind)")
                try? Data(input).write(to: f)
                FileHandle.standardError.write(
                    Data("fuzz-inputs: a multi-line error (input in \(f.path)): \(e)\n".utf8))
            }
        }
    } catch {
        fail("input \(i) threw a non-QBError: \(error)")
    }
    slowest = max(slowest, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
}
current.lock.lock()
current.startedNs = 0
current.lock.unlock()
let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print(
    "fuzz-inputs: \(kind): \(iterations) inputs (seed 0x\(String(seed, radix: 16))), \(parsed) parsed, "
        + "\(refused) refused "
        + String(format: "with one-line errors; %.1f s total, slowest input %.1f ms", total, slowest * 1000))
if multiLine > 0 { fail("\(multiLine) errors were not one line") }
