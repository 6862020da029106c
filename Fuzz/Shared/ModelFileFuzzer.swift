// A seeded mutation fuzzer for the model-file readers: byte flips, truncations, huge length fields,
// insertions, deletions, splices and JSON-number swaps over small valid seed files. Every input must either
// parse (and then every tensor view and metadata array must be readable) or be refused with one
// `QBError.badInput` line naming the input. Used by the always-on test, by scripts/test.d/fuzz-readers.sh
// through a release build, and by the optional libFuzzer harness in Fuzz/.
import Foundation
import QBenchSupport
import QBenchModelFiles

public enum ModelFileFormat: String, Sendable {
    case gguf
    case safetensors
}

public struct ModelFileFuzzer {
    public struct Failure: CustomStringConvertible {
        public let iteration: Int
        public let format: ModelFileFormat
        public let problem: String
        public let input: [UInt8]
        public var description: String { "iteration \(iteration) (\(format), \(input.count) bytes): \(problem)" }
    }

    public struct Report {
        public var iterations = 0
        public var accepted = 0
        public var rejected = 0
        public var failures: [Failure] = []
        public var slowestSeconds = 0.0
        public var elapsedSeconds = 0.0
    }

    public let ggufSeeds: [[UInt8]]
    public let safetensorsSeeds: [[UInt8]]

    public init() throws {
        ggufSeeds = try Self.makeGGUFSeeds()
        safetensorsSeeds = try Self.makeSafetensorsSeeds()
    }

