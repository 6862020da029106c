// Reading and writing GGUF metadata values. Reading validates as it goes: a value type outside the 13 known
// tags, a bool that is neither 0 nor 1, a count that cannot fit the bytes left, or arrays nested deeper than
// `maxArrayDepth` are refused before anything is allocated for them.
import Foundation
import QBenchSupport

enum GGUFValueCodec {
    /// Arrays of arrays are legal GGUF (gguf-py writes them; ggml itself refuses them). Depth is bounded so
    /// that a file of nested array headers cannot exhaust the stack.
    static let maxArrayDepth = 16

    /// The smallest encoding of an element, used to refuse counts that cannot fit before looping over them.
    static func minimumEncodedSize(_ t: GGUFValueType) -> Int {
        switch t {
        case .string: return 8  // the u64 length of an empty string
        case .array: return 12  // u32 element type + u64 count of an empty array
        default: return t.fixedSize ?? 1
        }
    }

    static func readType(_ r: inout ByteReader, _ what: @autoclosure () -> String) throws -> GGUFValueType {
        let at = r.offset
        let raw = try r.read(UInt32.self, what())
        guard let t = GGUFValueType(rawValue: raw) else {
            throw ModelFileProblem("\(what()) at offset \(at) is \(raw), not a GGUF value type (0-12)")
        }
        return t
    }

    /// Reads one value of type `t` at open time. Scalars and strings are decoded; arrays are validated and
    /// kept as a view into `file`.
    static func readValue(
        _ t: GGUFValueType, _ r: inout ByteReader, file: MappedFile,
        what: @autoclosure () -> String
    ) throws -> GGUFValue {
        switch t {
        case .uint8: return .uint8(try r.read(UInt8.self, what()))
        case .int8: return .int8(try r.read(Int8.self, what()))
        case .uint16: return .uint16(try r.read(UInt16.self, what()))
        case .int16: return .int16(try r.read(Int16.self, what()))
        case .uint32: return .uint32(try r.read(UInt32.self, what()))
        case .int32: return .int32(try r.read(Int32.self, what()))
        case .uint64: return .uint64(try r.read(UInt64.self, what()))
        case .int64: return .int64(try r.read(Int64.self, what()))
        case .float32: return .float32(Float(bitPattern: try r.read(UInt32.self, what())))
        case .float64: return .float64(Double(bitPattern: try r.read(UInt64.self, what())))
        case .bool: return .bool(try readBool(&r, what()))
        case .string: return .string(try r.readString(what()))
        case .array:
            let elementType = try readType(&r, "\(what()) array element type")
            let count = try r.readLength("\(what()) array count")
            let start = r.offset
            try skipElements(elementType, count: count, &r, depth: 1, what: what())
            return .array(GGUFArray(elementType: elementType, count: count, file: file, range: start..<r.offset))
        }
    }

    static func readBool(_ r: inout ByteReader, _ what: @autoclosure () -> String) throws -> Bool {
        let at = r.offset
        let b = try r.read(UInt8.self, what())
        guard b <= 1 else {
            throw ModelFileProblem("\(what()) at offset \(at) is a bool of value \(b); expected 0 or 1")
        }
        return b == 1
    }

    /// Steps over `count` encoded elements of type `t`, validating each, without allocating per element.
    static func skipElements(
        _ t: GGUFValueType, count: Int, _ r: inout ByteReader, depth: Int,
        what: @autoclosure () -> String
    ) throws {
        guard depth <= maxArrayDepth else {
            throw ModelFileProblem("\(what()) has arrays nested more than \(maxArrayDepth) deep at offset \(r.offset)")
        }
        let minSize = minimumEncodedSize(t)
        guard count <= r.remaining / minSize else {
            throw ModelFileProblem(
                "\(what()) claims \(count) elements of type \(t) at offset \(r.offset), "
                    + "more than the \(r.remaining) bytes left in the file can hold")
        }
        if let size = t.fixedSize {
            if t == .bool {
                for _ in 0..<count { _ = try readBool(&r, "\(what()) element") }
            } else {
                try r.skip(try CheckedSize.multiply(count, size, "\(what()) size"), "\(what()) elements")
            }
            return
        }
        if t == .string {
            for i in 0..<count {
                let at = r.offset
                let n = try r.readLength("\(what()) string \(i) length")
                guard n <= r.remaining else {
                    throw ModelFileProblem(
                        "\(what()) string \(i) at offset \(at) claims \(n) bytes "
                            + "but only \(r.remaining) remain in the file")
                }
                try r.skip(n, "\(what()) string \(i)")
            }
            return
        }
        for i in 0..<count {
            let inner = try readType(&r, "\(what()) element \(i) array type")
            let n = try r.readLength("\(what()) element \(i) array count")
            try skipElements(inner, count: n, &r, depth: depth + 1, what: what())
        }
    }

    /// Decodes one element of an already-validated array region. `base` is the file offset of the region
    /// start, so nested arrays can be kept as views too.
    static func decodeElement(
        _ t: GGUFValueType, _ r: inout ByteReader, file: MappedFile, base: Int
    ) throws -> GGUFValue {
        if t != .array { return try readValue(t, &r, file: file, what: "array element") }
        let inner = try readType(&r, "nested array type")
        let n = try r.readLength("nested array count")
        let start = r.offset
        try skipElements(inner, count: n, &r, depth: 1, what: "nested array")
        return .array(GGUFArray(elementType: inner, count: n, file: file, range: base + start..<base + r.offset))
    }

    // MARK: writing

    static func append<T: FixedWidthInteger>(_ v: T, to out: inout Data) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func appendString(_ s: String, to out: inout Data) {
        let utf8 = Array(s.utf8)
        append(UInt64(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }

    /// Appends the payload of `value` (no type tag). Arrays must hold elements of their declared type.
    static func appendPayload(_ value: GGUFValue, to out: inout Data, key: String) throws {
        switch value {
        case let .uint8(v): append(v, to: &out)
        case let .int8(v): append(v, to: &out)
        case let .uint16(v): append(v, to: &out)
        case let .int16(v): append(v, to: &out)
        case let .uint32(v): append(v, to: &out)
        case let .int32(v): append(v, to: &out)
        case let .uint64(v): append(v, to: &out)
        case let .int64(v): append(v, to: &out)
        case let .float32(v): append(v.bitPattern, to: &out)
        case let .float64(v): append(v.bitPattern, to: &out)
        case let .bool(v): append(UInt8(v ? 1 : 0), to: &out)
        case let .string(s): appendString(s, to: &out)
        case let .array(a):
            append(a.elementType.rawValue, to: &out)
            append(UInt64(a.count), to: &out)
            for element in a.values {
                guard element.type == a.elementType else {
                    throw QBError.other(
                        "GGUF writer: metadata \(quoted(key)) is an array of \(a.elementType) "
                            + "holding a \(element.type) element")
                }
                try appendPayload(element, to: &out, key: key)
            }
        }
    }

    static func arrayDepth(_ value: GGUFValue) -> Int {
        guard case let .array(a) = value else { return 0 }
        return 1 + (a.elementType == .array ? a.values.map(arrayDepth).max() ?? 0 : 0)
    }
}
