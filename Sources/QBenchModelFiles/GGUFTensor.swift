// One tensor of a GGUF file: its name, ggml shape and type, and a view of its bytes inside the mapped file.

/// A tensor described by a GGUF tensor info, with its bytes still in the mapped file.
public struct GGUFTensor: Sendable {
    public let name: String
    /// ggml order: `shape[0]` (ne0) is the row length, the fastest-varying dimension. PyTorch's
    /// `[out_features, in_features]` weight is `[in_features, out_features]` here.
    public let shape: [Int]
    public let type: GGMLType
    /// The offset the file stores, relative to the start of the data section.
    public let relativeOffset: Int
    /// Where the bytes lie in the file (absolute offsets).
    public let byteRange: Range<Int>
    /// Number of elements (the product of `shape`; 1 for a zero-dimensional tensor).
    public let elementCount: Int
    /// Number of rows: the product of every dimension after the first (ne1 x ne2 x ne3).
    public let rows: Int
    let file: MappedFile

    init(
        name: String, shape: [Int], type: GGMLType, relativeOffset: Int, byteRange: Range<Int>,
        elementCount: Int, rows: Int, file: MappedFile
    ) {
        self.name = name
        self.shape = shape
        self.type = type
        self.relativeOffset = relativeOffset
        self.byteRange = byteRange
        self.elementCount = elementCount
        self.rows = rows
        self.file = file
    }

    public var byteCount: Int { byteRange.count }
    /// Elements per row (ne0), 1 for a zero-dimensional tensor.
    public var cols: Int { shape.first ?? 1 }

    /// The tensor's bytes, a view into the map (no copy). The pointer is valid while this tensor, or the file
    /// it came from, is alive; prefer `withUnsafeBytes` when the tensor may be released meanwhile.
    public var bytes: UnsafeRawBufferPointer { file.slice(byteRange) }

    /// Calls `body` with the tensor's bytes, keeping the map alive for the duration.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(file) { try body(file.slice(byteRange)) }
    }
}
