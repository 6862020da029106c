import Foundation
import XCTest
import QBenchTestSupport
@testable import QBenchSupport

/// The build stamp: what this binary says it was built from, and scripts/build-stamp.sh (which the BuildStamp
/// plugin runs when a source file or git's HEAD changed) in a git work tree, a dirty one, a tarball, and a tarball
/// unpacked inside another repository.
final class BuildInfoTests: XCTestCase {
    func testBuildInfo_namesACommitOfThisRepositoryOrNone() throws {
        #if DEBUG
        XCTAssertEqual(BuildInfo.configuration, "debug")
        #else
        XCTAssertEqual(BuildInfo.configuration, "release")
        #endif
        XCTAssertEqual(BuildInfo.commit == nil, BuildInfo.dirty == nil)
        guard let commit = BuildInfo.commit else {
            // Built outside a git work tree of its own: then the package root is not one either.
            let top = try? git(["rev-parse", "--show-toplevel"], in: TestPaths.packageRoot)
            XCTAssertNotEqual(
                top.map(resolved), resolved(TestPaths.packageRoot.path),
                "built in a work tree, yet no commit")
            return
        }
        XCTAssertEqual(commit.count, 40, commit)
        XCTAssertTrue(commit.allSatisfy(\.isHexDigit), commit)
        // HEAD may have moved since the build (a commit between build and test), but the commit must exist here.
        XCTAssertEqual(try git(["cat-file", "-t", commit], in: TestPaths.packageRoot), "commit")
    }

    func testScript_recordsTheCommitAndWhetherTheTreeIsDirty() throws {
        let repo = try TestPaths.scratch().appendingPathComponent("pkg")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        try git(["init", "-q"], in: repo)
        try "a\n".write(to: repo.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try git(["add", "a.txt"], in: repo)
        try git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "a"], in: repo)
        let head = try git(["rev-parse", "HEAD"], in: repo)

        let out = repo.deletingLastPathComponent().appendingPathComponent("out/BuildStamp.swift")
        XCTAssertEqual(try stamp(package: repo, out: out), .init(commit: head, dirty: false))
        let file = out
        let before = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.01)
        // Unchanged: the file is left alone, so nothing recompiles.
        XCTAssertEqual(try stamp(package: repo, out: out), .init(commit: head, dirty: false))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date, before)

        try "b\n".write(to: repo.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try stamp(package: repo, out: out), .init(commit: head, dirty: true), "tracked edit")
        try git(["checkout", "-q", "a.txt"], in: repo)
        try "new\n".write(to: repo.appendingPathComponent("new.swift"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try stamp(package: repo, out: out), .init(commit: head, dirty: true), "untracked file")
        try "new.swift\n".write(to: repo.appendingPathComponent(".git/info/exclude"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try stamp(package: repo, out: out), .init(commit: head, dirty: false), "ignored file")
        // With paths (the plugin passes the manifest and the target folders), only changes there count.
        let docs = repo.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try "notes\n".write(to: docs.appendingPathComponent("notes.md"), atomically: true, encoding: .utf8)
        XCTAssertEqual(
            try stamp(package: repo, out: out, paths: ["a.txt", "Sources"]),
            .init(commit: head, dirty: false))
        XCTAssertEqual(try stamp(package: repo, out: out, paths: ["a.txt", "docs"]), .init(commit: head, dirty: true))
        try FileManager.default.removeItem(at: repo.appendingPathComponent("a.txt"))
        XCTAssertEqual(
            try stamp(package: repo, out: out, paths: ["a.txt"]), .init(commit: head, dirty: true),
            "deleted")
    }

    func testScript_withoutAWorkTreeOfItsOwnRecordsNoCommit() throws {
        let root = try TestPaths.scratch()
        // A tarball: no .git anywhere above (the scratch folder is under the system temp dir).
        let tarball = root.appendingPathComponent("tarball")
        try FileManager.default.createDirectory(at: tarball, withIntermediateDirectories: true)
        try XCTSkipIf(
            (try? git(["rev-parse", "--show-toplevel"], in: tarball)) != nil, "the temp dir is in a git tree")
        XCTAssertEqual(
            try stamp(package: tarball, out: root.appendingPathComponent("out1/BuildStamp.swift")),
            .init(commit: nil, dirty: nil))
        // A tarball unpacked inside another repository: that repository's commit is not this tree's.
        let outer = root.appendingPathComponent("outer")
        let inner = outer.appendingPathComponent("vendor/qbench")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        try git(["init", "-q"], in: outer)
        try git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "o"], in: outer)
        XCTAssertEqual(
            try stamp(package: inner, out: root.appendingPathComponent("out2/BuildStamp.swift")),
            .init(commit: nil, dirty: nil))
        // A package folder that does not exist still yields a file, never a failed build.
        let missing = root.appendingPathComponent("missing")
        XCTAssertEqual(
            try stamp(package: missing, out: root.appendingPathComponent("out3/BuildStamp.swift")),
            .init(commit: nil, dirty: nil))
    }

    // MARK: helpers

    struct Stamp: Equatable {
        var commit: String?
        var dirty: Bool?
    }

    /// Runs scripts/build-stamp.sh as the plugin does and reads back the two values it wrote.
    func stamp(package: URL, out: URL, paths: [String] = []) throws -> Stamp {
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/build-stamp.sh").path
        let r = try run("/bin/sh", [script, package.path, out.path] + paths, in: nil)
        XCTAssertEqual(r.status, 0, r.output)
        let text = try String(contentsOf: out, encoding: .utf8)
        func value(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.contains("static let \(name):") }
                .map { String($0.split(separator: "=", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)) }
        }
        let commit = value("commit"), dirty = value("dirty")
        return Stamp(
            commit: commit == "nil" ? nil : commit?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")),
            dirty: dirty == "nil" ? nil : dirty == "true")
    }

    @discardableResult
    func git(_ args: [String], in dir: URL) throws -> String {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/git"), "git is not installed")
        let r = try run("/usr/bin/git", args, in: dir)
        guard r.status == 0 else { throw QBError.other("git \(args.joined(separator: " ")): \(r.output)") }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func run(_ exe: String, _ args: [String], in dir: URL?) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let dir { p.currentDirectoryURL = dir }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func resolved(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
}
