// The safetensors reader. Layout: u64 little-endian header length N | N bytes of JSON (UTF-8, starts with
// '{', may be padded with spaces) | data. The JSON maps tensor names to {dtype, shape, data_offsets} (offsets
// relative to the data start) plus an optional "__metadata__" of string to string. As the reference
// implementation does, the tensors must cover the data exactly: no overlap, no hole, nothing after the last.
import Foundation
import QBenchSupport

/// A safetensors element type this reader accepts.
public enum SafetensorsDType: String, CaseIterable, Sendable, Codable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i8 = "I8"
    case u8 = "U8"
    case f64 = "F64"
    case i32 = "I32"
    case i64 = "I64"

    public var byteSize: Int {
        switch self {
        case .i8, .u8: return 1
        case .f16, .bf16: return 2
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        }
    }

    /// True for dtypes that are read but flagged: they are not weight formats QuantBench quantizes (F64
    /// masters, I32/I64 index buffers such as BERT's `position_ids`). Callers skip or report them.
    public var isFlagged: Bool {
        switch self {
        case .f64, .i32, .i64: return true
        default: return false
        }
    }
}

/// One tensor of a safetensors file, a view into the mapped bytes.
public struct SafetensorsTensor: Sendable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major (PyTorch) order: the last dimension varies fastest. A Linear weight is `[out, in]`.
    public let shape: [Int]
    /// `data_offsets` as stored, relative to the data section.
    public let dataOffsets: Range<Int>
    /// Where the bytes lie in the file (absolute offsets).
    public let byteRange: Range<Int>
    public let elementCount: Int
    /// Number of rows: the product of every dimension but the last (1 for a vector or scalar).
    public let rows: Int
    let file: MappedFile

    /// Elements per row: the last dimension (1 for a scalar).
    public var cols: Int { shape.last ?? 1 }
    public var byteCount: Int { byteRange.count }

    /// The tensor's bytes, a view into the map (no copy, possibly unaligned: use `loadUnaligned`). Valid while
    /// this tensor or its file is alive.
    public var bytes: UnsafeRawBufferPointer { file.slice(byteRange) }

    /// Calls `body` with the tensor's bytes, keeping the map alive for the duration.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(file) { try body(file.slice(byteRange)) }
    }
}

/// An opened safetensors file.
public struct SafetensorsFile: Sendable {
    /// The reference implementation's limit on the JSON header.
    public static let maxHeaderBytes = 100_000_000
    /// JSON nesting deeper than this is refused before the JSON parser sees it (a valid header nests 3 deep).
    public static let maxJSONDepth = 64
    /// Dimensions per tensor; real checkpoints use at most 5 or 6.
    public static let maxDimensions = 16

    public let path: String
    /// The JSON header length N (the data section starts at 8 + N).
    public let headerLength: Int
    public let dataOffset: Int
    /// `__metadata__` (e.g. `["format": "pt"]`), empty when absent.
    public let metadata: [String: String]
    /// Tensors in data order.
    public let tensors: [SafetensorsTensor]
    public let file: MappedFile
    private let tensorIndex: [String: Int]

    /// Tensors whose dtype is accepted but flagged (see `SafetensorsDType.isFlagged`).
    public var flaggedTensors: [SafetensorsTensor] { tensors.filter { $0.dtype.isFlagged } }

