// A quantized rows x k matrix in a weight format's kernel layout, and the uniform quantize /
// dequantize entry points over rows of floats (one row, or a whole matrix split across threads).
import Dispatch
import QBenchSupport

/// A matrix in a weight format's layout (docs/layouts.md): `data` holds `rows * rowBytes` bytes,
/// row-major by output row; `scales` and `zeros` are the planar side arrays (`w_scales`, `w_zeros`)
/// of the formats that have them (`scalesPerRow` f32 and, for u4, as many uint8 per row), else empty.
public struct QuantizedMatrix: Sendable, Equatable {
    public let format: WeightFormat
    public let rows: Int
    public let k: Int
    public var data: [UInt8]
    public var scales: [Float]
    public var zeros: [UInt8]

    /// Bytes per row of `data` (the kernels' `w_stride`).
    public var rowBytes: Int { rows == 0 ? 0 : data.count / rows }
    /// Total storage: data, scales and zero points.
    public var byteCount: Int { data.count + 4 * scales.count + zeros.count }

    /// Wraps existing data (for example a tensor read from a GGUF file), checking every size.
    /// - Throws: `QBError.other` when k does not fit the format or an array has the wrong length.
    public init(
        format: WeightFormat, rows: Int, k: Int, data: [UInt8], scales: [Float] = [], zeros: [UInt8] = []
    ) throws {
        guard rows >= 0 else { throw QBError.other("\(format.rawValue): negative row count \(rows)") }
        let rb = try format.rowBytes(k: k)
        let spr = format.scalesPerRow(k: k)
        let zpr = format.hasZeros ? spr : 0
        func expect(_ what: String, _ got: Int, _ perRow: Int) throws {
            let (want, overflow) = perRow.multipliedReportingOverflow(by: rows)
            guard !overflow, got == want else {
                throw QBError.other(
                    "\(format.rawValue) \(rows)x\(k): \(what) has \(got) elements, expected \(perRow) per row")
            }
        }
        try expect("data", data.count, rb)
        try expect("scales", scales.count, spr)
        try expect("zeros", zeros.count, zpr)
        self.format = format; self.rows = rows; self.k = k
        self.data = data; self.scales = scales; self.zeros = zeros
    }

    init(unchecked format: WeightFormat, rows: Int, k: Int, data: [UInt8], scales: [Float], zeros: [UInt8]) {
        self.format = format; self.rows = rows; self.k = k
        self.data = data; self.scales = scales; self.zeros = zeros
    }

    /// Reconstructs the rows x k floats.
    public func dequantize(threads: Int = 1) -> [Float] {
        let n = rows * k
        guard n > 0 else { return [] }
        let rb = rowBytes, spr = format.scalesPerRow(k: k), zpr = format.hasZeros ? spr : 0
        let fmt = format, k = self.k
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            data.withUnsafeBytes { d in
                scales.withUnsafeBufferPointer { s in
                    zeros.withUnsafeBufferPointer { z in
                        let dp = d.baseAddress!, op = out.baseAddress!
                        let sp = s.baseAddress, zp = z.baseAddress
                        parallelRows(rows, threads: threads) { r0, r1 in
                            for r in r0..<r1 {
                                fmt.dequantizeRowUnchecked(
                                    dp + r * rb, sp.map { $0 + r * spr }, zp.map { $0 + r * zpr },
                                    op + r * k, k: k)
                            }
                        }
                    }
                }
            }
            count = n
        }
    }
}

extension WeightFormat {
    /// Quantizes a row-major rows x k matrix with the format's reference quantizer.
    /// - Parameters:
    ///   - x: `rows * k` floats.
    ///   - threads: rows are split into this many contiguous ranges (the result does not depend on it).
    /// - Throws: `QBError.other` when k does not fit the format, the buffer is the wrong size, or
    ///   (for every format but f32/f16/bf16) an input value is NaN or infinite.
    public func quantize(_ x: UnsafeBufferPointer<Float>, rows: Int, k: Int, threads: Int = 1) throws -> QuantizedMatrix
    {
        let rb = try rowBytes(k: k)
        let (n, overflow) = rows.multipliedReportingOverflow(by: k)
        guard rows >= 0, !overflow, x.count == n else {
            throw QBError.other("\(rawValue): expected \(rows) x \(k) floats, got \(x.count)")
        }
        if self != .f32 && self != .f16 && self != .bf16, let bad = Self.firstNonFinite(x) {
            throw QBError.other(
                "\(rawValue): input value \(x[bad]) at index \(bad) is not finite; \(rawValue) cannot represent it")
        }
        let spr = scalesPerRow(k: k), zpr = hasZeros ? spr : 0
        var data = [UInt8](repeating: 0, count: rb * rows)
        var scales = [Float](repeating: 0, count: spr * rows)
        var zeros = [UInt8](repeating: 0, count: zpr * rows)
        guard n > 0 else {
            return QuantizedMatrix(unchecked: self, rows: rows, k: k, data: data, scales: scales, zeros: zeros)
        }
        let src = x.baseAddress!
        data.withUnsafeMutableBytes { d in
            scales.withUnsafeMutableBufferPointer { s in
                zeros.withUnsafeMutableBufferPointer { z in
                    let dp = d.baseAddress!, sp = s.baseAddress, zp = z.baseAddress
                    parallelRows(rows, threads: threads) { r0, r1 in
                        for r in r0..<r1 {
                            self.quantizeRowUnchecked(
                                src + r * k, k: k, dp + r * rb, sp.map { $0 + r * spr }, zp.map { $0 + r * zpr })
                        }
                    }
                }
            }
        }
        return QuantizedMatrix(unchecked: self, rows: rows, k: k, data: data, scales: scales, zeros: zeros)
    }

