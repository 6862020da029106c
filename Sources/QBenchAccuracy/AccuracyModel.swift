// Accuracy: how much each weight format perturbs a real model's weights, tensor by tensor, and what a
// size budget buys when formats are mixed. This file opens the model (GGUF or safetensors, told apart by
// magic and extension) and turns each tensor into f32 source values: F32 as stored, F16/BF16 converted,
// ggml block types dequantized with the suite's reference dequantizers.
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchModelFiles

/// The container a model was read from.
public enum ModelContainer: String, Codable, Sendable {
    case gguf
    case safetensors
}

/// One tensor of the model as the accuracy analysis sees it.
public struct AccuracySourceTensor: Sendable {
    /// How the f32 source values come out of the stored bytes, or why they cannot.
    public enum Source: Sendable, Equatable {
        /// F32, read as stored.
        case float32
        /// F16 or BF16 widened to f32 (exact).
        case converted(from: String)
        /// A ggml block type decoded with the reference dequantizer of `format`.
        case dequantized(from: String, format: WeightFormat)
        /// No f32 view: an integer dtype, or a ggml type the suite has no dequantizer for.
        case unsupported(reason: String)

        /// The `source` text of a report row ("f32", "converted from F16", "dequantized from Q4_K").
        public var description: String {
            switch self {
            case .float32: return "f32"
            case let .converted(from): return "converted from \(from)"
            case let .dequantized(from, _): return "dequantized from \(from)"
            case let .unsupported(reason): return reason
            }
        }
    }

    enum Backing: Sendable {
        case gguf(GGUFTensor)
        case safetensors(SafetensorsTensor)
    }

    public let name: String
    /// The shape as the file stores it: ggml order for GGUF (row length first), row-major for safetensors.
    public let shape: [Int]
    /// Rows of the weight matrix and their length K (the dimension quantization blocks run along). For both
    /// containers a PyTorch Linear `[out, in]` weight has `rows = out`, `cols = in`.
    public let rows: Int
    public let cols: Int
    public let elementCount: Int
    /// The stored element type, in the container's spelling ("F32", "Q4_K", "BF16", "I64").
    public let storedType: String
    /// Bytes the tensor occupies in the file.
    public let byteCount: Int
    public let source: Source
    let backing: Backing

    /// True for a weight matrix: exactly two dimensions, neither of size 1. Norms and biases (1-D), a
    /// `[1, n]` vector stored as 2-D, and 3-D/4-D tensors (convolutions, stacked experts) are not.
    public var isMatrix: Bool { shape.count == 2 && shape[0] > 1 && shape[1] > 1 }

    /// The f32 source values, row-major `rows x cols`.
    /// - Throws: `QBError.badInput` when the tensor has no f32 view (`source` is `.unsupported`).
    public func values(threads: Int = 1) throws -> [Float] {
        switch (source, backing) {
        case (.unsupported(let reason), _):
            throw QBError.other("tensor \(quoted(name)): \(reason)")
        case (.float32, .gguf(let t)):
            return t.withUnsafeBytes { Self.readF32($0, count: elementCount) }
        case (.float32, .safetensors(let t)):
            return t.withUnsafeBytes { Self.readF32($0, count: elementCount) }
        case (.converted(let from), .gguf(let t)):
            return t.withUnsafeBytes { Self.readHalf($0, count: elementCount, bf16: from == "BF16") }
        case (.converted(let from), .safetensors(let t)):
            return t.withUnsafeBytes { Self.readHalf($0, count: elementCount, bf16: from == "BF16") }
        case (.dequantized(_, let format), .gguf(let t)):
            let bytes = t.withUnsafeBytes { [UInt8]($0) }
            return try QuantizedMatrix(format: format, rows: rows, k: cols, data: bytes).dequantize(threads: threads)
        case (.dequantized, .safetensors):
            throw QBError.other("tensor \(quoted(name)): safetensors has no block-quantized types")
        }
    }

    /// A GGUF matrix's bytes as stored and the weight format they are in (nil for safetensors, 1-D tensors and
    /// types the suite has no format for).
    public func storedBytes() -> (WeightFormat, [UInt8])? {
        guard isMatrix, case .gguf(let t) = backing, let f = WeightFormat(ggml: t.type) else { return nil }
        return (f, t.withUnsafeBytes { [UInt8]($0) })
    }

