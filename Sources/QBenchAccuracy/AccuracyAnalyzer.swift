// Runs the accuracy analysis: for every selected 2-D weight matrix, quantize with each format's reference
// quantizer, dequantize, and measure the error against the source values; then the per-format summaries,
// the int8 calibration methods on the largest tensors, and the mixed-precision plan.
import Dispatch
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchHarness

public enum AccuracyAnalyzer {
    /// Analyses `model` as `options` say.
    /// - Parameter progress: receives one step per analysed tensor.
    /// - Throws: `QBError.badOption` for a bad `--tensors` pattern or one that selects nothing; errors of
    ///   the quantizers (none expected for finite input, which is checked first).
    public static func analyze(
        _ model: AccuracyModel, options: AccuracyOptions,
        progress: ProgressReporter? = nil, interrupt: InterruptFlag? = nil
    ) throws -> AccuracyReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let pattern = try options.compiledPattern()
        let selected = model.tensors.filter { pattern?.finds(in: $0.name) ?? true }
        if let p = options.tensorPattern, selected.isEmpty {
            throw QBError.badOption(
                flag: "--tensors",
                message: "'\(p)' matches none of the \(model.tensors.count) "
                    + "tensors in \(model.path)")
        }
        guard !options.formats.isEmpty else {
            throw QBError.badOption(flag: "--formats", message: "no formats to evaluate")
        }
        let threads = max(1, options.threads)

        var skippedTensors: [SkippedTensor] = []
        var matrices: [AccuracySourceTensor] = []
        for t in selected {
            if case .unsupported(let reason) = t.source {
                skippedTensors.append(
                    .init(
                        name: t.name, shape: t.shape, storedType: t.storedType, kind: .unsupportedType,
                        reason: reason))
            } else if !t.isMatrix {
                skippedTensors.append(
                    .init(
                        name: t.name, shape: t.shape, storedType: t.storedType, kind: .notMatrix,
                        reason: t.shape.count < 2
                            ? "\(t.shape.count)-D (norm, bias or scalar)"
                            : t.shape.count == 2
                                ? "a vector stored as 2-D \(t.shape)"
                                : "\(t.shape.count)-D, not a weight matrix"))
            } else {
                matrices.append(t)
            }
        }
        // The N largest matrices get the calibration methods (ties: file order).
        let calibrated = Set(
            matrices.enumerated()
                .sorted {
                    $0.element.elementCount != $1.element.elementCount
                        ? $0.element.elementCount > $1.element.elementCount : $0.offset < $1.offset
                }
                .prefix(max(0, options.calibrationTensors)).map(\.element.name))

        // Refused before any progress line: nothing to analyse is one line on stderr.
        if matrices.isEmpty {
            let why =
                model.tensors.isEmpty
                ? "the file holds no tensors"
                : "none of the \(selected.count) tensors is a weight matrix (2-D, both sides > 1)"
            throw QBError.badInput(path: model.path, message: "nothing to analyse: \(why)")
        }
        // Progress starts with the first tensor that can be measured, so a model whose matrices are all
        // non-finite ends in its one error line with nothing printed before it; tensors skipped before that
        // point get their progress steps then, so the count stays right.
        var pendingSteps: [String] = []
        var begun = false
        defer { if begun { progress?.finish() } }
        var rows: [TensorAccuracy] = []
        var calibrations: [TensorCalibration] = []
        for t in matrices {
            try interrupt?.check(what: "the analysis")
            if begun { progress?.step(t.name) } else { pendingSteps.append(t.name) }
            let values = try t.values(threads: threads)
            if let bad = values.withUnsafeBufferPointer({ WeightFormat.firstNonFinite($0) }) {
                skippedTensors.append(
                    .init(
                        name: t.name, shape: t.shape, storedType: t.storedType, kind: .nonFinite,
                        reason: "value \(values[bad]) at index \(bad) is not finite"))
                continue
            }
            if !begun {
                begun = true
                progress?.begin(phase: "accuracy", total: matrices.count)
                for name in pendingSteps { progress?.step(name) }
            }
            let signal = energy(values)
            let cal = calibrated.contains(t.name) ? CalibrationMethod.allCases : []
            let (results, skipped, calResults) = try run(
                values, rows: t.rows, cols: t.cols, formats: options.formats,
                calibration: cal, calibrationOptions: options.calibration,
                threads: threads)
            rows.append(
                TensorAccuracy(
                    name: t.name, shape: t.shape, rows: t.rows, cols: t.cols, elementCount: t.elementCount,
                    storedType: t.storedType, source: t.source.description, originalBytes: t.byteCount,
                    signalEnergy: signal, results: results, skipped: skipped))
            if !cal.isEmpty {
                calibrations.append(
                    TensorCalibration(
                        name: t.name, elementCount: t.elementCount, signalEnergy: signal,
                        results: calResults))
            }
        }