    public func tensor(named name: String) -> SafetensorsTensor? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Maps and parses the safetensors file at `path`.
    /// - Throws: `QBError.io` when it cannot be opened or mapped; `QBError.badInput` naming the file and the
    ///   first problem found.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        do {
            self = try SafetensorsFile.parse(file)
        } catch let p as ModelFileProblem {
            throw QBError.badInput(path: file.path, message: "not a valid safetensors file: \(p.message)")
        }
    }

    private init(
        path: String, headerLength: Int, dataOffset: Int, metadata: [String: String],
        tensors: [SafetensorsTensor], file: MappedFile, tensorIndex: [String: Int]
    ) {
        self.path = path
        self.headerLength = headerLength
        self.dataOffset = dataOffset
        self.metadata = metadata
        self.tensors = tensors
        self.file = file
        self.tensorIndex = tensorIndex
    }

    // MARK: parsing

    private static func parse(_ file: MappedFile) throws -> SafetensorsFile {
        var r = ByteReader(file.bytes)
        let rawLength = try r.read(UInt64.self, "header length")
        guard rawLength <= UInt64(maxHeaderBytes) else {
            throw ModelFileProblem("header length \(rawLength) exceeds the \(maxHeaderBytes)-byte limit")
        }
        let headerLength = Int(rawLength)
        guard headerLength >= 2 else {
            throw ModelFileProblem("header length \(headerLength) is too small for a JSON object")
        }
        guard headerLength <= r.remaining else {
            throw ModelFileProblem(
                "truncated: header length \(headerLength) runs past the end of the file "
                    + "(\(file.count) bytes)")
        }
        let header = try r.view(headerLength, "header")
        guard header.first == UInt8(ascii: "{") else {
            throw ModelFileProblem("header does not start with '{'")
        }
        try checkJSONStructure(header)
        let dataOffset = 8 + headerLength
        let dataLength = file.count - dataOffset

        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: Data(header))
        } catch let p as ModelFileProblem {
            throw p
        } catch {
            throw ModelFileProblem("header is not valid JSON: \(oneLine(error))")
        }

        var tensors: [SafetensorsTensor] = []
        tensors.reserveCapacity(raw.entries.count)
        for e in raw.entries {
            let elements = try CheckedSize.product(e.shape, "tensor \(quoted(e.name)) element count \(e.shape)")
            let expected = try CheckedSize.multiply(elements, e.dtype.byteSize, "tensor \(quoted(e.name)) byte size")
            let (begin, end) = (e.offsets[0], e.offsets[1])
            guard begin <= end else {
                throw ModelFileProblem("tensor \(quoted(e.name)) data_offsets [\(begin), \(end)] end before they begin")
            }
            guard end <= dataLength else {
                throw ModelFileProblem(
                    "tensor \(quoted(e.name)) data_offsets [\(begin), \(end)] run past the end of "
                        + "the data section (\(dataLength) bytes)")
            }
            guard end - begin == expected else {
                throw ModelFileProblem(
                    "tensor \(quoted(e.name)) is \(e.dtype.rawValue) \(e.shape) = \(expected) bytes "
                        + "but its data_offsets [\(begin), \(end)] span \(end - begin)")
            }
            let rows = try CheckedSize.product(Array(e.shape.dropLast()), "tensor \(quoted(e.name)) rows")
            tensors.append(
                SafetensorsTensor(
                    name: e.name, dtype: e.dtype, shape: e.shape, dataOffsets: begin..<end,
                    byteRange: dataOffset + begin..<dataOffset + end, elementCount: elements, rows: rows, file: file))
        }
        tensors.sort {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < (
                $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound
            )
        }
        var covered = 0
        for t in tensors {
            if t.dataOffsets.lowerBound < covered {
                let prev = tensors.last { $0.dataOffsets.upperBound == covered }?.name ?? "?"
                throw ModelFileProblem(
                    "tensor \(quoted(t.name)) data_offsets [\(t.dataOffsets.lowerBound), "
                        + "\(t.dataOffsets.upperBound)] overlap tensor \(quoted(prev)) (which ends at \(covered))")
            }
            if t.dataOffsets.lowerBound > covered {
                throw ModelFileProblem(
                    "data bytes \(covered)..<\(t.dataOffsets.lowerBound) belong to no tensor "
                        + "(the tensors must cover the data section without holes)")
            }
            covered = t.dataOffsets.upperBound
        }
        guard covered == dataLength else {
            throw ModelFileProblem(
                "the data section has \(dataLength - covered) bytes after the last tensor "
                    + "(\(dataLength) bytes, tensors cover \(covered))")
        }
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        return SafetensorsFile(
            path: file.path, headerLength: headerLength, dataOffset: dataOffset,
            metadata: raw.metadata, tensors: tensors, file: file, tensorIndex: index)
    }

    /// One linear scan before the JSON parser runs: refuses nesting deeper than `maxJSONDepth` (so no
    /// recursive parser is handed a nesting bomb) and repeated top-level keys (which a JSON decoder would
    /// silently collapse into one tensor).
    static func checkJSONStructure(_ json: UnsafeRawBufferPointer) throws {
        var depth = 0
        var inString = false
        var escaped = false
        var expectKey = false
        var keyStart: Int?
        var keys = Set<[UInt8]>()
        for (i, c) in json.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                    if let start = keyStart {
                        let key = Array(json[start..<i])
                        guard keys.insert(key).inserted else {
                            throw ModelFileProblem(
                                "duplicate tensor name \(quoted(String(decoding: key, as: UTF8.self))) in the header")
                        }
                        keyStart = nil
                    }
                }
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1, expectKey { keyStart = i + 1 }
                expectKey = false
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectKey = depth == 1
                if depth > maxJSONDepth {
                    throw ModelFileProblem("header JSON nests deeper than \(maxJSONDepth) levels at byte \(8 + i)")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","): expectKey = depth == 1
            default: break
            }
        }
    }

    private static func oneLine(_ error: Error) -> String {
        let text: String
        if case let DecodingError.dataCorrupted(ctx) = error {
            text = ctx.debugDescription + ((ctx.underlyingError).map { " (\($0))" } ?? "")
        } else {
            text = "\(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

// MARK: JSON header decoding

private struct DynamicKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

private struct RawEntry {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    let offsets: [Int]
}

private struct RawHeader: Decodable {
    var metadata: [String: String] = [:]
    var entries: [RawEntry] = []

    init(from decoder: Decoder) throws {
        let root = try decoder.container(keyedBy: DynamicKey.self)
        // Sorted so that a header with several problems always reports the same one first.
        for key in root.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            let name = key.stringValue
            if name == "__metadata__" {
                guard let m = try? root.decode([String: String].self, forKey: key) else {
                    throw ModelFileProblem("__metadata__ must be an object mapping strings to strings")
                }
                metadata = m
                continue
            }
            guard let entry = try? root.nestedContainer(keyedBy: DynamicKey.self, forKey: key) else {
                throw ModelFileProblem("tensor \(quoted(name)) must be an object with dtype, shape and data_offsets")
            }
            let dtypeKey = DynamicKey(stringValue: "dtype")
            guard let dtypeName = try? entry.decode(String.self, forKey: dtypeKey) else {
                throw ModelFileProblem("tensor \(quoted(name)) has no string 'dtype'")
            }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw ModelFileProblem(
                    "tensor \(quoted(name)) has dtype \(quoted(dtypeName)); supported: F32 F16 BF16 I8 U8 "
                        + "(and F64 I32 I64, flagged)")
            }
            guard let shape = try? entry.decode([Int64].self, forKey: DynamicKey(stringValue: "shape")),
                shape.allSatisfy({ $0 >= 0 })
            else {
                throw ModelFileProblem("tensor \(quoted(name)) 'shape' must be an array of non-negative integers")
            }
            guard shape.count <= SafetensorsFile.maxDimensions else {
                throw ModelFileProblem(
                    "tensor \(quoted(name)) has \(shape.count) dimensions; at most "
                        + "\(SafetensorsFile.maxDimensions) are accepted")
            }
            guard let offsets = try? entry.decode([Int64].self, forKey: DynamicKey(stringValue: "data_offsets")),
                offsets.count == 2, offsets.allSatisfy({ $0 >= 0 })
            else {
                throw ModelFileProblem(
                    "tensor \(quoted(name)) 'data_offsets' must be two non-negative integers [begin, end]")
            }
            entries.append(
                RawEntry(
                    name: name, dtype: dtype, shape: shape.map { Int($0) },
                    offsets: offsets.map { Int($0) }))
        }
    }
}
