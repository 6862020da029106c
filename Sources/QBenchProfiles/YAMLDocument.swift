// Profiles: run profiles and model dimensions read from YAML, the shapes derived from them, and the
// projections from measured kernel times to tokens per second. This file: YAML decoding with errors that name
// the file, the line and the key.
//
// YAML keys are snake_case; Swift properties are camelCase with synthesized Codable, so the same types also go
// through `QBJSON` (which converts keys the same way). Keys are converted on the YAML node tree before decoding,
// which keeps Yams' line marks for error messages.
import Yams
import QBenchSupport

public enum YAMLDocument {
    /// Decodes `T` from YAML text.
    ///
    /// - Parameters:
    ///   - path: the file name used in messages.
    ///   - rejectUnknownKeys: a key that `T` does not have is an error (catches typos such as `min_sample`).
    /// - Throws: `QBError.badInput(path:message:)` with "line L: key.path: problem".
    public static func decode<T: Codable>(
        _ type: T.Type, yaml: String, path: String,
        rejectUnknownKeys: Bool = true, optionalKeys: [String: [String]] = [:]
    ) throws -> T {
        let root = try composeRoot(
            yaml: yaml, path: path, tooLarge: "larger than the \(maxBytes) a profile may be", oneLine: false)
        // Aliases share nodes, so a small file can stand for an enormous tree ("billion laughs"). Documents here are
        // small: refuse any that expands past `maxNodes` before walking it further.
        if exceeds(root, maxNodes) {
            throw QBError.badInput(
                path: path,
                message: "more than \(maxNodes) YAML nodes once aliases are expanded; "
                    + "a profile is a few hundred (anchors and aliases are not needed)")
        }
        let camel = camelized(root)
        let value: T
        do {
            value = try YAMLDecoder().decode(T.self, from: camel)
        } catch let e as DecodingError {
            throw QBError.badInput(path: path, message: describe(e, root: root))
        } catch let e as YamlError {
            throw QBError.badInput(path: path, message: describe(e))
        }
        if rejectUnknownKeys, let unknown = firstUnknownKey(in: root, decoded: value, optionalKeys: optionalKeys) {
            let hint = nearest(unknown.key, in: unknown.known).map { "did you mean \($0)? " } ?? ""
            throw QBError.badInput(
                path: path,
                message: "\(lineText(unknown.mark))unknown key \(unknown.path) "
                    + "(\(hint)expected one of: \(unknown.known.joined(separator: ", ")))")
        }
        return value
    }

    /// The most nodes a document may expand to (a profile has about a hundred).
    public static let maxNodes = 20_000
    /// The largest YAML text accepted (a profile is about 2 KB).
    public static let maxBytes = 1 << 20

    /// True when the tree has more than `limit` nodes, counting shared (aliased) subtrees each time they appear;
    /// stops counting at the limit, so a hostile tree costs at most `limit` steps.
    static func exceeds(_ root: Node, _ limit: Int) -> Bool {
        var count = 0
        func walk(_ n: Node) -> Bool {
            count += 1
            if count > limit { return true }
            switch n {
            case .mapping(let m): for (k, v) in m where walk(k) || walk(v) { return true }
            case .sequence(let s): for v in s where walk(v) { return true }
            default: break
            }
            return false
        }
        return walk(root)
    }

    /// The line (and key path) of the node at a snake_case key path, for messages about values that decoded
    /// but failed validation.
    public static func line(of keyPath: [PathComponent], in yaml: String) -> Int? {
        guard let root = try? Yams.compose(yaml: yaml) else { return nil }
        return node(at: keyPath, in: root).mark?.line
    }

