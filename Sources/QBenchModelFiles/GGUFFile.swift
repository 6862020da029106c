// The GGUF reader (versions 2 and 3). Layout, all little-endian:
//   "GGUF" | u32 version | u64 tensor_count | u64 kv_count | kv_count x (string key, u32 type, value)
//   | tensor_count x (string name, u32 n_dims, n_dims x u64 ne, u32 ggml_type, u64 offset)
//   | padding to `general.alignment` (default 32) | data section (tensor offsets are relative to its start)
// Opening maps the file and walks only the header; tensor bytes are never read.
import Foundation
import QBenchSupport

/// An opened GGUF file: its metadata, tensor table and memory-mapped bytes.
public struct GGUFFile: Sendable {
    /// The GGUF magic, "GGUF" read as a little-endian u32.
    public static let magic: UInt32 = 0x4655_4747
    /// Versions this reader accepts. v1 (u32 counts and lengths, obsolete since 2023) is refused.
    public static let supportedVersions: ClosedRange<UInt32> = 2...3
    public static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS: a tensor has at most four dimensions.
    public static let maxDimensions = 4
    /// Longest metadata key or tensor name accepted (ggml itself stops tensor names at 63 bytes); keeps a
    /// hostile multi-gigabyte "name" from being copied into memory.
    public static let maxNameBytes = 65_535

    public let path: String
    public let version: UInt32
    public let metadata: GGUFMetadata
    /// Tensors in the order of the file's tensor infos.
    public let tensors: [GGUFTensor]
    /// The data alignment (`general.alignment`, or 32).
    public let alignment: Int
    /// File offset of the data section (aligned end of the header).
    public let dataOffset: Int
    /// The mapped bytes the tensors point into.
    public let file: MappedFile
    private let tensorIndex: [String: Int]

    /// Maps and parses the GGUF file at `path`.
    ///
    /// - Throws: `QBError.io` when the file cannot be opened or mapped; `QBError.badInput` naming the file and
    ///   the first problem found (truncation, bad magic, unsupported version, bad counts, unknown types,
    ///   overflowing shapes, tensors outside the file, misaligned, overlapping or duplicated).
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses an already-mapped (or in-memory) file.
    public init(file: MappedFile) throws {
        do {
            self = try GGUFFile.parse(file)
        } catch let p as ModelFileProblem {
            throw QBError.badInput(path: file.path, message: "not a valid GGUF file: \(p.message)")
        }
    }

    private init(
        path: String, version: UInt32, metadata: GGUFMetadata, tensors: [GGUFTensor], alignment: Int,
        dataOffset: Int, file: MappedFile, tensorIndex: [String: Int]
    ) {
        self.path = path
        self.version = version
        self.metadata = metadata
        self.tensors = tensors
        self.alignment = alignment
        self.dataOffset = dataOffset
        self.file = file
        self.tensorIndex = tensorIndex
    }

    /// The tensor called `name`, if any.
    public func tensor(named name: String) -> GGUFTensor? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// `general.architecture` (e.g. "llama", "gemma3").
    public var architecture: String? { metadata.string("general.architecture") }

    // MARK: parsing

    private static func parse(_ file: MappedFile) throws -> GGUFFile {
        var r = ByteReader(file.bytes)
        let magic = try r.read(UInt32.self, "magic")
        guard magic == GGUFFile.magic else {
            let shown = withUnsafeBytes(of: magic.littleEndian) { raw in
                raw.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "?" }.joined()
            }
            throw ModelFileProblem("bad magic '\(shown)' (expected 'GGUF')")
        }
        let version = try r.read(UInt32.self, "version")
        if version == 1 {
            throw ModelFileProblem(
                "GGUF version 1 is not supported (obsolete since 2023); "
                    + "re-convert the model with a current llama.cpp")
        }
        if version & 0xFFFF == 0, version != 0 {
            throw ModelFileProblem(
                "GGUF version field is \(version); this looks like a big-endian file, "
                    + "which is not supported")
        }
        guard supportedVersions.contains(version) else {
            throw ModelFileProblem("unsupported GGUF version \(version) (this reader supports 2 and 3)")
        }
        let tensorCount = try r.readLength("tensor count")
        let kvCount = try r.readLength("metadata key-value count")

