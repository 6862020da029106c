// The `qbench accuracy` report (schema `qbench.accuracy/1`, documented in docs/accuracy.md): per-tensor
// error of every format, per-format summaries weighted by tensor size, int8 calibration methods, and the
// optional mixed-precision plan. Codable value types, encoded with QBJSON (snake_case keys).
import QBenchSupport
import QBenchFormats

/// The whole report.
public struct AccuracyReport: Codable, Sendable, Equatable {
    public static let schemaVersion = "qbench.accuracy/1"

    public var schema: String = AccuracyReport.schemaVersion
    public var qbenchVersion: String = QBenchVersion.string
    public var model: ModelInfo
    /// Formats evaluated, in the order asked for.
    public var formats: [WeightFormat]
    /// The `--tensors` regular expression, if any.
    public var tensorFilter: String?
    /// Facts a reader must know to interpret the figures (dequantized sources, skipped tensors).
    public var notes: [String]
    /// One row per analysed 2-D weight matrix.
    public var tensors: [TensorAccuracy]
    /// Tensors selected but not analysed, with the reason.
    public var skippedTensors: [SkippedTensor]
    /// Per format, over the tensors it could take; sorted by bits per weight, largest first.
    public var summary: [FormatSummary]
    public var calibration: CalibrationSection?
    public var mixedPrecision: MixedPrecisionPlan?
    /// Set when `--write` saved a re-quantized model.
    public var written: WrittenModel?
    /// Wall time of the analysis, in seconds.
    public var elapsedSeconds: Double

    public init(
        model: ModelInfo, formats: [WeightFormat], tensorFilter: String?, notes: [String],
        tensors: [TensorAccuracy], skippedTensors: [SkippedTensor], summary: [FormatSummary],
        calibration: CalibrationSection?, mixedPrecision: MixedPrecisionPlan?, written: WrittenModel? = nil,
        elapsedSeconds: Double
    ) {
        self.model = model; self.formats = formats; self.tensorFilter = tensorFilter; self.notes = notes
        self.tensors = tensors; self.skippedTensors = skippedTensors; self.summary = summary
        self.calibration = calibration; self.mixedPrecision = mixedPrecision; self.written = written
        self.elapsedSeconds = elapsedSeconds
    }
}

/// What was opened.
public struct ModelInfo: Codable, Sendable, Equatable {
    public var path: String
    public var container: ModelContainer
    /// All tensors in the file, selected or not.
    public var tensorCount: Int
    public var parameterCount: Int
    /// Bytes of all tensors as stored (the baseline of `FormatSummary.modelBytes`).
    public var tensorBytes: Int
    /// Tensors matching `--tensors` (all of them without it).
    public var selectedTensors: Int
    /// 2-D weight matrices analysed and their element count.
    public var matrixTensors: Int
    public var matrixElements: Int

    public init(
        path: String, container: ModelContainer, tensorCount: Int, parameterCount: Int, tensorBytes: Int,
        selectedTensors: Int, matrixTensors: Int, matrixElements: Int
    ) {
        self.path = path; self.container = container; self.tensorCount = tensorCount
        self.parameterCount = parameterCount; self.tensorBytes = tensorBytes; self.selectedTensors = selectedTensors
        self.matrixTensors = matrixTensors; self.matrixElements = matrixElements
    }
}

/// One analysed weight matrix: its source and the error of every format that fits it.
public struct TensorAccuracy: Codable, Sendable, Equatable {
    public var name: String
    /// As stored in the file (ggml order for GGUF, row-major for safetensors).
    public var shape: [Int]
    public var rows: Int
    /// Row length K, along which quantization blocks run.
    public var cols: Int
    public var elementCount: Int
    /// Stored type ("F32", "BF16", "Q4_K").
    public var storedType: String
    /// Where the reference values come from: "f32", "converted from F16", "dequantized from Q4_K".
    public var source: String
    /// Bytes as stored in the file.
    public var originalBytes: Int
    /// Σx² of the source values (Double), so that summaries can add energies across tensors.
    public var signalEnergy: Double
    public var results: [FormatAccuracy]
    /// Formats that could not take this tensor, with the reason (e.g. the block does not divide K).
    public var skipped: [FormatSkip]

    public init(
        name: String, shape: [Int], rows: Int, cols: Int, elementCount: Int, storedType: String, source: String,
        originalBytes: Int, signalEnergy: Double, results: [FormatAccuracy], skipped: [FormatSkip]
    ) {
        self.name = name; self.shape = shape; self.rows = rows; self.cols = cols; self.elementCount = elementCount
        self.storedType = storedType; self.source = source; self.originalBytes = originalBytes
        self.signalEnergy = signalEnergy; self.results = results; self.skipped = skipped
    }

    public func result(_ format: WeightFormat) -> FormatAccuracy? { results.first { $0.format == format } }
}

/// The error of one format on one tensor.
public struct FormatAccuracy: Codable, Sendable, Equatable {
    public var format: WeightFormat
    /// Exact storage of this tensor in this format (data, scales, zero points) x 8 / elements.
    public var bitsPerWeight: Double
    public var bytes: Int
    /// Σ(x - x̂)² (Double).
    public var noiseEnergy: Double
    public var metrics: ErrorMetrics

    public init(format: WeightFormat, bitsPerWeight: Double, bytes: Int, noiseEnergy: Double, metrics: ErrorMetrics) {
        self.format = format; self.bitsPerWeight = bitsPerWeight; self.bytes = bytes
        self.noiseEnergy = noiseEnergy; self.metrics = metrics
    }
}

public struct FormatSkip: Codable, Sendable, Equatable {
    public var format: WeightFormat
    public var reason: String
    public init(format: WeightFormat, reason: String) { self.format = format; self.reason = reason }
}