    /// One step of a key path: a mapping key or a sequence index.
    public enum PathComponent: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case key(String)
        case index(Int)
        public init(stringLiteral s: String) { self = .key(s) }
        public init(integerLiteral i: Int) { self = .index(i) }
    }

    /// "timing.min_samples", "models[1].kv_heads".
    public static func render(_ path: [PathComponent]) -> String {
        var s = ""
        for c in path {
            switch c {
            case .key(let k): s += s.isEmpty ? k : ".\(k)"
            case .index(let i): s += "[\(i)]"
            }
        }
        return s.isEmpty ? "(document)" : s
    }

    // MARK: - Key conversion

    /// "min_time_ms" -> "minTimeMs" (the inverse of JSONEncoder's convertToSnakeCase for our key names).
    static func camelCase(_ key: String) -> String {
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count > 1, !parts[0].isEmpty else { return key }
        return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// "minTimeMs" -> "min_time_ms".
    static func snakeCase(_ key: String) -> String {
        var out = ""
        for ch in key {
            if ch.isUppercase { if !out.isEmpty { out += "_" }; out += ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    static func camelized(_ node: Node) -> Node {
        switch node {
        case .mapping(let m):
            let pairs = m.map { (k, v) -> (Node, Node) in
                if case .scalar(var s) = k { s.string = camelCase(s.string); return (.scalar(s), camelized(v)) }
                return (k, camelized(v))
            }
            return .mapping(Node.Mapping(pairs, m.tag, m.style, m.mark))
        case .sequence(let s):
            return .sequence(Node.Sequence(s.map(camelized), s.tag, s.style, s.mark))
        default:
            return node
        }
    }

    // MARK: - Errors

    static func lineText(_ mark: Mark?) -> String { mark.map { "line \($0.line): " } ?? "" }

    static func describe(_ e: YamlError) -> String {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let ctx = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return "line \(mark.line), column \(mark.column): YAML syntax error: \(problem)\(ctx)"
        case let .reader(problem, offset, _, _):
            return "YAML reader error: \(problem)" + (offset.map { " at byte \($0)" } ?? "")
        case let .duplicatedKeysInMapping(duplicates, context):
            return "line \(context.mark.line): duplicated key \(duplicates.sorted().joined(separator: ", "))"
        default:
            return "YAML error: \(e)"
        }
    }

    package static func components(_ codingPath: [CodingKey]) -> [PathComponent] {
        codingPath.map { k in
            if let i = k.intValue, k.stringValue.hasPrefix("Index") || k.stringValue == "\(i)" { return .index(i) }
            return .key(snakeCase(k.stringValue))
        }
    }

    static func describe(_ e: DecodingError, root: Node) -> String {
        switch e {
        case let .typeMismatch(type, ctx):
            let path = components(ctx.codingPath)
            let n = node(at: path, in: root)
            return "\(lineText(n.mark))\(render(path)): expected \(expectation(type)), found \(found(n))"
        case let .valueNotFound(type, ctx):
            let path = components(ctx.codingPath)
            let n = node(at: path, in: root)
            return "\(lineText(n.mark))\(render(path)): expected \(expectation(type)), found nothing"
        case let .keyNotFound(key, ctx):
            let path = components(ctx.codingPath)
            let n = node(at: path, in: root)
            let full = render(path + [.key(snakeCase(key.stringValue))])
            return "\(lineText(n.mark))missing key \(full)"
        case let .dataCorrupted(ctx):
            let path = components(ctx.codingPath)
            let n = node(at: path, in: root)
            return "\(lineText(n.mark))\(render(path)): \(ctx.debugDescription)"
        @unknown default:
            return "\(e)"
        }
    }

    package static func expectation(_ type: Any.Type) -> String {
        let name = "\(type)"
        switch name {
        case "Int", "Int64", "Int32", "UInt64", "UInt32", "UInt": return "an integer"
        case "Double", "Float": return "a number"
        case "String": return "a string"
        case "Bool": return "true or false"
        case "Scalar": return "a single value"
        case _ where name.hasPrefix("Array") || name == "Sequence": return "a list"
        case _ where name.hasPrefix("Dictionary") || name == "Mapping": return "a mapping"
        default: return name
        }
    }

    static func found(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return quoted(s.string, "\"")  // escaped and cut: one line whatever the file holds
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The deepest node reachable along `path` (the container when the key itself is missing).
    static func node(at path: [PathComponent], in root: Node) -> Node {
        var current = root
        for c in path {
            switch (c, current) {
            case let (.key(k), .mapping(m)):
                guard let next = m.first(where: { $0.key.scalar?.string == k })?.value else { return current }
                current = next
            case let (.index(i), .sequence(s)):
                guard i >= 0, i < s.count else { return current }
                current = s[i]
            default:
                return current
            }
        }
        return current
    }

    // MARK: - Unknown keys

    /// "models[2]" -> "models[]": the path of a mapping with its indices dropped.
    static func shapeOf(_ path: [PathComponent]) -> String {
        render(path.map { if case .index = $0 { return .key("[]") } else { return $0 } })
            .replacingOccurrences(of: ".[]", with: "[]").replacingOccurrences(of: "(document)", with: "")
    }

    struct UnknownKey { var path: String; var key: String; var mark: Mark?; var known: [String] }

    /// The known key closest to `key` by edit distance, when it is at most 2 edits away (typos such as `quik`).
    static func nearest(_ key: String, in known: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(1, a.count) where !a.isEmpty {
                var prev = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let cur = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = cur
                }
            }
            return a.isEmpty ? b.count : row[b.count]
        }
        let scored = known.map { ($0, distance(Array(key), Array($0))) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }?.0
    }

    /// Walks the YAML tree next to the value re-encoded as JSON: a YAML key with a non-null value that the
    /// encoded value does not have is unknown. (Optional properties left nil are absent from both.)
    static func firstUnknownKey<T: Encodable>(
        in root: Node, decoded: T,
        optionalKeys: [String: [String]] = [:]
    ) -> UnknownKey? {
        guard let data = try? QBJSON.encode(decoded, pretty: false),
            let json = try? JSONSerializationBridge.object(from: data)
        else { return nil }
        return unknown(node: root, json: json, path: [], optionalKeys: optionalKeys)
    }

    /// `optionalKeys`: per mapping (its path with indices written `[]`, "" for the document), the optional keys a
    /// value left nil does not show, so the "expected one of" list names every key.
    static func unknown(
        node: Node, json: Any, path: [PathComponent], optionalKeys: [String: [String]] = [:]
    )
        -> UnknownKey?
    {
        switch node {
        case .mapping(let m):
            guard let obj = json as? [String: Any] else { return nil }
            for (k, v) in m {
                guard let key = k.scalar?.string else { continue }
                if case .scalar(let s) = v, s.style == .plain, ["~", "null", "Null", "NULL", ""].contains(s.string) {
                    continue
                }
                guard let child = obj[key] else {
                    let known = Set(obj.keys).union(optionalKeys[shapeOf(path)] ?? []).sorted()
                    return UnknownKey(path: render(path + [.key(key)]), key: key, mark: k.mark, known: known)
                }
                if let u = unknown(node: v, json: child, path: path + [.key(key)], optionalKeys: optionalKeys) {
                    return u
                }
            }
        case .sequence(let s):
            guard let arr = json as? [Any] else { return nil }
            for (i, v) in s.enumerated() where i < arr.count {
                if let u = unknown(node: v, json: arr[i], path: path + [.index(i)], optionalKeys: optionalKeys) {
                    return u
                }
            }
        default:
            break
        }
        return nil
    }
}

// MARK: - Flat mappings

extension YAMLDocument {
    /// One `key: value` line of a flat mapping, with the line it is on.
    public struct ScalarEntry: Sendable, Equatable {
        public var key: String
        public var value: String
        public var line: Int
    }

    /// The document's root node: refused when larger than `maxBytes` (said with `tooLarge`), empty, or not YAML.
    /// - Throws: `QBError.badInput` naming `path` (`oneLine`: the syntax error flattened to one line).
    static func composeRoot(yaml: String, path: String, tooLarge: String, oneLine: Bool) throws -> Node {
        guard yaml.utf8.count <= maxBytes else {
            throw QBError.badInput(path: path, message: "\(yaml.utf8.count) bytes: \(tooLarge)")
        }
        do {
            guard let n = try Yams.compose(yaml: yaml) else {
                throw QBError.badInput(path: path, message: "empty document: expected a YAML mapping")
            }
            return n
        } catch let e as YamlError {
            let error = QBError.badInput(path: path, message: describe(e))
            throw oneLine ? error.oneLine : error
        }
    }

    /// The entries of a document that must be one flat mapping of single values (`key: value` lines, as in
    /// `qbench matrix --price`), in document order. Keys are kept as written (no snake_case conversion).
    /// - Throws: `QBError.badInput` naming `path` (and the line): larger than `maxBytes`, a YAML syntax error, an
    ///   empty document, a top level that is not a mapping, a duplicated key, or a key or value that is a list or
    ///   a mapping.
    public static func scalarMapping(yaml: String, path: String) throws -> [ScalarEntry] {
        let root = try composeRoot(yaml: yaml, path: path, tooLarge: "larger than \(maxBytes)", oneLine: true)
        guard case .mapping(let m) = root else {
            throw QBError.badInput(
                path: path,
                message: "\(lineText(root.mark))expected a mapping (`key: value` lines), found \(found(root))"
            ).oneLine
        }
        return try m.map { k, v in
            guard case .scalar(let key) = k else {
                throw QBError.badInput(
                    path: path, message: "\(lineText(k.mark))expected a single value as a key, found \(found(k))")
            }
            guard case .scalar(let value) = v else {
                throw QBError.badInput(
                    path: path,
                    message: "\(lineText(v.mark ?? k.mark))\(quoted(key.string)): expected a single value, "
                        + "found \(found(v))"
                ).oneLine
            }
            return ScalarEntry(key: key.string, value: value.string, line: k.mark?.line ?? 0)
        }
    }
}