    /// Runs `iterations` mutated inputs, alternating formats. Stops collecting after 20 failures.
    public func run(iterations: Int, seed: UInt64) -> Report {
        var rng = SplitMix64(seed: seed)
        var report = Report()
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<iterations {
            let format: ModelFileFormat = i % 2 == 0 ? .gguf : .safetensors
            let seeds = format == .gguf ? ggufSeeds : safetensorsSeeds
            let base = seeds[rng.below(seeds.count)]
            let other = seeds[rng.below(seeds.count)]
            var input = base
            for _ in 0..<1 + rng.below(4) { Self.mutate(&input, other: other, format: format, rng: &rng) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let outcome = Self.check(input, format: format)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            report.slowestSeconds = max(report.slowestSeconds, seconds)
            report.iterations += 1
            switch outcome {
            case .accepted: report.accepted += 1
            case .rejected: report.rejected += 1
            case let .failed(problem):
                if report.failures.count < 20 {
                    report.failures.append(Failure(iteration: i, format: format, problem: problem, input: input))
                }
            }
        }
        report.elapsedSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return report
    }

    public enum Outcome: Equatable {
        case accepted
        case rejected
        case failed(String)
    }

    /// Parses `input` and, when it parses, reads everything the file claims to hold.
    public static func check(_ input: [UInt8], format: ModelFileFormat) -> Outcome {
        let name = "fuzz-input.\(format.rawValue)"
        let file = MappedFile(copying: input, name: name)
        do {
            switch format {
            case .gguf:
                let g = try GGUFFile(file: file)
                for t in g.tensors {
                    guard t.byteRange.lowerBound >= 0, t.byteRange.upperBound <= input.count else {
                        return .failed("tensor '\(t.name)' range \(t.byteRange) outside \(input.count) bytes")
                    }
                    _ = touch(t.bytes)
                }
                for e in g.metadata.entries { _ = deepCount(e.value) }
                _ = try? g.modelShape()
            case .safetensors:
                let s = try SafetensorsFile(file: file)
                for t in s.tensors {
                    guard t.byteRange.lowerBound >= 0, t.byteRange.upperBound <= input.count else {
                        return .failed("tensor '\(t.name)' range \(t.byteRange) outside \(input.count) bytes")
                    }
                    _ = touch(t.bytes)
                }
            }
            return .accepted
        } catch let QBError.badInput(path, message) {
            if path != name { return .failed("error names '\(path)', not the input") }
            if message.contains(where: \.isNewline) { return .failed("multi-line message: \(message)") }
            if message.isEmpty { return .failed("empty message") }
            if message.count > 1000 { return .failed("message of \(message.count) characters") }
            return .rejected
        } catch {
            return .failed("unexpected error type: \(error)")
        }
    }

    /// Reads the first and last byte of a view (enough for a sanitizer to catch a view past the buffer).
    static func touch(_ b: UnsafeRawBufferPointer) -> UInt8 {
        guard let first = b.first, let last = b.last else { return 0 }
        return first ^ last
    }

    /// Decodes every nested array element, so lazy array views are exercised too.
    static func deepCount(_ v: GGUFValue) -> Int {
        guard case let .array(a) = v else { return 1 }
        return a.values.reduce(1) { $0 + deepCount($1) }
    }

    // MARK: mutations

    static let interesting64: [UInt64] = [
        0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 24, 31, 32, 33, 63, 64, 255, 256, 1 << 16, 1 << 31, 1 << 32,
        (1 << 32) - 1, 1 << 40, 1 << 62, 1 << 63, UInt64.max, UInt64.max - 1, UInt64(Int64.max),
        100_000_001, 0x8000_0000_0000_0001,
    ]
    static let jsonNumbers = [
        "0", "-1", "1", "7", "8", "4096", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "1e308", "1e400", "2.5", "-0", "4294967296",
    ]
    static let jsonTokens = [
        "\"F32\"", "\"BOOL\"", "\"I64\"", "\"__metadata__\"", "[]", "{}", "[0]", "[0,0]", "[1,0]", "null",
        "true", "\"shape\"", "\"data_offsets\"", "\"dtype\"", "[[[[[[[[", "]]]]", "\"\\u0000\"",
    ]

    static func mutate(_ b: inout [UInt8], other: [UInt8], format: ModelFileFormat, rng: inout SplitMix64) {
        if format == .safetensors, rng.chance(40), mutateJSON(&b, rng: &rng) { return }
        switch rng.below(10) {
        case 0:  // flip bits
            guard !b.isEmpty else { return }
            for _ in 0..<1 + rng.below(4) { b[rng.below(b.count)] ^= UInt8(1 << rng.below(8)) }
        case 1:  // random byte
            guard !b.isEmpty else { return }
            b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 2:  // truncate
            b.removeLast(rng.below(b.count + 1))
        case 3:  // overwrite a u64 with an interesting length, often at an 8-byte boundary
            overwrite(&b, value: interesting64[rng.below(interesting64.count)], width: 8, rng: &rng)
        case 4:  // overwrite a u32 (type ids, dimension counts, versions)
            let v = rng.chance(50) ? UInt64(rng.below(48)) : interesting64[rng.below(interesting64.count)]
            overwrite(&b, value: v, width: 4, rng: &rng)
        case 5:  // insert a huge length field
            let v = interesting64[rng.below(interesting64.count)]
            let at = rng.below(b.count + 1)
            b.insert(contentsOf: withUnsafeBytes(of: v.littleEndian, Array.init), at: at)
        case 6:  // insert random bytes
            let at = rng.below(b.count + 1)
            b.insert(contentsOf: (0..<1 + rng.below(16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 7:  // delete a range
            guard !b.isEmpty else { return }
            let at = rng.below(b.count)
            b.removeSubrange(at..<min(b.count, at + 1 + rng.below(32)))
        case 8:  // splice: prefix of this input, suffix of another seed
            let cut = rng.below(b.count + 1)
            let from = rng.below(other.count + 1)
            b = Array(b[..<cut]) + Array(other[from...])
        default:  // duplicate a chunk in place
            guard b.count > 1 else { return }
            let at = rng.below(b.count)
            let chunk = Array(b[at..<min(b.count, at + 1 + rng.below(64))])
            b.insert(contentsOf: chunk, at: rng.below(b.count + 1))
        }
    }

    static func overwrite(_ b: inout [UInt8], value: UInt64, width: Int, rng: inout SplitMix64) {
        guard b.count >= width else { return }
        var at = rng.below(b.count - width + 1)
        if rng.chance(60) { at -= at % width }
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<width { b[at + i] = raw[i] }
        }
    }

    /// Replaces a number or token inside the JSON header, then (usually) fixes the length prefix so the
    /// mutation reaches the header checks instead of dying at the length check.
    static func mutateJSON(_ b: inout [UInt8], rng: inout SplitMix64) -> Bool {
        guard b.count >= 8 else { return false }
        let n = b.withUnsafeBytes { Int(truncatingIfNeeded: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard n > 2, n <= b.count - 8 else { return false }
        var header = Array(b[8..<8 + n])
        let data = Array(b[(8 + n)...])
        let digitStarts = header.indices.filter { i in
            (header[i] >= 0x30 && header[i] <= 0x39) && (i == 0 || !(header[i - 1] >= 0x30 && header[i - 1] <= 0x39))
        }
        if rng.chance(60), !digitStarts.isEmpty {
            let s = digitStarts[rng.below(digitStarts.count)]
            var e = s
            while e < header.count, header[e] >= 0x30, header[e] <= 0x39 { e += 1 }
            header.replaceSubrange(s..<e, with: Array(jsonNumbers[rng.below(jsonNumbers.count)].utf8))
        } else {
            let at = rng.below(header.count)
            let len = rng.below(min(12, header.count - at) + 1)
            header.replaceSubrange(at..<at + len, with: Array(jsonTokens[rng.below(jsonTokens.count)].utf8))
        }
        let newLength = rng.chance(85) ? UInt64(header.count) : UInt64(n)
        b = withUnsafeBytes(of: newLength.littleEndian, Array.init) + header + data
        return true
    }

    // MARK: seeds

    static func makeGGUFSeeds() throws -> [[UInt8]] {
        var a = try GGUFWriter()
        try a.add("general.architecture", .string("llama"))
        try a.add("llama.embedding_length", .uint32(32))
        try a.add("llama.block_count", .uint32(2))
        try a.add(
            "llama.feed_forward_length", .array(GGUFArray(elementType: .int32, values: [.int32(64), .int32(96)])))
        try a.add("t.u8", .uint8(200))
        try a.add("t.i8", .int8(-5))
        try a.add("t.u16", .uint16(60000))
        try a.add("t.i16", .int16(-300))
        try a.add("t.i32", .int32(-70000))
        try a.add("t.u64", .uint64(1 << 40))
        try a.add("t.i64", .int64(-(1 << 40)))
        try a.add("t.f32", .float32(0.5))
        try a.add("t.f64", .float64(-2.25))
        try a.add("t.bool", .bool(true))
        try a.add(
            "tokenizer.ggml.tokens",
            .array(
                GGUFArray(
                    elementType: .string,
                    values: ["<s>", "a", "bc", ""].map { .string($0) })))
        try a.add(
            "t.nested",
            .array(
                GGUFArray(
                    elementType: .array,
                    values: [
                        .array(GGUFArray(elementType: .uint8, values: [.uint8(1), .uint8(2)])),
                        .array(GGUFArray(elementType: .string, values: [.string("x")])),
                    ])))
        try a.add("t.bools", .array(GGUFArray(elementType: .bool, values: [.bool(false), .bool(true)])))
        try a.addTensor(name: "f32", shape: [8, 2], type: .f32, bytes: Data((0..<64).map { UInt8($0) }))
        try a.addTensor(name: "q8", shape: [32, 2], type: .q8_0, bytes: Data(repeating: 7, count: 68))
        try a.addTensor(name: "q4k", shape: [256], type: .q4_k, bytes: Data(repeating: 3, count: 144))
        try a.addTensor(name: "scalar", shape: [], type: .i8, bytes: Data([42]))
        var b = try GGUFWriter(alignment: 64)
        try b.add("general.name", .string("seed-b"))
        try b.addTensor(name: "x", shape: [4, 1, 1, 2], type: .f16, bytes: Data(repeating: 1, count: 16))
        try b.addTensor(name: "empty", shape: [0, 3], type: .f32, bytes: Data())
        return [Array(try a.encoded()), Array(try b.encoded())]
    }

    static func makeSafetensorsSeeds() throws -> [[UInt8]] {
        var a = SafetensorsWriter(metadata: ["format": "pt"])
        try a.addTensor(name: "w", dtype: .f32, shape: [2, 4], bytes: Data(repeating: 1, count: 32))
        try a.addTensor(name: "ids", dtype: .i64, shape: [1, 3], bytes: Data(repeating: 0, count: 24))
        try a.addTensor(name: "h", dtype: .f16, shape: [3], bytes: Data(repeating: 2, count: 6))
        var b = SafetensorsWriter()
        try b.addTensor(name: "e", dtype: .bf16, shape: [0, 5], bytes: Data())
        try b.addTensor(name: "u", dtype: .u8, shape: [5], bytes: Data([1, 2, 3, 4, 5]))
        try b.addTensor(name: "s", dtype: .i8, shape: [], bytes: Data([9]))
        return [Array(try a.encoded()), Array(try b.encoded())]
    }
}
