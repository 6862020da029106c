// GGUF metadata values: the 13 value types of the format, arrays of any of them (nested arrays included),
// and the typed conversions callers want ("this key as an Int") without caring which integer width the
// converter that wrote the file happened to choose.

import QBenchSupport

/// The type tag of a GGUF metadata value (`gguf_type` in ggml, `GGUFValueType` in gguf-py).
public enum GGUFValueType: UInt32, CaseIterable, Sendable, Codable {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// Bytes of one value when the type has a fixed size (all but string and array).
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// True for the eight integer types.
    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
        default: return false
        }
    }
}

/// One GGUF metadata value.
///
/// Equality is bitwise for floats, so a round trip that preserves a NaN payload compares equal.
public enum GGUFValue: Sendable, Equatable, CustomStringConvertible {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    /// The value of any integer type as an `Int`, when it fits exactly.
    public var intValue: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }

    /// The value of a float or integer type as a `Double` (integers above 2^53 round).
    public var doubleValue: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        case let .uint64(v): return Double(v)
        default: return intValue.map(Double.init)
        }
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    public var arrayValue: GGUFArray? {
        if case let .array(a) = self { return a }
        return nil
    }

    public var description: String {
        switch self {
        case let .string(s): return quoted(s, "\"")
        case let .array(a): return "[\(a.elementType) x \(a.count)]"
        case let .bool(b): return "\(b)"
        case let .float32(v): return "\(v)"
        case let .float64(v): return "\(v)"
        case let .uint64(v): return "\(v)"
        default: return intValue.map { "\($0)" } ?? "?"
        }
    }

    public static func == (a: GGUFValue, b: GGUFValue) -> Bool {
        switch (a, b) {
        case let (.uint8(x), .uint8(y)): return x == y
        case let (.int8(x), .int8(y)): return x == y
        case let (.uint16(x), .uint16(y)): return x == y
        case let (.int16(x), .int16(y)): return x == y
        case let (.uint32(x), .uint32(y)): return x == y
        case let (.int32(x), .int32(y)): return x == y
        case let (.uint64(x), .uint64(y)): return x == y
        case let (.int64(x), .int64(y)): return x == y
        case let (.float32(x), .float32(y)): return x.bitPattern == y.bitPattern
        case let (.float64(x), .float64(y)): return x.bitPattern == y.bitPattern
        case let (.bool(x), .bool(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        default: return false
        }
    }
}

/// A GGUF metadata array: `count` values of one `elementType` (which may itself be `.array`).
///
/// Arrays read from a file stay in the file until asked for: a 262,144-entry tokenizer vocabulary is checked
/// when the file opens (so a bad one is refused up front) but decoded only when `values` or `strings` is read.
public struct GGUFArray: Sendable, Equatable {
    enum Storage: @unchecked Sendable {
        case values([GGUFValue])
        /// The encoded elements (after the type tag and count) at `range` in `file`, already validated.
        case mapped(MappedFile, Range<Int>)
    }

    public let elementType: GGUFValueType
    public let count: Int
    let storage: Storage

    /// An array of `values`, which must all have type `elementType` (the writer checks; an empty array still
    /// needs its element type, because the file records it).
    public init(elementType: GGUFValueType, values: [GGUFValue]) {
        self.elementType = elementType
        count = values.count
        storage = .values(values)
    }

    init(elementType: GGUFValueType, count: Int, file: MappedFile, range: Range<Int>) {
        self.elementType = elementType
        self.count = count
        storage = .mapped(file, range)
    }

    /// All elements, decoded. This allocates one `GGUFValue` per element (a 1 GB uint8 array becomes tens of
    /// GB); read `count` first when the array may be large.
    public var values: [GGUFValue] {
        switch storage {
        case let .values(v):
            return v
        case let .mapped(file, range):
            // The range was validated when the file opened, so decoding cannot fail; should it ever, the
            // elements decoded so far are returned rather than trapping.
            var out: [GGUFValue] = []
            out.reserveCapacity(count)
            var r = ByteReader(file.slice(range))
            for _ in 0..<count {
                guard let v = try? GGUFValueCodec.decodeElement(elementType, &r, file: file, base: range.lowerBound)
                else { break }
                out.append(v)
            }
            return out
        }
    }

    /// The elements as strings, or nil when the element type is not `.string`.
    public var strings: [String]? {
        guard elementType == .string else { return nil }
        return values.compactMap(\.stringValue)
    }

    /// The elements as `Int`s, or nil when the element type is not an integer type or a value does not fit.
    public var integers: [Int]? {
        guard elementType.isInteger else { return nil }
        var out: [Int] = []
        out.reserveCapacity(count)
        for v in values {
            guard let i = v.intValue else { return nil }
            out.append(i)
        }
        return out
    }

    /// The elements as `Double`s, or nil when the element type is not a number type.
    public var doubles: [Double]? {
        guard elementType.isInteger || elementType == .float32 || elementType == .float64 else { return nil }
        return values.compactMap(\.doubleValue)
    }

    public static func == (a: GGUFArray, b: GGUFArray) -> Bool {
        a.elementType == b.elementType && a.count == b.count && a.values == b.values
    }
}
