// The GGUF writer (version 3): for tests, for fuzz seeds and for `qbench accuracy --write`. It writes what
// the reader accepts and llama.cpp loads: unique keys and names, names shorter than ggml's 64-byte limit,
// at most four dimensions, rows a whole number of blocks, offsets aligned, and a file written atomically.
import Foundation
import QBenchSupport

/// Builds a GGUF v3 file from metadata and tensor bytes.
///
/// ```swift
/// var w = GGUFWriter()
/// try w.add("general.architecture", .string("llama"))
/// try w.addTensor(name: "tok_embd.weight", shape: [64, 8], type: .f32, bytes: data)
/// try w.write(to: url)
/// ```
public struct GGUFWriter {
    /// ggml's GGML_MAX_NAME is 64 including the terminating NUL.
    public static let maxTensorNameBytes = 63

    public struct Tensor {
        public let name: String
        /// ggml order (`shape[0]` is the row length).
        public let shape: [Int]
        public let type: GGMLType
        public let bytes: Data
    }

    public let alignment: Int
    public private(set) var entries: [GGUFMetadata.Entry] = []
    public private(set) var tensors: [Tensor] = []
    private var keys = Set<String>()
    private var names = Set<String>()

    /// - Parameter alignment: data alignment, a power of two (default 32). Another value is recorded as
    ///   `general.alignment` so readers find the tensors.
    /// - Throws: `QBError.other` when `alignment` is not a power of two.
    public init(alignment: Int = GGUFFile.defaultAlignment) throws {
        guard alignment > 0, alignment <= 1 << 30, alignment & (alignment - 1) == 0 else {
            throw QBError.other("GGUF writer: alignment \(alignment) is not a power of two up to 2^30")
        }
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment {
            try add("general.alignment", .uint32(UInt32(alignment)))
        }
    }

    /// Adds metadata `key` = `value`.
    /// - Throws: `QBError.other` for a duplicate key, an array holding elements of another type, arrays nested
    ///   deeper than the reader accepts, or a `general.alignment` that disagrees with `alignment`.
    public mutating func add(_ key: String, _ value: GGUFValue) throws {
        guard keys.insert(key).inserted else {
            throw QBError.other("GGUF writer: duplicate metadata key \(quoted(key))")
        }
        if key == "general.alignment", value.intValue != alignment {
            keys.remove(key)
            throw QBError.other(
                "GGUF writer: general.alignment \(value) disagrees with the writer's alignment \(alignment)")
        }
        guard GGUFValueCodec.arrayDepth(value) <= GGUFValueCodec.maxArrayDepth else {
            keys.remove(key)
            throw QBError.other(
                "GGUF writer: metadata \(quoted(key)) nests arrays deeper than \(GGUFValueCodec.maxArrayDepth)")
        }
        var scratch = Data()
        do {
            try GGUFValueCodec.appendPayload(value, to: &scratch, key: key)
        } catch {
            keys.remove(key)
            throw error
        }
        entries.append(.init(key: key, value: value))
    }

    /// Adds a tensor whose `bytes` are already in ggml's layout for `type`.
    /// - Throws: `QBError.other` for a duplicate or over-long name, more than four dimensions, a row length
    ///   that is not a whole number of blocks, or a byte count that does not match the shape.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, bytes: Data) throws {
        guard !names.contains(name) else { throw QBError.other("GGUF writer: duplicate tensor name \(quoted(name))") }
        guard name.utf8.count <= Self.maxTensorNameBytes else {
            throw QBError.other(
                "GGUF writer: tensor name \(quoted(name)) is longer than \(Self.maxTensorNameBytes) bytes")
        }
        guard shape.count <= GGUFFile.maxDimensions else {
            throw QBError.other("GGUF writer: tensor \(quoted(name)) has \(shape.count) dimensions; at most 4")
        }
        guard let expected = type.byteCount(shape: shape) else {
            throw QBError.other(
                "GGUF writer: tensor \(quoted(name)) shape \(shape) is not valid for \(type.name) "
                    + "(row length must be a multiple of \(type.blockSize))")
        }
        guard bytes.count == expected else {
            throw QBError.other(
                "GGUF writer: tensor \(quoted(name)) \(type.name) \(shape) needs \(expected) bytes, got \(bytes.count)")
        }
        names.insert(name)
        tensors.append(Tensor(name: name, shape: shape, type: type, bytes: bytes))
    }

    /// The complete file.
    public func encoded() throws -> Data {
        var out = Data()
        GGUFValueCodec.append(GGUFFile.magic, to: &out)
        GGUFValueCodec.append(UInt32(3), to: &out)
        GGUFValueCodec.append(UInt64(tensors.count), to: &out)
        GGUFValueCodec.append(UInt64(entries.count), to: &out)
        for e in entries {
            GGUFValueCodec.appendString(e.key, to: &out)
            GGUFValueCodec.append(e.value.type.rawValue, to: &out)
            try GGUFValueCodec.appendPayload(e.value, to: &out, key: e.key)
        }
        var offset = 0
        for t in tensors {
            GGUFValueCodec.appendString(t.name, to: &out)
            GGUFValueCodec.append(UInt32(t.shape.count), to: &out)
            for d in t.shape { GGUFValueCodec.append(UInt64(d), to: &out) }
            GGUFValueCodec.append(t.type.rawValue, to: &out)
            GGUFValueCodec.append(UInt64(offset), to: &out)
            offset += Self.padded(t.bytes.count, alignment)
        }
        pad(&out)
        for t in tensors {
            out.append(t.bytes)
            pad(&out)
        }
        return out
    }

    /// Writes the file to `url` atomically: a reader never sees half a file, and an existing file at `url`
    /// is replaced only once the new one is complete.
    /// - Throws: `QBError.io` naming `url` when it cannot be written.
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }

    private func pad(_ out: inout Data) {
        let extra = Self.padded(out.count, alignment) - out.count
        if extra > 0 { out.append(Data(count: extra)) }
    }

    static func padded(_ n: Int, _ alignment: Int) -> Int {
        (n + alignment - 1) & ~(alignment - 1)
    }
}