public struct SkippedTensor: Codable, Sendable, Equatable {
    /// Why a tensor is left out of the analysis.
    public enum Kind: String, Codable, Sendable {
        /// 1-D (norms, biases), a vector stored as 2-D, or more than two dimensions.
        case notMatrix = "not_matrix"
        /// An integer dtype, or a ggml type with no dequantizer here.
        case unsupportedType = "unsupported_type"
        /// The source values contain NaN or infinity.
        case nonFinite = "non_finite"
    }

    public var name: String
    public var shape: [Int]
    public var storedType: String
    public var kind: Kind
    public var reason: String

    public init(name: String, shape: [Int], storedType: String, kind: Kind, reason: String) {
        self.name = name; self.shape = shape; self.storedType = storedType; self.kind = kind; self.reason = reason
    }
}

/// One format over every tensor it could take, weighted by tensor size.
public struct FormatSummary: Codable, Sendable, Equatable {
    public var format: WeightFormat
    /// Tensors this format was applied to, and those it skipped (block does not divide K).
    public var tensors: Int
    public var skippedTensors: Int
    /// Elements covered, and their share of all analysed matrix elements.
    public var elements: Int
    public var coverage: Double
    /// Σ bytes x 8 / Σ elements over the covered tensors.
    public var bitsPerWeight: Double
    /// Σ bytes of the covered tensors in this format.
    public var quantizedBytes: Int
    /// The whole model with the covered tensors in this format and every other tensor as stored.
    public var modelBytes: Int
    /// 10 log10(Σ signal / Σ noise) over the covered tensors (energies summed, not dB averaged).
    public var sqnrDb: Double
    /// Σ nᵢ nmseᵢ / Σ nᵢ: element-weighted mean of the per-tensor NMSE.
    public var nmse: Double
    /// Σ nᵢ cosᵢ / Σ nᵢ: element-weighted mean of the per-tensor cosine similarity.
    public var meanCosine: Double
    public var signalEnergy: Double
    public var noiseEnergy: Double

    public init(
        format: WeightFormat, tensors: Int, skippedTensors: Int, elements: Int, coverage: Double,
        bitsPerWeight: Double, quantizedBytes: Int, modelBytes: Int, sqnrDb: Double, nmse: Double,
        meanCosine: Double, signalEnergy: Double, noiseEnergy: Double
    ) {
        self.format = format; self.tensors = tensors; self.skippedTensors = skippedTensors; self.elements = elements
        self.coverage = coverage; self.bitsPerWeight = bitsPerWeight; self.quantizedBytes = quantizedBytes
        self.modelBytes = modelBytes; self.sqnrDb = sqnrDb; self.nmse = nmse; self.meanCosine = meanCosine
        self.signalEnergy = signalEnergy; self.noiseEnergy = noiseEnergy
    }
}

/// Per-tensor symmetric int8 (the post-training calibrated case) with each clipping method.
public struct CalibrationSection: Codable, Sendable, Equatable {
    /// "i8_per_tensor": q = clamp(round_half_away(x / (T/127)), -127, 127).
    public var scheme: String = "i8_per_tensor"
    public var options: CalibrationOptions
    /// The `--calibration-tensors` limit: the N largest analysed tensors are calibrated.
    public var limit: Int
    public var tensors: [TensorCalibration]
    /// Per method over the calibrated tensors, weighted like `FormatSummary`.
    public var summary: [CalibrationMethodSummary]

    public init(
        options: CalibrationOptions, limit: Int, tensors: [TensorCalibration], summary: [CalibrationMethodSummary]
    ) {
        self.options = options; self.limit = limit; self.tensors = tensors; self.summary = summary
    }
}

public struct TensorCalibration: Codable, Sendable, Equatable {
    public var name: String
    public var elementCount: Int
    public var signalEnergy: Double
    public var results: [CalibrationResult]

    public init(name: String, elementCount: Int, signalEnergy: Double, results: [CalibrationResult]) {
        self.name = name; self.elementCount = elementCount; self.signalEnergy = signalEnergy; self.results = results
    }
}

public struct CalibrationMethodSummary: Codable, Sendable, Equatable {
    public var method: CalibrationMethod
    public var sqnrDb: Double
    public var nmse: Double
    public var meanCosine: Double

    public init(method: CalibrationMethod, sqnrDb: Double, nmse: Double, meanCosine: Double) {
        self.method = method; self.sqnrDb = sqnrDb; self.nmse = nmse; self.meanCosine = meanCosine
    }
}

/// What `--write` saved.
public struct WrittenModel: Codable, Sendable, Equatable {
    public var path: String
    public var format: WeightFormat
    public var bytes: Int
    /// 2-D matrices stored in `format`.
    public var quantizedTensors: Int
    /// Tensors written as they were (type kept), each with why.
    public var copiedTensors: [CopiedTensor]
    /// Tensors GGUF cannot hold (e.g. safetensors U8, more than four dimensions), left out.
    public var omittedTensors: [CopiedTensor]

    public init(
        path: String, format: WeightFormat, bytes: Int, quantizedTensors: Int, copiedTensors: [CopiedTensor],
        omittedTensors: [CopiedTensor]
    ) {
        self.path = path; self.format = format; self.bytes = bytes; self.quantizedTensors = quantizedTensors
        self.copiedTensors = copiedTensors; self.omittedTensors = omittedTensors
    }
}

public struct CopiedTensor: Codable, Sendable, Equatable {
    public var name: String
    /// The GGUF type written (or the stored type, for omitted tensors).
    public var type: String
    public var reason: String

    public init(name: String, type: String, reason: String) { self.name = name; self.type = type; self.reason = reason }
}
