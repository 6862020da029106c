// Settings of an accuracy run and the parsing of the user's format list.
import Foundation
import QBenchSupport
import QBenchFormats

public struct AccuracyOptions: Sendable {
    /// The default comparison: floats, the 8-bit family, then the 6/5/4-bit formats.
    public static let defaultFormats: [WeightFormat] = [
        .f16, .bf16, .i8_pc, .q8_0, .fp8_e4m3, .q6_k, .q5_0, .q4_k, .q4_1, .i4_g32, .u4_g32, .q4_0, .mxfp4,
    ]

    public var formats: [WeightFormat]
    /// Only tensors whose name this regular expression finds a match in (nil: all).
    public var tensorPattern: String?
    public var threads: Int
    /// Calibrate the N largest analysed tensors (0: no calibration section).
    public var calibrationTensors: Int
    public var calibration: CalibrationOptions
    /// Average bits per weight for the mixed-precision plan (nil: no plan).
    public var budgetBits: Double?

    public init(
        formats: [WeightFormat] = AccuracyOptions.defaultFormats, tensorPattern: String? = nil,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, calibrationTensors: Int = 8,
        calibration: CalibrationOptions = CalibrationOptions(), budgetBits: Double? = nil
    ) {
        self.formats = formats; self.tensorPattern = tensorPattern; self.threads = threads
        self.calibrationTensors = calibrationTensors; self.calibration = calibration; self.budgetBits = budgetBits
    }

    /// The compiled `tensorPattern`.
    /// - Throws: `QBError.badOption` for `--tensors` when it is not a valid regular expression.
    func compiledPattern() throws -> NSRegularExpression? {
        guard let p = tensorPattern else { return nil }
        do {
            return try NSRegularExpression(pattern: p)
        } catch {
            throw QBError.badOption(flag: "--tensors", message: "'\(p)' is not a valid regular expression")
        }
    }
}

extension NSRegularExpression {
    /// True when the expression matches somewhere in `s` (a search, like `re.search`).
    func finds(in s: String) -> Bool {
        firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }
}