    /// `quantize` over an array.
    public func quantize(_ x: [Float], rows: Int, k: Int, threads: Int = 1) throws -> QuantizedMatrix {
        try x.withUnsafeBufferPointer { try quantize($0, rows: rows, k: k, threads: threads) }
    }

    /// Quantize then dequantize: what a kernel using this format computes with instead of `x`.
    public func roundTrip(_ x: [Float], rows: Int, k: Int, threads: Int = 1) throws -> [Float] {
        try quantize(x, rows: rows, k: k, threads: threads).dequantize(threads: threads)
    }

    /// Quantizes one row of `x.count` floats into caller-provided buffers in this format's layout:
    /// `data` of `rowBytes(k:)` bytes, `scales` of `scalesPerRow(k:)` floats, `zeros` of as many bytes
    /// for u4 (empty buffers for formats without side arrays).
    /// - Throws: `QBError.other` on a row length or buffer size the format cannot take.
    public func quantizeRow(
        _ x: UnsafeBufferPointer<Float>, data: UnsafeMutableRawBufferPointer,
        scales: UnsafeMutableBufferPointer<Float>, zeros: UnsafeMutableBufferPointer<UInt8>
    ) throws {
        let k = x.count
        try checkRowBuffers(k: k, data: data.count, scales: scales.count, zeros: zeros.count)
        quantizeRowUnchecked(x.baseAddress!, k: k, data.baseAddress!, scales.baseAddress, zeros.baseAddress)
    }

    /// Dequantizes one row of `x.count` floats from buffers laid out as `quantizeRow` writes them.
    /// - Throws: `QBError.other` on a row length or buffer size the format cannot take.
    public func dequantizeRow(
        data: UnsafeRawBufferPointer, scales: UnsafeBufferPointer<Float>,
        zeros: UnsafeBufferPointer<UInt8>, into x: UnsafeMutableBufferPointer<Float>
    ) throws {
        let k = x.count
        try checkRowBuffers(k: k, data: data.count, scales: scales.count, zeros: zeros.count)
        dequantizeRowUnchecked(data.baseAddress!, scales.baseAddress, zeros.baseAddress, x.baseAddress!, k: k)
    }

    private func checkRowBuffers(k: Int, data: Int, scales: Int, zeros: Int) throws {
        let rb = try rowBytes(k: k), spr = scalesPerRow(k: k), zpr = hasZeros ? spr : 0
        guard data >= rb, scales >= spr, zeros >= zpr else {
            throw QBError.other(
                "\(rawValue) row of \(k): buffers hold \(data)/\(scales)/\(zeros), "
                    + "need \(rb) bytes, \(spr) scales, \(zpr) zeros"
            )
        }
    }

    /// Index of the first NaN or infinity, if any.
    public static func firstNonFinite(_ x: UnsafeBufferPointer<Float>) -> Int? {
        // A cheap vectorizable screen first; locate the culprit only when there is one.
        var acc: Float = 0
        for v in x { acc += v * 0 }  // NaN or inf times 0 is NaN, and NaN sticks
        if !acc.isNaN { return nil }
        return x.firstIndex { !$0.isFinite }
    }

