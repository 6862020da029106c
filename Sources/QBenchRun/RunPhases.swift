// The run as phases, each a small type with its inputs and outputs:
//   plan (RunPlan) -> verify (RunPipeline.verify) -> roofline (RooflineMeasurer) -> benchmark (RunPipeline.benchmark)
//   -> estimate (RunEstimates) -> accuracy (RunAccuracy) -> assemble (RunAssembly).
// RunPipeline.run() only sequences them.
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchDevice
import QBenchKernels
import QBenchHarness
import QBenchProfiles
import QBenchReport

/// Phase 1, plan: the merged and validated profile, the device, the dispatch plan, what has a kernel, and the
/// memory the profile implies, all decided before anything is measured.
struct RunPlan {
    let profile: RunProfile
    let profileSource: String
    let timing: TimingProfile
    let device: DeviceProfile
    let threadCounts: [Int]
    let plan: DispatchPlan
    /// Profile formats the registry has matrix kernels for, in profile order.
    let kernelFormats: [String]
    /// Named in the report: formats measured for accuracy only.
    let warnings: [String]
    /// The most memory one benchmark holds at once (weights, their repacked copy, cold copies, activations).
    let peakBytes: Int

    /// - Throws: `QBError` for a bad limit, profile or model file (see `RunPipeline.resolveProfile`), when no
    ///   profile format has a kernel, when the shapes need more memory than the machine has, or when the report
    ///   folder cannot take a file.
    static func make(options: RunOptions, registry: KernelRegistry, device: DeviceProfile) throws -> RunPlan {
        try KernelDispatch.validate(
            DispatchLimits(maxISA: options.maxISA, allowedVariants: options.variants),
            arch: device.cpu.arch)
        let (profile, source) = try RunPipeline.resolveProfile(options)
        let threadCounts = Array(
            Set(
                profile.threads.map {
                    $0.resolve(cores: max(1, device.topology.cores), pus: max(1, device.topology.pus))
                })
        ).sorted()
        let plan = KernelDispatch.plan(
            device: device, registry: registry,
            limits: DispatchLimits(maxISA: options.maxISA, allowedVariants: options.variants))
        // Profiles name formats as text (user input); the registry's are typed.
        let matrixFormats = Set(registry.variants.compactMap { $0.weightFormat?.rawValue })
        let kernelFormats = profile.formats.filter(matrixFormats.contains)
        var warnings: [String] = []
        let accuracyOnly = profile.formats.filter { !matrixFormats.contains($0) }
        if !accuracyOnly.isEmpty {
            warnings.append(
                "no kernel in this build for \(accuracyOnly.joined(separator: ", ")): accuracy only, "
                    + "no throughput or estimates")
        }
        if kernelFormats.isEmpty {
            throw QBError.other(
                "nothing to measure: no format of profile \(profile.name) has a kernel in this build "
                    + "(\(profile.formats.joined(separator: ", "))); formats with kernels: "
                    + matrixFormats.sorted().joined(separator: ", "))
        }
        if profile.distinctShapes().isEmpty {
            throw QBError.other("nothing to measure: profile \(profile.name) has no gemv or gemm shape")
        }
        let cold = RooflineMeasurer.coldBytes(topology: device.topology, quick: options.quick)
        let peak = peakBytes(profile: profile, formats: kernelFormats, coldBytes: cold)
        let memory = Int(clamping: device.memory.totalBytes)
        if memory > 0, peak > memory / 10 * 8 {
            throw QBError.badInput(
                path: source,
                message: "the shapes need \(gib(peak)) GiB at once (weights, their "
                    + "repacked and cold copies, activations), more than 80% of this machine's \(gib(memory)) GiB; "
                    + "check the model dimensions and prompt_length")
        }
        // Found out now, not after minutes of measuring: the report folder takes a file.
        try AtomicFile.checkWritableDirectory(options.outDir)
        return RunPlan(
            profile: profile, profileSource: source, timing: profile.timing(quick: options.quick),
            device: device, threadCounts: threadCounts, plan: plan, kernelFormats: kernelFormats,
            warnings: warnings, peakBytes: peak)
    }

    /// The largest of: per benchmark shape and format, the weights twice (as stored and repacked), the cold
    /// copies of decode weights smaller than `coldBytes`, and the activations and outputs in f32 twice.
    /// Saturating: absurd dimensions give Int.max, not a trap.
    static func peakBytes(profile: RunProfile, formats: [String], coldBytes: Int) -> Int {
        var peak = 0
        for (op, shape) in profile.distinctShapes() {
            for f in formats {
                let format = WeightFormat(rawValue: f)
                let perRow = (try? format?.rowBytes(k: shape.k)) ?? nil
                let weights = mul(shape.outputs, perRow ?? mul(shape.k, 4))
                // KernelBench rotates copies only of weights smaller than `coldBytes`: about that much plus two.
                let copies = op == .gemv && weights < coldBytes ? add(coldBytes, mul(weights, 2)) : 0
                let io = mul(2, mul(4, add(mul(shape.tokens, shape.k), mul(shape.tokens, shape.outputs))))
                peak = max(peak, add(add(mul(weights, 2), copies), io))
            }
        }
        return peak
    }

    private static func mul(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b); return o ? .max : r
    }
    private static func add(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b); return o ? .max : r
    }
    private static func gib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / Double(1 << 30)) }
}

/// Phase 5, estimate: tokens/s per model, kernel format and thread count from the benchmark medians.
enum RunEstimates {
    static func make(plan: RunPlan, results: [ResultRow], energySource: EnergySource?) -> [TokenEstimate] {
        var out: [TokenEstimate] = []
        for model in plan.profile.models {
            for f in plan.kernelFormats {
                for t in plan.threadCounts {
                    var e = Estimates.fromResults(
                        model: model, format: f, threads: t,
                        promptLength: plan.profile.promptLength, results: results)
                    e.energySource = energySource
                    out.append(e)
                }
            }
        }
        return out
    }
}

/// Phase 7, assemble: the report from the phases' outputs, and its unique file name.
enum RunAssembly {
    /// Validity: every result's, plus the run's own reasons (interrupted, nothing measured).
    static func validity(results: [ResultRow], interrupted: Bool) -> Validity {
        var parts = results.map { (label: $0.key, validity: $0.validity) }
        if interrupted {
            parts.append((label: "run", validity: Validity(valid: false, reasons: ["interrupted by the user"])))
        }
        if results.isEmpty {
            parts.append((label: "run", validity: Validity(valid: false, reasons: ["no benchmark was measured"])))
        }
        return Validity.combine(parts)
    }

    /// Writes the report as `qbench-<profile>-<device>-<start>.json` in `dir`, never over another report: two runs
    /// started in the same second get `-2`, `-3`, ... (published with a no-replace link, so even concurrent
    /// runs keep both).
    /// - Throws: `QBError.io` when the folder cannot take the file.
    static func write(_ report: Report, to dir: URL) throws -> URL {
        let stamp = report.run.startedAt.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        let base = "qbench-\(report.run.profile)-\(report.device.id)-\(stamp)"
        let data = try report.encoded()
        for n in 1...1_000 {
            let url = dir.appendingPathComponent(n == 1 ? "\(base).json" : "\(base)-\(n).json")
            do {
                try AtomicFile.write(data, to: url, replace: false)
                return url
            } catch QBError.io(_, let message) where message.hasPrefix("already exists") {
                continue
            }
        }
        throw QBError.io(path: dir.path, message: "1000 reports named \(base)*.json already exist")
    }
}
