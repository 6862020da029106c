// A GGUF file's key-value metadata, in file order, with typed lookups.

/// The metadata of a GGUF file: ordered key-value pairs with unique keys.
public struct GGUFMetadata: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let key: String
        public let value: GGUFValue
        public init(key: String, value: GGUFValue) {
            self.key = key
            self.value = value
        }
    }

    /// All entries in the order the file stores them.
    public let entries: [Entry]
    private let index: [String: Int]

    /// Metadata from `entries`; keys must be unique (the readers and the writer refuse duplicates first).
    init(entries: [Entry]) {
        self.entries = entries
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() where index[e.key] == nil { index[e.key] = i }
        self.index = index
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }

    public subscript(key: String) -> GGUFValue? {
        index[key].map { entries[$0].value }
    }

    /// The string at `key`, or nil when absent or not a string.
    public func string(_ key: String) -> String? { self[key]?.stringValue }
    /// The integer (of any width) at `key`, or nil when absent, not an integer, or too large for `Int`.
    public func int(_ key: String) -> Int? { self[key]?.intValue }
    /// The float or integer at `key` as a `Double`.
    public func double(_ key: String) -> Double? { self[key]?.doubleValue }
    public func bool(_ key: String) -> Bool? { self[key]?.boolValue }
    public func array(_ key: String) -> GGUFArray? { self[key]?.arrayValue }
    /// The array of strings at `key` (e.g. `tokenizer.ggml.tokens`).
    public func strings(_ key: String) -> [String]? { array(key)?.strings }
    /// The array of integers at `key` (e.g. per-layer `feed_forward_length`).
    public func integers(_ key: String) -> [Int]? { array(key)?.integers }

    public static func == (a: GGUFMetadata, b: GGUFMetadata) -> Bool { a.entries == b.entries }
}
