// The one way every reading command (report, matrix, compare, gate) takes reports from the command line: folders
// expand to the `*.json` reports inside them, and every file is checked the same way before any work is done.
import Foundation
import QBenchSupport

/// A report and the file it came from.
public struct LoadedReport: Sendable {
    public var path: String
    public var report: Report
    public init(path: String, report: Report) { self.path = path; self.report = report }
}

public enum ReportLoader {
    /// Reports are a few MB at most (every sample of every result); a larger file is not one.
    public static let maxBytes = 256 << 20

    /// The report files named by `paths`, in order: a folder stands for the `*.json` files directly inside it,
    /// sorted by name.
    /// - Throws: `QBError.badInput` naming the path: empty, missing, a special file, or a folder without reports.
    public static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            switch try InputFile.kind(path) {
            case .regular: files.append(path)
            case .directory:
                let names: [String]
                do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                    throw QBError.io(path: path, message: "cannot list the folder: \(String(cString: strerror(errno)))")
                }
                let base = URL(fileURLWithPath: path)
                let reports = names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
                    .map { base.appendingPathComponent($0).path }
                    .filter { (try? InputFile.kind($0)) == .regular }
                guard !reports.isEmpty else {
                    throw QBError.badInput(path: path, message: "a folder without *.json reports")
                }
                files += reports
            }
        }
        return files
    }

    /// Reads and checks one report file (schema first, then every field).
    /// - Throws: `QBError.badInput` naming the file for an empty file, a truncated or non-JSON file, a JSON
    ///   document that is not a report, another schema, or a missing or mistyped field; `QBError.io` when it
    ///   cannot be read.
    public static func load(_ path: String) throws -> LoadedReport {
        let data = try InputFile.bytes(path, upTo: maxBytes + 1)
        guard !data.isEmpty else { throw QBError.badInput(path: path, message: "is empty (expected a qbench report)") }
        guard data.count <= maxBytes else {
            throw QBError.badInput(path: path, message: "larger than \(maxBytes >> 20) MiB; not a qbench report")
        }
        return LoadedReport(path: path, report: try Report.decode(data, path: path))
    }

    /// `expand` then `load` for each file; the error is the first failing file's in command-line order.
    public static func loadAll(_ paths: [String]) throws -> [LoadedReport] {
        try load(files: expand(paths))
    }

    /// `load` for each file, decoded on all cores at once (decoding dominates `compare` and `matrix`: a report of
    /// 5,000 results is about 0.5 s of JSON decoding on one core); results in the order given. When several files
    /// fail, the error is the first one's in that order, as a one-by-one load would have reported it.
    public static func load(files: [String]) throws -> [LoadedReport] {
        guard files.count > 1 else { return try files.map(load) }
        let slots = LoadSlots(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            slots.set(i, Result { try load(files[i]) })
        }
        return try slots.results().map { try $0.get() }
    }
}

/// One result slot per file, written by `concurrentPerform` workers under a lock.
private final class LoadSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<LoadedReport, Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<LoadedReport, Error>) { lock.withLock { slots[i] = r } }
    func results() -> [Result<LoadedReport, Error>] { lock.withLock { slots.map { $0! } } }
}
