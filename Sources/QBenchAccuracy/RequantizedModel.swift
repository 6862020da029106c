// `qbench accuracy --write`: the model with its 2-D weight matrices re-quantized to one ggml format, saved as
// GGUF. Everything else is copied in its stored type, so the file differs from the input only where the
// analysis says it does.
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchModelFiles
import QBenchHarness

public enum RequantizedModel {
    /// Writes `model` to `url` as GGUF v3, the selected 2-D matrices quantized to `format`.
    ///
    /// - Matrices matching `tensorPattern` (all without one) whose row length fits `format` are quantized
    ///   from their f32 source values (dequantized first when the input is a quantized GGUF).
    /// - Every other tensor is copied in its stored type and bytes: GGUF tensors as they are; safetensors
    ///   F32/F16/BF16/I8/I32/I64/F64 with their shape reversed into ggml order. Safetensors U8 and tensors of
    ///   more than four dimensions have no GGUF form and are left out (listed in the result).
    /// - GGUF metadata is carried over, except `general.file_type` (it would describe the old types);
    ///   `general.quantized_by` names qbench. A safetensors input yields tensors and those keys only, not a
    ///   file llama.cpp can run (it has no architecture or tokenizer metadata).
    /// - The file is written atomically; an existing file is replaced only when `overwrite` is true.
    /// - `progress` gets one step per tensor of the model.
    /// - Throws: `QBError.badOption` for a format GGUF cannot store; `QBError.io` when `url` exists and
    ///   `overwrite` is false, or it cannot be written; errors of the GGUF writer (e.g. a name over 63 bytes).
    public static func write(
        _ model: AccuracyModel, format: WeightFormat, to url: URL, tensorPattern: String? = nil,
        overwrite: Bool = false, threads: Int = 1,
        progress: ProgressReporter? = nil,
        interrupt: InterruptFlag? = nil
    ) throws -> WrittenModel {
        guard let ggml = format.ggmlType else {
            throw QBError.badOption(
                flag: "--write-format",
                message: "\(format.rawValue) has no GGUF type; use one of "
                    + WeightFormat.allCases.filter { $0.ggmlType != nil }.map(\.rawValue).joined(separator: " "))
        }
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw QBError.io(path: url.path, message: "already exists; pass --force to replace it")
        }
        let pattern = try AccuracyOptions(tensorPattern: tensorPattern).compiledPattern()
        var w = try GGUFWriter(alignment: model.gguf?.alignment ?? GGUFFile.defaultAlignment)
        if let g = model.gguf {
            for e in g.metadata.entries
            where !["general.alignment", "general.file_type", "general.quantized_by"].contains(e.key) {
                try w.add(e.key, e.value)
            }
        }
        try w.add(
            "general.quantized_by", .string("qbench \(QBenchVersion.string) accuracy --write-format \(format.rawValue)")
        )
        if ggml.isQuantized, model.gguf?.metadata["general.quantization_version"] == nil {
            try w.add("general.quantization_version", .uint32(2))
        }

        var quantized = 0
        var copied: [CopiedTensor] = []
        var omitted: [CopiedTensor] = []
        progress?.begin(phase: "write", total: model.tensors.count)
        defer { progress?.finish() }
        for t in model.tensors {
            try interrupt?.check(what: "the re-quantized model")
            progress?.step(t.name)
            let selected = pattern?.finds(in: t.name) ?? true
            var reason: String?
            if !selected {
                reason = "not selected by --tensors"
            } else if !t.isMatrix {
                reason = "not a 2-D weight matrix"
            } else if case .unsupported(let why) = t.source {
                reason = why
            } else if let why = AccuracyAnalyzer.skipReason(format, cols: t.cols) {
                reason = why
            }
            if reason == nil {
                let values = try t.values(threads: threads)
                if let bad = values.withUnsafeBufferPointer({ WeightFormat.firstNonFinite($0) }), format != .f32,
                    format != .f16, format != .bf16
                {
                    reason = "value \(values[bad]) at index \(bad) is not finite"
                } else {
                    let q = try format.quantize(values, rows: t.rows, k: t.cols, threads: threads)
                    try w.addTensor(name: t.name, shape: [t.cols, t.rows], type: ggml, bytes: Data(q.data))
                    quantized += 1
                    continue
                }
            }
            let why = reason ?? ""
            switch t.backing {
            case .gguf(let g):
                try w.addTensor(name: t.name, shape: g.shape, type: g.type, bytes: g.withUnsafeBytes { Data($0) })
                copied.append(CopiedTensor(name: t.name, type: g.type.name, reason: why))
            case .safetensors(let s):
                guard let type = ggmlType(s.dtype), s.shape.count <= GGUFFile.maxDimensions else {
                    omitted.append(
                        CopiedTensor(
                            name: t.name, type: s.dtype.rawValue,
                            reason: s.shape.count > GGUFFile.maxDimensions
                                ? "\(s.shape.count) dimensions; GGUF allows at most 4"
                                : "\(s.dtype.rawValue) has no GGUF type"))
                    continue
                }
                try w.addTensor(
                    name: t.name, shape: Array(s.shape.reversed()), type: type, bytes: s.withUnsafeBytes { Data($0) })
                copied.append(CopiedTensor(name: t.name, type: type.name, reason: why))
            }
        }
        let data = try w.encoded()
        // Without `overwrite` the file is published with a no-replace link: a file that appeared meanwhile (another
        // writer) is kept and this write fails, instead of both "succeeding".
        try AtomicFile.write(data, to: url, replace: overwrite)
        return WrittenModel(
            path: url.path, format: format, bytes: data.count, quantizedTensors: quantized,
            copiedTensors: copied, omittedTensors: omitted)
    }

    static func ggmlType(_ d: SafetensorsDType) -> GGMLType? {
        switch d {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .i8: return .i8
        case .i32: return .i32
        case .i64: return .i64
        case .f64: return .f64
        case .u8: return nil
        }
    }
}