        let summary = AccuracySummary.summarize(options.formats, tensors: rows, modelBytes: model.tensorBytes)
        let calibration =
            options.calibrationTensors > 0 && !calibrations.isEmpty
            ? CalibrationSection(
                options: options.calibration, limit: options.calibrationTensors, tensors: calibrations,
                summary: AccuracySummary.summarize(calibration: calibrations))
            : nil
        // Nothing measured is an error, not a table of nan: no tensor at all, no weight matrix, or only
        // non-finite ones.
        if rows.isEmpty {
            throw QBError.badInput(
                path: model.path, message: "nothing to analyse: every weight matrix holds non-finite values")
        }
        let plan = options.budgetBits.map { budget in
            MixedPrecisionPlanner.plan(
                rows.map { MixedPrecisionTensor($0, candidates: options.formats) }, budgetBits: budget)
        }
        let info = ModelInfo(
            path: model.path, container: model.container, tensorCount: model.tensors.count,
            parameterCount: model.parameterCount, tensorBytes: model.tensorBytes,
            selectedTensors: selected.count, matrixTensors: rows.count,
            matrixElements: rows.reduce(0) { $0 + $1.elementCount })
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return AccuracyReport(
            model: info, formats: options.formats, tensorFilter: options.tensorPattern,
            notes: notes(rows: rows, skipped: skippedTensors, formats: options.formats),
            tensors: rows, skippedTensors: skippedTensors, summary: summary, calibration: calibration,
            mixedPrecision: plan, elapsedSeconds: elapsed)
    }

    /// Why `format` cannot take rows of `cols` elements, or nil when it can.
    public static func skipReason(_ format: WeightFormat, cols: Int) -> String? {
        cols % format.blockSize == 0
            ? nil
            : "\(format.rawValue) needs K % \(format.blockSize) == 0 (K = \(cols))"
    }

    /// The error of each format on a row-major `rows x cols` matrix. Formats run concurrently, `threads`
    /// at a time (each quantizer gets the threads left over when there are fewer formats than threads).
    public static func measure(
        _ x: [Float], rows: Int, cols: Int, formats: [WeightFormat],
        threads: Int
    ) throws -> (results: [FormatAccuracy], skipped: [FormatSkip]) {
        let r = try run(
            x, rows: rows, cols: cols, formats: formats, calibration: [], calibrationOptions: CalibrationOptions(),
            threads: threads)
        return (r.results, r.skipped)
    }

    /// Every format and calibration method on one tensor, as one pool of jobs so that a slow method (the
    /// mse search makes ~120 passes) overlaps the formats instead of running after them. Calibration jobs
    /// start first, being the longest.
    static func run(
        _ x: [Float], rows: Int, cols: Int, formats: [WeightFormat], calibration methods: [CalibrationMethod],
        calibrationOptions: CalibrationOptions, threads: Int
    )
        throws -> (results: [FormatAccuracy], skipped: [FormatSkip], calibration: [CalibrationResult])
    {
        var skipped: [FormatSkip] = []
        var runnable: [WeightFormat] = []
        for f in formats {
            if let reason = skipReason(f, cols: cols) {
                skipped.append(FormatSkip(format: f, reason: reason))
            } else {
                runnable.append(f)
            }
        }
        let order = methods.sorted { ($0 == .mse ? 0 : 1) < ($1 == .mse ? 0 : 1) }
        let jobs = order.count + runnable.count
        let workers = max(1, min(threads, jobs))
        let inner = max(1, threads / workers)
        let formatSlots = ResultSlots<FormatAccuracy>(count: runnable.count)
        let calibrationSlots = ResultSlots<CalibrationResult>(count: order.count)
        try concurrently(jobs, workers: workers) { i in
            if i < order.count {
                calibrationSlots.set(i, try Calibration.calibrate(x, method: order[i], options: calibrationOptions))
                return
            }
            let j = i - order.count
            let f = runnable[j]
            let q = try f.quantize(x, rows: rows, k: cols, threads: inner)
            let y = q.dequantize(threads: inner)
            let m = try ErrorMetrics.compute(original: x, reconstructed: y)
            formatSlots.set(
                j,
                FormatAccuracy(
                    format: f, bitsPerWeight: Double(q.byteCount) * 8 / Double(rows * cols),
                    bytes: q.byteCount, noiseEnergy: noiseEnergy(x, y), metrics: m))
        }
        let done = calibrationSlots.values.compactMap { $0 }
        let calibration = methods.compactMap { m in done.first { $0.method == m } }
        return (formatSlots.values.compactMap { $0 }, skipped, calibration)
    }

    static func energy(_ x: [Float]) -> Double {
        var s = 0.0
        for v in x { s += Double(v) * Double(v) }
        return s
    }

    static func noiseEnergy(_ x: [Float], _ y: [Float]) -> Double {
        var s = 0.0
        for i in 0..<min(x.count, y.count) {
            let e = Double(x[i]) - Double(y[i])
            s += e * e
        }
        return s
    }

    static func notes(rows: [TensorAccuracy], skipped: [SkippedTensor], formats: [WeightFormat]) -> [String] {
        var notes: [String] = []
        let dequantized = rows.filter { $0.source.hasPrefix("dequantized") }
        if !dequantized.isEmpty {
            let types = Set(dequantized.map(\.storedType)).sorted().joined(separator: ", ")
            notes.append(
                "\(dequantized.count) of \(rows.count) analysed tensors are stored quantized (\(types)): their source "
                    + "values are the dequantized weights, so each error is that of re-quantizing them, "
                    + "not the distance from the original float model")
        }
        for kind in [SkippedTensor.Kind.notMatrix, .unsupportedType, .nonFinite] {
            let n = skipped.filter { $0.kind == kind }.count
            guard n > 0 else { continue }
            switch kind {
            case .notMatrix:
                notes.append("\(n) tensors are not 2-D weight matrices (norms, biases, vectors) and were skipped")
            case .unsupportedType:
                let types = Set(skipped.filter { $0.kind == kind }.map(\.storedType)).sorted().joined(separator: ", ")
                notes.append("\(n) tensors have no float view (\(types)) and were skipped")
            case .nonFinite: notes.append("\(n) tensors contain NaN or infinity and were skipped")
            }
        }
        for f in formats {
            let n = rows.filter { t in t.skipped.contains { $0.format == f } }.count
            if n > 0 {
                notes.append(
                    "\(f.rawValue) skipped on \(n) of \(rows.count) tensors whose row length K is not a multiple "
                        + "of \(f.blockSize); its summary covers the rest")
            }
        }
        return notes
    }
}

/// Fixed slots written from concurrent workers, one writer per index.
final class ResultSlots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [T?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); storage[i] = v; lock.unlock() }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// Runs `body(0..<n)` on `workers` threads pulling indices in order; rethrows the first error (the
/// remaining items are then not started).
func concurrently(_ n: Int, workers: Int, _ body: (Int) throws -> Void) throws {
    guard n > 0 else { return }
    let w = max(1, min(workers, n))
    if w == 1 {
        for i in 0..<n { try body(i) }
        return
    }
    final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var error: Error?
    }
    let shared = Shared()
    try withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: w) { _ in
            while true {
                shared.lock.lock()
                let i = shared.next
                shared.next += 1
                let stop = shared.error != nil
                shared.lock.unlock()
                if stop || i >= n { return }
                do {
                    try body(i)
                } catch {
                    shared.lock.lock()
                    if shared.error == nil { shared.error = error }
                    shared.lock.unlock()
                }
            }
        }
        if let e = shared.error { throw e }
    }
}