        // Counts are bounded by the bytes left before anything is allocated for them: a kv needs at least
        // 8 (key length) + 4 (type) + 1 bytes, a tensor info at least 8 + 4 + 4 + 8.
        guard kvCount <= r.remaining / 13 else {
            throw ModelFileProblem(
                "header claims \(kvCount) metadata entries but the file has only "
                    + "\(r.remaining) bytes left, room for at most \(r.remaining / 13)")
        }
        var entries: [GGUFMetadata.Entry] = []
        // Reserve for at most 64Ki up front: the count is bounded by the file size, but the entries take more
        // memory than their encoding, so a lying count in a large file must not turn into a huge reservation.
        entries.reserveCapacity(min(kvCount, 1 << 16))
        var seenKeys = Set<String>()
        for i in 0..<kvCount {
            let key = try readName(&r, "metadata key \(i)")
            guard seenKeys.insert(key).inserted else {
                throw ModelFileProblem("duplicate metadata key \(quoted(key))")
            }
            let type = try GGUFValueCodec.readType(&r, "type of metadata \(quoted(key))")
            let value = try GGUFValueCodec.readValue(type, &r, file: file, what: "metadata \(quoted(key))")
            entries.append(.init(key: key, value: value))
        }
        let metadata = GGUFMetadata(entries: entries)
        let alignment = try readAlignment(metadata)

        guard tensorCount <= r.remaining / 24 else {
            throw ModelFileProblem(
                "header claims \(tensorCount) tensors but the file has only \(r.remaining) "
                    + "bytes left, room for at most \(r.remaining / 24) tensor infos")
        }
        struct Info {
            let name: String
            let shape: [Int]
            let type: GGMLType
            let offset: Int
            let byteCount: Int
            let elementCount: Int
            let rows: Int
        }
        var infos: [Info] = []
        infos.reserveCapacity(min(tensorCount, 1 << 16))
        var tensorIndex: [String: Int] = [:]
        for i in 0..<tensorCount {
            let name = try readName(&r, "tensor \(i) name")
            guard tensorIndex[name] == nil else { throw ModelFileProblem("duplicate tensor name \(quoted(name))") }
            tensorIndex[name] = i
            let nDims = try r.read(UInt32.self, "tensor \(quoted(name)) dimension count")
            guard nDims <= maxDimensions else {
                throw ModelFileProblem(
                    "tensor \(quoted(name)) has \(nDims) dimensions; GGUF allows at most \(maxDimensions)")
            }
            var shape: [Int] = []
            shape.reserveCapacity(Int(nDims))
            for d in 0..<Int(nDims) {
                let ne = try r.read(UInt64.self, "tensor \(quoted(name)) dimension \(d)")
                // ggml stores ne as int64: anything above Int64.max is a negative dimension.
                guard let n = Int(exactly: ne), n >= 0 else {
                    throw ModelFileProblem("tensor \(quoted(name)) dimension \(d) is \(ne), not a valid size")
                }
                shape.append(n)
            }
            let elementCount = try CheckedSize.product(shape, "tensor \(quoted(name)) element count \(shape)")
            let rows = try CheckedSize.product(Array(shape.dropFirst()), "tensor \(quoted(name)) row count")
            let typeAt = r.offset
            let rawType = try r.read(UInt32.self, "tensor \(quoted(name)) type")
            guard let type = GGMLType(rawValue: rawType) else {
                throw ModelFileProblem("tensor \(quoted(name)) has unknown ggml type id \(rawType) at offset \(typeAt)")
            }
            let rowLength = shape.first ?? 1
            guard rowLength % type.blockSize == 0 else {
                throw ModelFileProblem(
                    "tensor \(quoted(name)) of type \(type.name) has rows of \(rowLength) elements, "
                        + "not a multiple of its block size \(type.blockSize)")
            }
            let rowBytes = try CheckedSize.multiply(
                rowLength / type.blockSize, type.typeSize,
                "tensor \(quoted(name)) row size")
            let byteCount = try CheckedSize.multiply(
                rowBytes, rows, "tensor \(quoted(name)) byte size for shape \(shape)")
            let offsetAt = r.offset
            let rawOffset = try r.read(UInt64.self, "tensor \(quoted(name)) offset")
            guard let offset = Int(exactly: rawOffset) else {
                throw ModelFileProblem(
                    "tensor \(quoted(name)) offset \(rawOffset) at \(offsetAt) is past the end of the file")
            }
            guard offset % alignment == 0 else {
                throw ModelFileProblem(
                    "tensor \(quoted(name)) offset \(offset) is not a multiple of the alignment \(alignment)")
            }
            infos.append(
                Info(
                    name: name, shape: shape, type: type, offset: offset, byteCount: byteCount,
                    elementCount: elementCount, rows: rows))
        }

