// Embeds the git commit and dirty flag of the source tree in QBenchSupport (`BuildInfo`), at build time.
//
// A build command runs /bin/sh scripts/build-stamp.sh, which writes BuildStamp.swift into the plugin's work
// directory; SwiftPM compiles it into the target. The command's inputs are every file the binary is built from
// (Package.swift and the folders of the non-test targets) and git's HEAD, its reflog, index and branch ref, so it
// runs again after an edit, a commit or a checkout, and not otherwise. (A prebuild command would not do: SwiftPM
// reuses its cached build plan, prebuild commands included, until a file is added or removed.) The script rewrites
// the file only when its text changes, so an unchanged stamp recompiles nothing.
import Foundation
import PackagePlugin

@main
struct BuildStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL.standardizedFileURL
        let out = context.pluginWorkDirectoryURL.appendingPathComponent("BuildStamp.swift")
        let script = package.appendingPathComponent("scripts/build-stamp.sh")
        // What the binary is built from: the source files of every non-test target, and the manifest.
        let sources = context.package.targets.compactMap { $0 as? SourceModuleTarget }.filter { $0.kind != .test }
            .map { $0.sourceFiles.map { $0.url.standardizedFileURL } }
        let files = sources.flatMap { $0 } + [package.appendingPathComponent("Package.swift"), script]
        // The dirty check looks at each target's folder (the deepest one holding all its files) and the manifest:
        // an edit of the docs or the tests does not make a binary dirty.
        let folders = sources.compactMap(Self.commonFolder).compactMap { f -> String? in
            f.path.hasPrefix(package.path + "/") ? String(f.path.dropFirst(package.path.count + 1)) : nil
        }
        let relative = ["Package.swift", "Plugins", "scripts/build-stamp.sh"] + Array(Set(folders)).sorted()
        return [.buildCommand(displayName: "Stamping \(target.name) with the git commit",
                              executable: URL(fileURLWithPath: "/bin/sh"),
                              arguments: [script.path, package.path, out.path] + relative,
                              inputFiles: files + Self.gitFiles(package: package),
                              outputFiles: [out])]
    }

    /// The deepest folder that holds every file of `files`; nil for none.
    static func commonFolder(_ files: [URL]) -> URL? {
        guard var common = files.first?.deletingLastPathComponent().pathComponents else { return nil }
        for f in files.dropFirst() {
            let parts = f.deletingLastPathComponent().pathComponents
            common = Array(zip(common, parts).prefix { $0.0 == $0.1 }.map(\.0))
        }
        guard common.first == "/" else { return nil }
        return common.dropFirst().reduce(URL(fileURLWithPath: "/")) { $0.appendingPathComponent($1) }
    }

    /// The git files a commit or checkout changes (HEAD, its reflog, the index, the branch's ref), those that
    /// exist; none outside a work tree. `.git` may be a folder or, in a linked worktree, a `gitdir:` file.
    static func gitFiles(package: URL) -> [URL] {
        let dotGit = package.appendingPathComponent(".git")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isFolder) else { return [] }
        func read(_ url: URL) -> String? {
            (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func resolve(_ path: String, from base: URL) -> URL {
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path).standardizedFileURL
        }
        var gitDir = dotGit
        if !isFolder.boolValue {
            guard let line = read(dotGit), line.hasPrefix("gitdir:") else { return [] }
            gitDir = resolve(line.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespaces), from: package)
        }
        let common = read(gitDir.appendingPathComponent("commondir")).map { resolve($0, from: gitDir) } ?? gitDir
        var candidates = [gitDir.appendingPathComponent("HEAD"), gitDir.appendingPathComponent("logs/HEAD"),
                          gitDir.appendingPathComponent("index"), common.appendingPathComponent("packed-refs")]
        if let head = read(gitDir.appendingPathComponent("HEAD")), head.hasPrefix("ref:") {
            candidates.append(common.appendingPathComponent(head.dropFirst(4).trimmingCharacters(in: .whitespaces)))
        }
        return candidates.filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}
