// Fuzzes the readers of the suite's small text inputs: run profiles (YAML), hwloc-gather-cpuid dumps and hwloc XML
// topologies. Seeds are the repository's own files; each input is a seeded mutation of one. Every input must end in
// a parse or in one QBError line; a trap (with AddressSanitizer in scripts/test.d/fuzz-inputs.sh: any bad memory
// access too) kills the run, and a watchdog ends the run on an input that takes longer than the limit (a hang).
//
// hwloc itself aborts or crashes on some malformed XML, which the product survives by loading each file in a forked
// child first. Forking per file would cap this fuzzer at about 70 files a second, so XML inputs run in batches in a
// child process of this program (`xml-child`), loaded in process: when hwloc kills the child, the parent checks
// that the product (the isolated `TopologyProbe.fixture`) refuses that file with one line, and starts a new child
// after it.
//
//   qbench-fuzz-inputs ROOT KIND ITERATIONS [SEED]     KIND: profile | cpuid | xml
import Foundation
@_spi(Fuzzing) import QBenchDevice
import QBenchProfiles
import QBenchSupport

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz-inputs: \(message)\n".utf8))
    exit(1)
}

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 3, let iterations = Int(args[2]) else { fail("usage: ROOT profile|cpuid|xml ITERATIONS [SEED]") }
let root = URL(fileURLWithPath: args[0])
// `xml-child` (started by the `xml` parent only): ROOT xml-child ITERATIONS SEED FROM SCRATCH.
let isChild = args[1] == "xml-child"
let kind = isChild ? "xml" : args[1]
let seed = args.count > 3 ? (UInt64(args[3].replacingOccurrences(of: "0x", with: ""), radix: 16) ?? 1) : 0x5EED_0002
let childFrom = isChild && args.count > 4 ? Int(args[4]) ?? 0 : 0
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

let hangExit: Int32 = 99

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
            _exit(hangExit)  // an exit status, not a signal: the xml parent counts signals as hwloc crashes
        }
    }
}

let scratch =
    isChild && args.count > 5
    ? URL(fileURLWithPath: args[5])
    : FileManager.default.temporaryDirectory.appendingPathComponent("qbench-fuzz-inputs-\(getpid()).xml")
defer { try? FileManager.default.removeItem(at: scratch) }
var parsed = 0, refused = 0, multiLine = 0
var slowest = 0.0
let start = DispatchTime.now().uptimeNanoseconds

/// The child's report to its parent: one 9-byte record before each input (`S`) and one after (`P` parsed,
/// `R` refused with one line, `M` refused with several), each with the input's index and its time in microseconds.
func record(_ tag: Character, _ index: Int, micros: Int = 0) {
    var bytes = [UInt8(tag.asciiValue!)]
    withUnsafeBytes(of: UInt32(index).littleEndian) { bytes += $0 }
    withUnsafeBytes(of: UInt32(clamping: micros).littleEndian) { bytes += $0 }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        guard n > 0 else { _exit(3) }  // the parent is gone
        offset += n
    }
}

func saveFailure(_ name: String, _ input: [UInt8]) -> URL {
    try? FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
    let f = failures.appendingPathComponent(name)
    try? Data(input).write(to: f)
    return f
}