    func quantizeRowUnchecked(
        _ x: UnsafePointer<Float>, k: Int, _ y: UnsafeMutableRawPointer,
        _ scales: UnsafeMutablePointer<Float>?, _ zeros: UnsafeMutablePointer<UInt8>?
    ) {
        let nb = k / blockSize
        switch self {
        case .f32:
            y.copyMemory(from: x, byteCount: 4 * k)
        case .f16:
            for j in 0..<k { y.storeBytes(of: FloatBits.f16(x[j]).littleEndian, toByteOffset: 2 * j, as: UInt16.self) }
        case .bf16:
            for j in 0..<k { y.storeBytes(of: FloatBits.bf16(x[j]).littleEndian, toByteOffset: 2 * j, as: UInt16.self) }
        case .q8_0: GGMLRef.quantizeQ8_0(x, y, nBlocks: nb)
        case .q4_0: GGMLRef.quantizeQ4_0(x, y, nBlocks: nb)
        case .q4_1: GGMLRef.quantizeQ4_1(x, y, nBlocks: nb)
        case .q5_0: GGMLRef.quantizeQ5_0(x, y, nBlocks: nb)
        case .q4_k: GGMLRef.quantizeQ4_K(x, y, nBlocks: nb)
        case .q5_k: GGMLRef.quantizeQ5_K(x, y, nBlocks: nb)
        case .q6_k: GGMLRef.quantizeQ6_K(x, y, nBlocks: nb)
        case .mxfp4: GGMLRef.quantizeMXFP4(x, y, nBlocks: nb)
        case .i8_pc:
            scales![0] = SuiteRef.quantizeRowI8(x, y.assumingMemoryBound(to: Int8.self), k: k)
        case .fp8_e4m3, .fp8_e5m2:
            scales![0] = SuiteRef.quantizeRowFP8(
                x, y.assumingMemoryBound(to: UInt8.self), k: k, e5m2: self == .fp8_e5m2)
        case .i4_g32, .i4_g64, .i4_g128:
            SuiteRef.quantizeRowI4(x, y.assumingMemoryBound(to: UInt8.self), scales: scales!, k: k, group: groupSize)
        case .u4_g32, .u4_g64, .u4_g128:
            SuiteRef.quantizeRowU4(
                x, y.assumingMemoryBound(to: UInt8.self), scales: scales!, zeros: zeros!, k: k, group: groupSize)
        }
    }

    func dequantizeRowUnchecked(
        _ y: UnsafeRawPointer, _ scales: UnsafePointer<Float>?, _ zeros: UnsafePointer<UInt8>?,
        _ x: UnsafeMutablePointer<Float>, k: Int
    ) {
        let nb = k / blockSize
        switch self {
        case .f32:
            UnsafeMutableRawPointer(x).copyMemory(from: y, byteCount: 4 * k)
        case .f16:
            for j in 0..<k {
                x[j] = FloatBits.f32(f16: UInt16(littleEndian: y.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)))
            }
        case .bf16:
            for j in 0..<k {
                x[j] = FloatBits.f32(
                    bf16: UInt16(littleEndian: y.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)))
            }
        case .q8_0: GGMLRef.dequantizeQ8_0(y, x, nBlocks: nb)
        case .q4_0: GGMLRef.dequantizeQ4_0(y, x, nBlocks: nb)
        case .q4_1: GGMLRef.dequantizeQ4_1(y, x, nBlocks: nb)
        case .q5_0: GGMLRef.dequantizeQ5_0(y, x, nBlocks: nb)
        case .q4_k: GGMLRef.dequantizeQ4_K(y, x, nBlocks: nb)
        case .q5_k: GGMLRef.dequantizeQ5_K(y, x, nBlocks: nb)
        case .q6_k: GGMLRef.dequantizeQ6_K(y, x, nBlocks: nb)
        case .mxfp4: GGMLRef.dequantizeMXFP4(y, x, nBlocks: nb)
        case .i8_pc:
            SuiteRef.dequantizeRowI8(y.assumingMemoryBound(to: Int8.self), scale: scales![0], x, k: k)
        case .fp8_e4m3, .fp8_e5m2:
            SuiteRef.dequantizeRowFP8(
                y.assumingMemoryBound(to: UInt8.self), scale: scales![0], x, k: k, e5m2: self == .fp8_e5m2)
        case .i4_g32, .i4_g64, .i4_g128:
            SuiteRef.dequantizeRowI4(y.assumingMemoryBound(to: UInt8.self), scales: scales!, x, k: k, group: groupSize)
        case .u4_g32, .u4_g64, .u4_g128:
            SuiteRef.dequantizeRowU4(
                y.assumingMemoryBound(to: UInt8.self), scales: scales!, zeros: zeros!, x, k: k, group: groupSize)
        }
    }
}

/// Runs `body(r0, r1)` over `threads` contiguous, disjoint row ranges covering 0..<rows.
func parallelRows(_ rows: Int, threads: Int, _ body: (Int, Int) -> Void) {
    let t = max(1, min(threads, rows))
    if t == 1 { body(0, rows); return }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: t) { i in
            body(rows * i / t, rows * (i + 1) / t)
        }
    }
}
