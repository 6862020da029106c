// Activation formats: what a kernel's `quantize_row` turns each f32 activation row into before
// the dot products (ggml's vec_dot_type for the ggml formats, per-token int8 for the suite's).
import QBenchSupport

/// An activation format. Raw values are the names used in the kernel registry (`afmt`).
public enum ActivationFormat: String, CaseIterable, Codable, Sendable {
    /// Plain f32 rows.
    case f32
    /// bfloat16 rows, round to nearest even.
    case bf16
    /// ggml q8_0 blocks {f16 d; i8 qs[32]}.
    case q8_0
    /// ggml q8_1 blocks {f16 d; f16 s; i8 qs[32]}, s = d * sum(qs).
    case q8_1
    /// ggml q8_k blocks {f32 d; i8 qs[256]; i16 bsums[16]}.
    case q8_k
    /// Per-token symmetric int8: one f32 scale per row, optional per-group sums of q.
    case i8_pt

    /// Elements per block; a row length must be a multiple of it.
    public var blockSize: Int {
        switch self {
        case .f32, .bf16, .i8_pt: return 1
        case .q8_0, .q8_1: return 32
        case .q8_k: return 256
        }
    }

    /// Bytes of one block in the activation row.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .bf16: return 2
        case .i8_pt: return 1
        case .q8_0: return 34
        case .q8_1: return 36
        case .q8_k: return 292
        }
    }

    /// Bytes per activation row (the kernels' `x_stride`).
    /// - Throws: `QBError.other` when k is not a positive multiple of the block size.
    public func rowBytes(k: Int) throws -> Int {
        guard k > 0, k % blockSize == 0 else {
            throw QBError.other("\(rawValue): row length \(k) is not a positive multiple of \(blockSize)")
        }
        return (k / blockSize) * blockBytes
    }

    /// Quantizes `rows` activation rows of `k` floats.
    /// - Parameter group: for `i8_pt`, the weight group size whose per-group sums of q to record
    ///   in `sums` (`x_sums[N][K/group]`, needed by u4 weights); 0 for none.
    /// - Throws: `QBError.other` on a size mismatch or a group that does not divide k.
    public func quantize(
        _ x: UnsafeBufferPointer<Float>, rows: Int, k: Int, group: Int = 0
    ) throws -> QuantizedActivations {
        let rb = try rowBytes(k: k)
        let (n, overflow) = rows.multipliedReportingOverflow(by: k)
        guard rows >= 0, !overflow, x.count == n else {
            throw QBError.other("\(rawValue): expected \(rows) x \(k) floats, got \(x.count)")
        }
        guard group >= 0, group == 0 || (self == .i8_pt && k % group == 0) else {
            throw QBError.other("\(rawValue): group \(group) does not apply to rows of \(k)")
        }
        var data = [UInt8](repeating: 0, count: rb * rows)
        var scales = [Float](repeating: 0, count: self == .i8_pt ? rows : 0)
        let gpr = group > 0 ? k / group : 0
        var sums = [Int32](repeating: 0, count: gpr * rows)
        guard n > 0 else {
            return QuantizedActivations(
                format: self, rows: rows, k: k, group: group, data: data, scales: scales, sums: sums)
        }
        let src = x.baseAddress!
        data.withUnsafeMutableBytes { d in
            let dp = d.baseAddress!
            for r in 0..<rows {
                let xr = src + r * k, yr = dp + r * rb
                switch self {
                case .f32: yr.copyMemory(from: xr, byteCount: 4 * k)
                case .bf16:
                    for j in 0..<k {
                        yr.storeBytes(of: FloatBits.bf16(xr[j]).littleEndian, toByteOffset: 2 * j, as: UInt16.self)
                    }
                case .q8_0: GGMLRef.quantizeQ8_0(xr, yr, nBlocks: k / 32)
                case .q8_1: GGMLRef.quantizeQ8_1(xr, yr, nBlocks: k / 32)
                case .q8_k: GGMLRef.quantizeQ8_K(xr, yr, nBlocks: k / 256)
                case .i8_pt:
                    let q = yr.assumingMemoryBound(to: Int8.self)
                    scales[r] = SuiteRef.quantizeRowI8(xr, q, k: k)
                    if group > 0 {
                        sums.withUnsafeMutableBufferPointer {
                            SuiteRef.groupSums(q, k: k, group: group, into: $0.baseAddress! + r * gpr)
                        }
                    }
                }
            }
        }
        return QuantizedActivations(
            format: self, rows: rows, k: k, group: group, data: data, scales: scales, sums: sums)
    }

    /// `quantize` over an array.
    public func quantize(_ x: [Float], rows: Int, k: Int, group: Int = 0) throws -> QuantizedActivations {
        try x.withUnsafeBufferPointer { try quantize($0, rows: rows, k: k, group: group) }
    }
}

/// Activation rows in an activation format: `data` holds `rows * rowBytes` bytes; `scales` one f32
/// per row for `i8_pt` (else empty); `sums` `rows * k/group` per-group sums of q when a group was given.
public struct QuantizedActivations: Sendable, Equatable {
    public let format: ActivationFormat
    public let rows: Int
    public let k: Int
    public let group: Int
    public var data: [UInt8]
    public var scales: [Float]
    public var sums: [Int32]

    public var rowBytes: Int { rows == 0 ? 0 : data.count / rows }

    /// Reconstructs the rows x k floats.
    public func dequantize() -> [Float] {
        var out = [Float](repeating: 0, count: rows * k)
        guard rows * k > 0 else { return out }
        let rb = rowBytes
        data.withUnsafeBytes { d in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows {
                    let yr = d.baseAddress! + r * rb, xr = o.baseAddress! + r * k
                    switch format {
                    case .f32: UnsafeMutableRawPointer(xr).copyMemory(from: yr, byteCount: 4 * k)
                    case .bf16:
                        for j in 0..<k {
                            xr[j] = FloatBits.f32(
                                bf16: UInt16(littleEndian: yr.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)))
                        }
                    case .q8_0: GGMLRef.dequantizeQ8_0(yr, xr, nBlocks: k / 32)
                    case .q8_1: GGMLRef.dequantizeQ8_1(yr, xr, nBlocks: k / 32)
                    case .q8_k: GGMLRef.dequantizeQ8_K(yr, xr, nBlocks: k / 256)
                    case .i8_pt:
                        SuiteRef.dequantizeRowI8(yr.assumingMemoryBound(to: Int8.self), scale: scales[r], xr, k: k)
                    }
                }
            }
        }
        return out
    }
}
