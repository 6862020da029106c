// A minimal safetensors writer: for tests, for fuzz seeds and for writing re-quantized checkpoints.
import Foundation
import QBenchSupport

/// Builds a safetensors file. Tensors are laid out in the order added; the header is padded with spaces to
/// a multiple of 8 bytes, as the reference implementation does, so the data section starts aligned.
public struct SafetensorsWriter {
    public struct Tensor {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        public let bytes: Data
    }

    public var metadata: [String: String]
    public private(set) var tensors: [Tensor] = []

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// - Throws: `QBError.other` for a duplicate or reserved name, a negative dimension, or a byte count that
    ///   does not match `shape` and `dtype`.
    public mutating func addTensor(name: String, dtype: SafetensorsDType, shape: [Int], bytes: Data) throws {
        guard name != "__metadata__", !tensors.contains(where: { $0.name == name }) else {
            throw QBError.other("safetensors writer: duplicate or reserved tensor name \(quoted(name))")
        }
        guard shape.allSatisfy({ $0 >= 0 }),
            let elements = try? CheckedSize.product(shape, "elements"),
            let expected = try? CheckedSize.multiply(elements, dtype.byteSize, "bytes"),
            expected == bytes.count
        else {
            throw QBError.other(
                "safetensors writer: tensor \(quoted(name)) \(dtype.rawValue) \(shape) does not match "
                    + "its \(bytes.count) bytes")
        }
        tensors.append(Tensor(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for t in tensors {
            header[t.name] = [
                "dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.bytes.count],
            ]
            offset += t.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data()
        GGUFValueCodec.append(UInt64(json.count), to: &out)
        out.append(json)
        for t in tensors { out.append(t.bytes) }
        return out
    }

    /// Writes the file atomically (see `AtomicFile`).
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }
}
