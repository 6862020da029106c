// A bounds-checked little-endian cursor over a file's bytes. Every read states what it is reading so that a
// truncated or lying file produces a message a user can act on, and no read ever goes past the end.

/// Why a model file was refused. Readers turn it into `QBError.badInput(path:message:)` at their public edge.
struct ModelFileProblem: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    /// Throws unless `n` more bytes are available.
    func require(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else {
            throw ModelFileProblem(
                "truncated: \(what()) needs \(n) bytes at offset \(offset) but the file ends at \(bytes.count)")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let n = MemoryLayout<T>.size
        try require(n, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += n
        return T(littleEndian: v)
    }

    /// Reads a u64 that counts bytes or items and must fit an `Int`; a larger one cannot fit the file either.
    mutating func readLength(_ what: @autoclosure () -> String) throws -> Int {
        let start = offset
        let v = try read(UInt64.self, what())
        guard let n = Int(exactly: v) else {
            throw ModelFileProblem(
                "\(what()) at offset \(start) is \(v), far larger than the file (\(bytes.count) bytes)")
        }
        return n
    }

    mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws {
        try require(n, what())
        offset += n
    }

    /// The next `n` bytes, without copying.
    mutating func view(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(n, what())
        let v =
            n == 0
            ? UnsafeRawBufferPointer(start: nil, count: 0)
            : UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
        offset += n
        return v
    }

    /// A GGUF string: u64 byte length then that many bytes. Invalid UTF-8 is repaired, not refused: names and
    /// tokenizer entries are labels here, and refusing a model over one odd token would help nobody.
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let start = offset
        let n = try readLength("\(what()) length")
        guard n <= remaining else {
            throw ModelFileProblem(
                "\(what()) at offset \(start) claims \(n) bytes but only \(remaining) remain in the file")
        }
        return String(decoding: try view(n, what()), as: UTF8.self)
    }
}

/// Overflow-checked arithmetic for sizes read from files: a product or sum that does not fit is a bad file.
enum CheckedSize {
    static func multiply(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        guard !o else { throw ModelFileProblem("\(what()) overflows a 64-bit size (\(a) x \(b))") }
        return r
    }

    static func add(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        guard !o else { throw ModelFileProblem("\(what()) overflows a 64-bit size (\(a) + \(b))") }
        return r
    }

    /// `value` rounded up to a multiple of `alignment` (a power of two).
    static func alignUp(_ value: Int, _ alignment: Int, _ what: @autoclosure () -> String) throws -> Int {
        let bumped = try add(value, alignment - 1, what())
        return bumped & ~(alignment - 1)
    }

    /// The product of `values` (dimensions, all >= 0). The non-zero factors must multiply without overflow even
    /// when a zero makes the result 0, so that [2^62, 2^62, 0] is refused as [0, 2^62, 2^62] is: the check
    /// does not depend on the order of the dimensions.
    static func product(_ values: [Int], _ what: @autoclosure () -> String) throws -> Int {
        var r = 1
        var sawZero = false
        for v in values {
            if v == 0 { sawZero = true; continue }
            r = try multiply(r, v, what())
        }
        return sawZero ? 0 : r
    }
}