/// The parent of `xml`: runs batches in children until every input ran; each hwloc crash ends a batch. A function,
/// so that its buffers are freed before the leak check at exit.
func runXMLBatches() {
    var from = 0, hwlocCrashes = 0, children = 0
    let me = URL(fileURLWithPath: CommandLine.arguments[0])
    try? FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
    let childLog = failures.appendingPathComponent("xml-child.log")
    try? FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
    var environment = ProcessInfo.processInfo.environment
    // Crashes in hwloc must reach the parent as signals, not as AddressSanitizer's SEGV report (exit 1); ASan's
    // reports of bad accesses in the instrumented Swift code still end the child with a failing status.
    environment["ASAN_OPTIONS"] =
        (environment["ASAN_OPTIONS"].map { $0 + ":" } ?? "") + "handle_segv=0:handle_sigbus=0:handle_abort=0"
    // hwloc leaks on some of its error paths (strdup'd attribute strings); leaks anywhere else still fail a child.
    let suppressions = failures.appendingPathComponent("lsan-hwloc.supp")
    try? Data("leak:libhwloc.so\n".utf8).write(to: suppressions)
    environment["LSAN_OPTIONS"] =
        (environment["LSAN_OPTIONS"].map { $0 + ":" } ?? "") + "suppressions=\(suppressions.path)"
    environment["HWLOC_HIDE_ERRORS"] = "2"
    // Swift's crash backtracer would hold the child's output pipe open (and take seconds) for every hwloc abort.
    environment["SWIFT_BACKTRACE"] = "enable=no"
    while from < iterations {
        // posix_spawn and waitpid: Foundation's Process did not reliably see these children end.
        let childArgs = [
            me.path, root.path, "xml-child", String(iterations), String(seed, radix: 16), String(from), scratch.path,
        ]
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fail("cannot create a pipe: \(String(cString: strerror(errno)))") }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        // hwloc's boxed complaints about the XML go to a log, shown when a child fails.
        posix_spawn_file_actions_addopen(&actions, 2, childLog.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = childArgs.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, me.path, &actions, nil, argv, envp)
        posix_spawn_file_actions_destroy(&actions)
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        close(fds[1])
        guard spawned == 0 else { fail("cannot start a child: \(String(cString: strerror(spawned)))") }
        children += 1
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data += buffer[0..<n]
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        let exitStatus = (status >> 8) & 0xff
        var lastStarted = from - 1
        for r in stride(from: 0, to: data.count - data.count % 9, by: 9) {
            let index = Int(data[r + 1]) | Int(data[r + 2]) << 8 | Int(data[r + 3]) << 16 | Int(data[r + 4]) << 24
            let micros = Int(data[r + 5]) | Int(data[r + 6]) << 8 | Int(data[r + 7]) << 16 | Int(data[r + 8]) << 24
            switch data[r] {
            case UInt8(ascii: "S"): lastStarted = index
            case UInt8(ascii: "P"): parsed += 1
            case UInt8(ascii: "R"): refused += 1
            default: multiLine += 1
            }
            slowest = max(slowest, Double(micros) / 1e6)
        }
        if signal != 0 {
            // hwloc killed the child on input `lastStarted` (still in the scratch file): the product must refuse it
            // with one line, from its forked first load.
            hwlocCrashes += 1
            let input = (try? [UInt8](Data(contentsOf: scratch))) ?? []
            do {
                _ = try TopologyProbe.fixture(xmlPath: scratch.path)
                let f = saveFailure("hwloc-crash-loaded-xml", input)
                fail(
                    "input \(lastStarted) killed hwloc in process (signal \(signal)) but the product "
                        + "loaded it: \(f.path)")
            } catch let e as QBError {
                refused += 1
                if e.description.contains("\n") {
                    multiLine += 1
                    _ = saveFailure("multiline-xml", input)
                }
            } catch {
                fail("input \(lastStarted) threw a non-QBError: \(error)")
            }
            from = lastStarted + 1
        } else if exitStatus == hangExit {
            fail("input \(lastStarted) ran over \(limitSeconds) s (saved under \(failures.path))")
        } else if exitStatus != 0 {
            let f = saveFailure("failed-xml", (try? [UInt8](Data(contentsOf: scratch))) ?? [])
            let log = (try? String(contentsOf: childLog, encoding: .utf8)) ?? ""
            FileHandle.standardError.write(Data(log.split(separator: "\n").suffix(30).joined(separator: "\n").utf8))
            fail(
                "a child failed with status \(exitStatus) on input \(lastStarted) (\(f.path)); "
                    + "run it again alone: \(me.path) \(root.path) xml-child \(iterations) \(String(seed, radix: 16)) "
                    + "\(lastStarted) \(f.path).run")
        } else {
            from = iterations
        }
    }
    let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print(
        "fuzz-inputs: xml: \(iterations) inputs (seed 0x\(String(seed, radix: 16))), \(parsed) parsed, \(refused) "
            + "refused with one-line errors, of which \(hwlocCrashes) crashed hwloc in process and were refused by "
            + "its forked load; \(children) child processes; "
            + String(format: "%.1f s total, slowest input %.1f ms", total, slowest * 1000))
    if multiLine > 0 { fail("\(multiLine) errors were not one line") }
}

if kind == "xml" && !isChild {
    runXMLBatches()
    exit(0)
}

// hwloc loads its plugins (libxml2 among them) when the first topology is created and unloads them when the last
// one is destroyed: one topology kept for the child's life keeps them loaded, instead of a dlopen and dlclose per
// input (most of the time per input, and leak reports from unloaded code that cannot be symbolized).
let keepPluginsLoaded: HwlocTopology? =
    isChild
    ? try? HwlocTopology.load(
        xmlPath: root.appendingPathComponent("Tests/Fixtures/real-machines/hwloc-xml/AMD-EPYC-Zen4-2core-VM.xml").path)
    : nil
if isChild && keepPluginsLoaded == nil { fail("cannot load the seed topology to keep hwloc's plugins loaded") }

for i in 0..<iterations {
    let input = i < seeds.count ? seeds[i] : mutate(seeds[Int(rng.next() % UInt64(seeds.count))])
    if i < childFrom { continue }  // a child after a crash: the same inputs in the same order, from FROM on
    current.lock.lock()
    current.input = input
    current.startedNs = DispatchTime.now().uptimeNanoseconds
    current.lock.unlock()
    let t0 = DispatchTime.now().uptimeNanoseconds
    var tag: Character = "P"
    do {
        switch kind {
        case "profile":
            _ = try ProfileLoader.parse(yaml: String(decoding: input, as: UTF8.self), path: "fuzz.yaml")
        case "cpuid":
            let dump = try CPUIDDump.parse(String(decoding: input, as: UTF8.self), path: "pu0")
            _ = ISAProbe.probe(dump.reader(xcr0Override: nil))
        default:
            try Data(input).write(to: scratch)
            if isChild { record("S", i) }
            _ = try TopologyProbe.fixtureInProcess(xmlPath: scratch.path)
        }
        parsed += 1
    } catch let e as QBError {
        refused += 1
        tag = "R"
        if e.description.contains("\n") {
            tag = "M"
            multiLine += 1
            if multiLine == 1 {
                let f = saveFailure("multiline-\(kind)", input)
                FileHandle.standardError.write(
                    Data("fuzz-inputs: a multi-line error (input in \(f.path)): \(e)\n".utf8))
            }
        }
    } catch {
        fail("input \(i) threw a non-QBError: \(error)")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    if isChild { record(tag, i, micros: Int(seconds * 1e6)) }
    slowest = max(slowest, seconds)
}
current.lock.lock()
current.startedNs = 0
current.lock.unlock()
if isChild { exit(0) }
let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print(
    "fuzz-inputs: \(kind): \(iterations) inputs (seed 0x\(String(seed, radix: 16))), \(parsed) parsed, "
        + "\(refused) refused "
        + String(format: "with one-line errors; %.1f s total, slowest input %.1f ms", total, slowest * 1000))
if multiLine > 0 { fail("\(multiLine) errors were not one line") }