    static func readF32(_ raw: UnsafeRawBufferPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, n in
            for i in 0..<count {
                out[i] = Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            n = count
        }
    }

    static func readHalf(_ raw: UnsafeRawBufferPointer, count: Int, bf16: Bool) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, n in
            for i in 0..<count {
                let h = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = bf16 ? FloatBits.f32(bf16: h) : FloatBits.f32(f16: h)
            }
            n = count
        }
    }
}

/// An opened model file and its tensors, in file order.
public struct AccuracyModel: Sendable {
    public let path: String
    public let container: ModelContainer
    public let tensors: [AccuracySourceTensor]
    /// The parsed GGUF (metadata and alignment are carried over by `--write`), nil for safetensors.
    public let gguf: GGUFFile?
    /// Bytes of all tensors (headers and padding excluded).
    public var tensorBytes: Int { tensors.reduce(0) { $0 + $1.byteCount } }
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    /// Opens `path` as GGUF when it starts with the GGUF magic or is named `.gguf`, as safetensors when it is
    /// named `.safetensors` or its ninth byte opens the JSON header; anything else is refused.
    /// - Throws: `QBError.io` when the file cannot be read, `QBError.badInput` naming it when it is neither
    ///   format or is a damaged one.
    public static func open(path: String) throws -> AccuracyModel {
        let file = try MappedFile(path: path)
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let b = file.bytes
        let hasGGUFMagic = b.count >= 4 && b.loadUnaligned(as: UInt32.self).littleEndian == GGUFFile.magic
        if hasGGUFMagic || ext == "gguf" {
            return try AccuracyModel(gguf: GGUFFile(file: file))
        }
        if ext == "safetensors" || (b.count >= 9 && b[8] == UInt8(ascii: "{")) {
            return try AccuracyModel(safetensors: SafetensorsFile(file: file))
        }
        throw QBError.badInput(
            path: path,
            message: "not a model file: expected GGUF (starts with 'GGUF') or "
                + "safetensors (.safetensors: an 8-byte header length, then a JSON header)")
    }

    public init(gguf g: GGUFFile) {
        path = g.path
        container = .gguf
        gguf = g
        tensors = g.tensors.map { t in
            let source: AccuracySourceTensor.Source
            switch t.type {
            case .f32: source = .float32
            case .f16, .bf16: source = .converted(from: t.type.name)
            default:
                if let f = WeightFormat(ggml: t.type), f.isGGML {
                    source = .dequantized(from: t.type.name, format: f)
                } else {
                    source = .unsupported(reason: "\(t.type.name) tensors have no dequantizer in this suite")
                }
            }
            return AccuracySourceTensor(
                name: t.name, shape: t.shape, rows: t.rows, cols: t.cols,
                elementCount: t.elementCount, storedType: t.type.name, byteCount: t.byteCount,
                source: source, backing: .gguf(t))
        }
    }

    public init(safetensors s: SafetensorsFile) {
        path = s.path
        container = .safetensors
        gguf = nil
        tensors = s.tensors.map { t in
            let source: AccuracySourceTensor.Source
            switch t.dtype {
            case .f32: source = .float32
            case .f16, .bf16: source = .converted(from: t.dtype.rawValue)
            default: source = .unsupported(reason: "\(t.dtype.rawValue) is not a floating-point weight type")
            }
            return AccuracySourceTensor(
                name: t.name, shape: t.shape, rows: t.rows, cols: t.cols,
                elementCount: t.elementCount, storedType: t.dtype.rawValue,
                byteCount: t.byteCount, source: source, backing: .safetensors(t))
        }
    }
}

extension WeightFormat {
    /// The weight format whose bytes are those of ggml type `ggml`, if the suite has one.
    public init?(ggml: GGMLType) {
        switch ggml {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .q8_0: self = .q8_0
        case .q4_0: self = .q4_0
        case .q4_1: self = .q4_1
        case .q5_0: self = .q5_0
        case .q4_k: self = .q4_k
        case .q5_k: self = .q5_k
        case .q6_k: self = .q6_k
        case .mxfp4: self = .mxfp4
        default: return nil
        }
    }

    /// The ggml type with this format's bytes (nil for the suite's own layouts, which GGUF cannot hold).
    public var ggmlType: GGMLType? {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q4_k: return .q4_k
        case .q5_k: return .q5_k
        case .q6_k: return .q6_k
        case .mxfp4: return .mxfp4
        default: return nil
        }
    }
}
