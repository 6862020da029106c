// The weight formats the suite knows, by canonical name (docs/formats.md), with their geometry
// (block size, bytes per row, bits per weight) and the activation format their kernels pair with.
import QBenchSupport

/// A weight format. Raw values are the canonical names used in profiles, reports and flags.
public enum WeightFormat: String, CaseIterable, Codable, Sendable {
    case f32, f16, bf16
    case q8_0, q4_0, q4_1, q5_0, q4_k, q5_k, q6_k
    case i8_pc
    case i4_g32, i4_g64, i4_g128
    case u4_g32, u4_g64, u4_g128
    case fp8_e4m3, fp8_e5m2
    case mxfp4

    /// Elements per block or group: a row length K must be a multiple of it. 1 for element-wise
    /// formats and for the per-row formats (i8_pc, fp8), which take any K.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .i8_pc, .fp8_e4m3, .fp8_e5m2: return 1
        case .q8_0, .q4_0, .q4_1, .q5_0, .mxfp4, .i4_g32, .u4_g32: return 32
        case .i4_g64, .u4_g64: return 64
        case .i4_g128, .u4_g128: return 128
        case .q4_k, .q5_k, .q6_k: return 256
        }
    }

    /// Group size of the i4/u4 formats (the `group` kernel argument); 0 for every other format.
    public var groupSize: Int {
        switch self {
        case .i4_g32, .u4_g32: return 32
        case .i4_g64, .u4_g64: return 64
        case .i4_g128, .u4_g128: return 128
        default: return 0
        }
    }

    /// Bytes of one block of `blockSize` elements in the packed data array (side arrays excluded);
    /// for the ggml formats this is ggml's type size (GGML_QUANT_SIZES).
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .i8_pc, .fp8_e4m3, .fp8_e5m2: return 1
        case .q8_0: return 34
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .mxfp4: return 17
        case .q4_k: return 144
        case .q5_k: return 176
        case .q6_k: return 210
        case .i4_g32, .u4_g32: return 16
        case .i4_g64, .u4_g64: return 32
        case .i4_g128, .u4_g128: return 64
        }
    }

    /// True for the formats whose bytes are ggml's (and GGUF's) block layout.
    public var isGGML: Bool {
        switch self {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q4_k, .q5_k, .q6_k, .mxfp4: return true
        default: return false
        }
    }

    /// True for the formats with planar f32 scales (`QuantizedMatrix.scales`).
    public var hasScales: Bool {
        switch self {
        case .i8_pc, .fp8_e4m3, .fp8_e5m2, .i4_g32, .i4_g64, .i4_g128, .u4_g32, .u4_g64, .u4_g128: return true
        default: return false
        }
    }

    /// True for the formats with planar uint8 zero points (`QuantizedMatrix.zeros`).
    public var hasZeros: Bool {
        switch self {
        case .u4_g32, .u4_g64, .u4_g128: return true
        default: return false
        }
    }

    /// Storage bits per weight including every scale, min and zero point. The per-row formats
    /// (i8_pc, fp8) are given without their one f32 per row; `bytes(rows:k:)` is exact.
    public var bitsPerWeight: Double {
        switch self {
        case .i8_pc, .fp8_e4m3, .fp8_e5m2: return 8
        case .i4_g32, .i4_g64, .i4_g128: return 4 + 32 / Double(groupSize)
        case .u4_g32, .u4_g64, .u4_g128: return 4 + 40 / Double(groupSize)
        default: return Double(blockBytes * 8) / Double(blockSize)
        }
    }

    /// The activation format this format's kernels take (ggml's `vec_dot_type` for ggml formats).
    public var activationFormat: ActivationFormat {
        switch self {
        case .f32, .f16, .fp8_e4m3, .fp8_e5m2: return .f32
        case .bf16: return .bf16
        case .q8_0, .q4_0, .q5_0, .mxfp4: return .q8_0
        case .q4_1: return .q8_1
        case .q4_k, .q5_k, .q6_k: return .q8_k
        case .i8_pc, .i4_g32, .i4_g64, .i4_g128, .u4_g32, .u4_g64, .u4_g128: return .i8_pt
        }
    }

    /// Checks that rows of `k` elements are valid for this format.
    /// - Throws: `QBError.other` naming the format and the multiple it needs.
    public func validate(k: Int) throws {
        guard k > 0 else { throw QBError.other("\(rawValue): row length must be positive, got \(k)") }
        guard k % blockSize == 0 else {
            throw QBError.other("\(rawValue): row length \(k) is not a multiple of the block size \(blockSize)")
        }
    }

    /// Bytes per row of the packed data array (the kernel's `w_stride`), side arrays excluded.
    public func rowBytes(k: Int) throws -> Int {
        try validate(k: k)
        return (k / blockSize) * blockBytes
    }

    /// f32 scales per row in the side array (0 when the format has none).
    public func scalesPerRow(k: Int) -> Int {
        if groupSize > 0 { return k / groupSize }
        return hasScales ? 1 : 0
    }

    /// Exact storage of a rows x k matrix: data plus scales (4 bytes each) plus zero points (1 byte each).
    public func bytes(rows: Int, k: Int) throws -> Int {
        let perRow = try rowBytes(k: k) + 4 * scalesPerRow(k: k) + (hasZeros ? k / groupSize : 0)
        let (total, overflow) = perRow.multipliedReportingOverflow(by: rows)
        guard !overflow, rows >= 0 else { throw QBError.other("\(rawValue): \(rows) x \(k) matrix is too large") }
        return total
    }
}

extension WeightFormat {
    /// Parses a user's comma- or space-separated list of format names ("all" for every format); duplicates are
    /// dropped, order kept. The one parser for `--formats` in every command and for `--write-format`.
    /// - Throws: `QBError.badOption` naming `flag`, the unknown name and the valid ones.
    public static func parseList(_ text: String, flag: String = "--formats") throws -> [WeightFormat] {
        let names = text.split(whereSeparator: { $0 == "," || $0 == " " }).map { $0.lowercased() }
        guard !names.isEmpty else {
            throw QBError.badOption(flag: flag, message: "empty format list; valid: \(validNames)")
        }
        var out: [WeightFormat] = []
        for name in names {
            if name == "all" {
                for f in WeightFormat.allCases where !out.contains(f) { out.append(f) }
                continue
            }
            guard let f = WeightFormat(rawValue: name) else {
                throw QBError.badOption(flag: flag, message: "unknown format '\(name)'; valid: \(validNames) (or all)")
            }
            if !out.contains(f) { out.append(f) }
        }
        return out
    }

    static var validNames: String { WeightFormat.allCases.map(\.rawValue).joined(separator: " ") }
}
