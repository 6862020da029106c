// `--profile NAME|FILE` resolution: a path to a YAML file, a built-in profile (every file of profiles/, compiled
// into the binary), or NAME.yaml in a profiles folder ($QBENCH_PROFILES, then ./profiles).
import Foundation
import QBenchSupport

/// A profile and where it came from ("embedded:default", or the file path).
public struct LoadedProfile: Sendable, Equatable {
    public var profile: RunProfile
    public var source: String
}

public enum ProfileLoader {
    /// Profiles compiled into the binary: every profiles/<name>.yaml of the source tree (BuiltInProfiles.swift).
    public static let embeddedNames: [String] = BuiltInProfiles.yaml.keys.sorted()

    /// $QBENCH_PROFILES (when set) then ./profiles.
    public static func defaultSearchDirectories(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> [URL] {
        var dirs: [URL] = []
        if let env = environment["QBENCH_PROFILES"], !env.isEmpty { dirs.append(URL(fileURLWithPath: env)) }
        dirs.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("profiles"))
        return dirs
    }

    /// Resolves `--profile`.
    ///
    /// Order: an existing file when `spec` looks like a path (contains "/" or ends in .yaml/.yml);
    /// `<dir>/<spec>.yaml` in each search directory; a built-in name.
    /// - Throws: `QBError.badOption(flag: "--profile", ...)` listing what exists when nothing matches;
    ///   `QBError.badInput` naming the file, line and key when the YAML is wrong.
    public static func resolve(
        _ spec: String, searchDirectories: [URL] = defaultSearchDirectories()
    ) throws -> LoadedProfile {
        let looksLikePath = spec.contains("/") || spec.hasSuffix(".yaml") || spec.hasSuffix(".yml")
        if looksLikePath {
            return LoadedProfile(profile: try load(file: URL(fileURLWithPath: spec)), source: spec)
        }
        // A file in a profiles folder overrides the built-in profile of the same name (edit a copy, keep the name).
        for dir in searchDirectories {
            let url = dir.appendingPathComponent("\(spec).yaml")
            if FileManager.default.fileExists(atPath: url.path) {
                return LoadedProfile(profile: try load(file: url), source: url.path)
            }
        }
        if embeddedNames.contains(spec) {
            return LoadedProfile(profile: try embedded(spec), source: "embedded:\(spec)")
        }
        let known = embeddedNames + available(in: searchDirectories)
        throw QBError.badOption(
            flag: "--profile",
            message:
                "no profile named \"\(spec)\" (embedded or in "
                + "\(searchDirectories.map(\.path).joined(separator: ", "))); "
                + "available: \(Array(Set(known)).sorted().joined(separator: ", "))"
        )
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
        try parse(yaml: try InputFile.text(file.path, maxBytes: YAMLDocument.maxBytes), path: file.path)
    }

    /// Decodes and validates profile YAML. Errors name `path`, the line and the key.
    public static func parse(yaml: String, path: String) throws -> RunProfile {
        do {
            return try parseUnchecked(yaml: yaml, path: path)
        } catch let e as QBError {
            throw e.oneLine  // names and values come from the file: keep the message one line
        }
    }

    static func parseUnchecked(yaml: String, path: String) throws -> RunProfile {
        let profile = try YAMLDocument.decode(
            RunProfile.self, yaml: yaml, path: path,
            optionalKeys: RunProfile.optionalYAMLKeys)
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

    /// The text of an embedded profile and the name it is reported under ("embedded:NAME").
    public static func embeddedYAML(_ name: String) throws -> (text: String, path: String) {
        guard let text = BuiltInProfiles.yaml[name] else {
            throw QBError.other(
                "no embedded profile named \"\(name)\" (embedded: \(embeddedNames.joined(separator: ", ")))")
        }
        return (text, "embedded:\(name)")
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