        let dataOffset = try CheckedSize.alignUp(r.offset, alignment, "data section start")
        if !infos.isEmpty, dataOffset > file.count {
            throw ModelFileProblem(
                "truncated: the data section would start at \(dataOffset) "
                    + "but the file ends at \(file.count)")
        }
        var tensors: [GGUFTensor] = []
        tensors.reserveCapacity(infos.count)  // real entries, already parsed
        for info in infos {
            let start = try CheckedSize.add(dataOffset, info.offset, "tensor \(quoted(info.name)) start")
            let end = try CheckedSize.add(start, info.byteCount, "tensor \(quoted(info.name)) end")
            guard end <= file.count else {
                throw ModelFileProblem(
                    "tensor \(quoted(info.name)) (\(info.type.name) \(info.shape), \(info.byteCount) "
                        + "bytes at data offset \(info.offset)) ends at \(end), "
                        + "past the end of the file (\(file.count))"
                )
            }
            tensors.append(
                GGUFTensor(
                    name: info.name, shape: info.shape, type: info.type,
                    relativeOffset: info.offset, byteRange: start..<end,
                    elementCount: info.elementCount, rows: info.rows, file: file))
        }
        // Overlap: sorted by start, each tensor must begin at or after the end of the one before.
        // Empty tensors occupy no bytes and cannot overlap anything.
        let placed = tensors.filter { !$0.byteRange.isEmpty }.sorted {
            $0.byteRange.lowerBound < $1.byteRange.lowerBound
        }
        for (a, b) in zip(placed, placed.dropFirst()) where b.byteRange.lowerBound < a.byteRange.upperBound {
            throw ModelFileProblem(
                "tensors \(quoted(a.name)) (bytes \(a.byteRange.lowerBound)..<\(a.byteRange.upperBound)) "
                    + "and \(quoted(b.name)) (bytes \(b.byteRange.lowerBound)..<\(b.byteRange.upperBound)) overlap")
        }
        return GGUFFile(
            path: file.path, version: version, metadata: metadata, tensors: tensors,
            alignment: alignment, dataOffset: dataOffset, file: file, tensorIndex: tensorIndex)
    }

    private static func readName(_ r: inout ByteReader, _ what: String) throws -> String {
        let at = r.offset
        var peek = r
        let n = try peek.readLength("\(what) length")
        guard n <= maxNameBytes else {
            throw ModelFileProblem(
                "\(what) at offset \(at) is \(n) bytes long; names longer than \(maxNameBytes) bytes "
                    + "are refused")
        }
        return try r.readString(what)
    }

    private static func readAlignment(_ metadata: GGUFMetadata) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard value.type.isInteger, let a = value.intValue else {
            throw ModelFileProblem("general.alignment must be an unsigned integer, found \(value.type) \(value)")
        }
        guard a > 0, a & (a - 1) == 0 else {
            throw ModelFileProblem("general.alignment is \(a); it must be a power of two")
        }
        return a
    }
}
