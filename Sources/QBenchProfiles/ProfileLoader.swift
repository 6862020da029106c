// `--profile NAME|FILE` resolution: a path to a YAML file, an embedded profile ("default"), or NAME.yaml in
// a profiles folder ($QBENCH_PROFILES, then ./profiles).
import Foundation

/// A profile and where it came from ("embedded:default", or the file path).
public struct LoadedProfile: Sendable, Equatable {
    public var profile: RunProfile
    public var source: String
}

public enum ProfileLoader {
    /// Profiles compiled into the binary (Resources/<name>-profile.yaml).
    public static let embeddedNames = ["default"]

    /// $QBENCH_PROFILES (when set) then ./profiles.
    public static func defaultSearchDirectories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                                currentDirectory: String = FileManager.default.currentDirectoryPath) -> [URL] {
        var dirs: [URL] = []
        if let env = environment["QBENCH_PROFILES"], !env.isEmpty { dirs.append(URL(fileURLWithPath: env)) }
        dirs.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("profiles"))
        return dirs
    }

    /// Resolves `--profile`.
    ///
    /// Order: an existing file when `spec` looks like a path (contains "/" or ends in .yaml/.yml); an embedded
    /// name; `<dir>/<spec>.yaml` in each search directory.
    /// - Throws: `QBError.badOption(flag: "--profile", ...)` listing what exists when nothing matches;
    ///   `QBError.badInput` naming the file, line and key when the YAML is wrong.
    public static func resolve(_ spec: String, searchDirectories: [URL] = defaultSearchDirectories()) throws -> LoadedProfile {
        let looksLikePath = spec.contains("/") || spec.hasSuffix(".yaml") || spec.hasSuffix(".yml")
        if looksLikePath {
            let url = URL(fileURLWithPath: spec)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw QBError.badOption(flag: "--profile", message: "\(spec): no such file")
            }
            return LoadedProfile(profile: try load(file: url), source: spec)
        }
        if embeddedNames.contains(spec) {
            return LoadedProfile(profile: try embedded(spec), source: "embedded:\(spec)")
        }
        for dir in searchDirectories {
            let url = dir.appendingPathComponent("\(spec).yaml")
            if FileManager.default.fileExists(atPath: url.path) {
                return LoadedProfile(profile: try load(file: url), source: url.path)
            }
        }
        let known = embeddedNames + available(in: searchDirectories)
        throw QBError.badOption(flag: "--profile",
            message: "no profile named \"\(spec)\" (embedded or in \(searchDirectories.map(\.path).joined(separator: ", "))); available: \(Array(Set(known)).sorted().joined(separator: ", "))")
    }

    /// Names of the *.yaml files in the search directories.
    public static func available(in dirs: [URL]) -> [String] {
        dirs.flatMap { dir -> [String] in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        }.sorted()
    }

    /// Reads and validates a profile file.
    public static func load(file: URL) throws -> RunProfile {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw QBError.io(path: file.path, message: "cannot read profile: \(error.localizedDescription)")
        }
        return try parse(yaml: text, path: file.path)
    }

    /// Decodes and validates profile YAML. Errors name `path`, the line and the key.
    public static func parse(yaml: String, path: String) throws -> RunProfile {
        let profile = try YAMLDocument.decode(RunProfile.self, yaml: yaml, path: path)
        if let p = profile.problems().first {
            let line = YAMLDocument.line(of: YAMLDocument.parsePath(p.key), in: yaml)
            throw QBError.badInput(path: path, message: "\(line.map { "line \($0): " } ?? "")\(p.key): \(p.message)")
        }
        return profile
    }

    /// An embedded profile by name.
    public static func embedded(_ name: String) throws -> RunProfile {
        let (text, path) = try embeddedYAML(name)
        return try parse(yaml: text, path: path)
    }

    /// The text of an embedded profile and the path it was read from.
    public static func embeddedYAML(_ name: String) throws -> (text: String, path: String) {
        guard embeddedNames.contains(name) else {
            throw QBError.other("no embedded profile named \"\(name)\" (embedded: \(embeddedNames.joined(separator: ", ")))")
        }
        let url = try EmbeddedResources.url("\(name)-profile.yaml")
        do {
            return (try String(contentsOf: url, encoding: .utf8), url.path)
        } catch {
            throw QBError.io(path: url.path, message: "cannot read embedded profile: \(error.localizedDescription)")
        }
    }
}

/// Locates the package's resource bundle without `Bundle.module`'s fatalError when the bundle is missing
/// (an installed binary copied without its `.resources` folder must fail with a message, not a trap).
public enum EmbeddedResources {
    static let bundleNames = ["QuantBench_QBenchCore.resources", "QuantBench_QBenchCore.bundle"]

    /// Folders searched: next to the main bundle / executable, then every loaded bundle's parent.
    static func candidates() -> [URL] {
        var dirs = [Bundle.main.bundleURL]
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() { dirs.append(exe) }
        dirs += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        var out: [URL] = []
        for d in dirs { for n in bundleNames { out.append(d.appendingPathComponent(n)) } }
        return out
    }

    /// URL of `Resources/<file>` in the resource bundle.
    /// - Throws: `QBError.other` naming the places searched.
    public static func url(_ file: String) throws -> URL {
        for bundle in candidates() {
            for sub in ["Resources", "Contents/Resources/Resources"] {
                let u = bundle.appendingPathComponent(sub).appendingPathComponent(file)
                if FileManager.default.fileExists(atPath: u.path) { return u }
            }
        }
        throw QBError.other("embedded resource \(file) not found: the resource bundle \(bundleNames[0]) must sit next to the qbench executable (searched \(candidates().prefix(4).map(\.path).joined(separator: ", ")))")
    }
}

extension YAMLDocument {
    /// "models[1].kv_heads" -> [.key("models"), .index(1), .key("kv_heads")].
    public static func parsePath(_ s: String) -> [PathComponent] {
        var out: [PathComponent] = []
        for part in s.split(separator: ".") {
            var rest = Substring(part)
            if let b = rest.firstIndex(of: "[") {
                if b > rest.startIndex { out.append(.key(String(rest[..<b]))) }
                rest = rest[b...]
                while rest.first == "[", let close = rest.firstIndex(of: "]") {
                    if let i = Int(rest[rest.index(after: rest.startIndex)..<close]) { out.append(.index(i)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                out.append(.key(String(rest)))
            }
        }
        return out
    }
}
