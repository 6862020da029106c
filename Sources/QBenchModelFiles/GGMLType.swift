// The ggml tensor type ids that GGUF files store, with the block geometry needed to size a tensor's bytes.
// Ids and sizes follow ggml.h's `enum ggml_type` and gguf-py's GGML_QUANT_SIZES (gguf 0.19.0); ids 4, 5 and
// 31-33, 36-38 were removed from ggml and are refused as unknown. One deliberate difference: Q8_1 is 36 bytes
// per block, as ggml-common.h asserts (two fp16 halves + 32 quants); gguf-py still lists the older 40-byte
// float layout. Q8_1 is an activation format that converters never store in GGUF files.

/// A ggml tensor element type, as stored in a GGUF tensor info.
///
/// Quantized types pack `blockSize` elements into `typeSize` bytes; plain types have a block of one element.
public enum GGMLType: UInt32, CaseIterable, Sendable, Codable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_k = 10
    case q3_k = 11
    case q4_k = 12
    case q5_k = 13
    case q6_k = 14
    case q8_k = 15
    case iq2_xxs = 16
    case iq2_xs = 17
    case iq3_xxs = 18
    case iq1_s = 19
    case iq4_nl = 20
    case iq3_s = 21
    case iq2_s = 22
    case iq4_xs = 23
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case iq1_m = 29
    case bf16 = 30
    case tq1_0 = 34
    case tq2_0 = 35
    case mxfp4 = 39
    case nvfp4 = 40
    case q1_0 = 41

    /// The ggml spelling (`"Q4_K"`, `"BF16"`), as llama.cpp and gguf-py print it.
    public var name: String { traits.name }
    /// Elements per block (1 for plain types, 32 for Q4_0, 256 for the K-quants).
    public var blockSize: Int { traits.block }
    /// Bytes per block.
    public var typeSize: Int { traits.size }
    /// True for the block-quantized types (everything except the plain float and integer types).
    public var isQuantized: Bool { blockSize > 1 }

    /// The type with ggml spelling `name` (case-insensitive), if any.
    public init?(name: String) {
        let upper = name.uppercased()
        guard let hit = Self.allCases.first(where: { $0.name == upper }) else { return nil }
        self = hit
    }

    /// Bytes of one row of `rowLength` elements, or nil when `rowLength` is negative, not a whole number of
    /// blocks, or too large.
    public func rowByteCount(_ rowLength: Int) -> Int? {
        guard rowLength >= 0, rowLength % blockSize == 0 else { return nil }
        let (r, o) = (rowLength / blockSize).multipliedReportingOverflow(by: typeSize)
        return o ? nil : r
    }

    /// Bytes of a tensor with ggml shape `shape` (`shape[0]` is the row length), or nil when the row length is
    /// not a whole number of blocks or the size overflows. An empty shape is a scalar (one element).
    public func byteCount(shape: [Int]) -> Int? {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        guard let row = rowByteCount(shape.first ?? 1) else { return nil }
        guard let rows = try? CheckedSize.product(Array(shape.dropFirst()), "rows") else { return nil }
        let (r, o) = row.multipliedReportingOverflow(by: rows)
        return o ? nil : r
    }

    // A switch, not a dictionary, so the compiler proves every case has its geometry.
    private var traits: (name: String, block: Int, size: Int) {
        let qkK = 256
        switch self {
        case .f32: return ("F32", 1, 4)
        case .f16: return ("F16", 1, 2)
        case .q4_0: return ("Q4_0", 32, 2 + 16)
        case .q4_1: return ("Q4_1", 32, 2 + 2 + 16)
        case .q5_0: return ("Q5_0", 32, 2 + 4 + 16)
        case .q5_1: return ("Q5_1", 32, 2 + 2 + 4 + 16)
        case .q8_0: return ("Q8_0", 32, 2 + 32)
        case .q8_1: return ("Q8_1", 32, 2 + 2 + 32)
        case .q2_k: return ("Q2_K", qkK, 2 + 2 + qkK / 16 + qkK / 4)
        case .q3_k: return ("Q3_K", qkK, 2 + qkK / 4 + qkK / 8 + 12)
        case .q4_k: return ("Q4_K", qkK, 2 + 2 + qkK / 2 + 12)
        case .q5_k: return ("Q5_K", qkK, 2 + 2 + qkK / 2 + qkK / 8 + 12)
        case .q6_k: return ("Q6_K", qkK, 2 + qkK / 2 + qkK / 4 + qkK / 16)
        case .q8_k: return ("Q8_K", qkK, 4 + qkK + qkK / 8)
        case .iq2_xxs: return ("IQ2_XXS", qkK, 2 + qkK / 4)
        case .iq2_xs: return ("IQ2_XS", qkK, 2 + qkK / 4 + qkK / 32)
        case .iq3_xxs: return ("IQ3_XXS", qkK, 2 + qkK / 4 + qkK / 8)
        case .iq1_s: return ("IQ1_S", qkK, 2 + qkK / 8 + qkK / 16)
        case .iq4_nl: return ("IQ4_NL", 32, 2 + 16)
        case .iq3_s: return ("IQ3_S", qkK, 2 + qkK / 4 + qkK / 8 + qkK / 32 + 4)
        case .iq2_s: return ("IQ2_S", qkK, 2 + qkK / 4 + qkK / 16)
        case .iq4_xs: return ("IQ4_XS", qkK, 2 + 2 + qkK / 2 + qkK / 64)
        case .i8: return ("I8", 1, 1)
        case .i16: return ("I16", 1, 2)
        case .i32: return ("I32", 1, 4)
        case .i64: return ("I64", 1, 8)
        case .f64: return ("F64", 1, 8)
        case .iq1_m: return ("IQ1_M", qkK, qkK / 8 + qkK / 16 + qkK / 32)
        case .bf16: return ("BF16", 1, 2)
        case .tq1_0: return ("TQ1_0", qkK, 2 + 4 * 13)
        case .tq2_0: return ("TQ2_0", qkK, 2 + 64)
        case .mxfp4: return ("MXFP4", 32, 1 + 16)
        case .nvfp4: return ("NVFP4", 64, 4 + 32)
        case .q1_0: return ("Q1_0", 128, 2 + 16)
        }
    }
}
