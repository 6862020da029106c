// `qbench run`: probe -> plan -> verify every variant (isolated) -> roofline -> benchmark -> energy ->
// estimates -> accuracy -> report. Each phase is a method so its inputs and outputs stay visible.
import Foundation
import QBenchSupport
import QBenchFormats
import QBenchModelFiles
import QBenchDevice
import QBenchKernels
import QBenchHarness
import QBenchProfiles
import QBenchReport
import QBenchLLM

/// What `qbench run` was asked to do.
public struct RunOptions: Sendable {
    public var profile: String
    public var modelFile: URL?
    public var outDir: URL
    public var maxISA: String?
    public var variants: [String]?
    public var formats: [String]?
    public var threads: [ThreadCount]?
    public var quick: Bool
    public var tdpWatts: Double?
    /// One thread per PU instead of one per core.
    public var perPU: Bool
    /// `--dispatch`: `static` (the plan a function of CPU features), `measured` (this device's `qbench tune` file)
    /// or a dispatch file; it picks the variant timed on every shape (the representative shapes time them all) and
    /// the one the model run uses.
    public var dispatch: String
    /// The command line recorded in the report (`run.provenance.command_line`).
    public var commandLine: [String]

    public init(
        profile: String = "default", modelFile: URL? = nil, outDir: URL, maxISA: String? = nil,
        variants: [String]? = nil, formats: [String]? = nil, threads: [ThreadCount]? = nil, quick: Bool = false,
        tdpWatts: Double? = nil, perPU: Bool = false, dispatch: String = "static",
        commandLine: [String] = CommandLine.arguments
    ) {
        self.profile = profile; self.modelFile = modelFile; self.outDir = outDir; self.maxISA = maxISA
        self.variants = variants; self.formats = formats; self.threads = threads; self.quick = quick
        self.tdpWatts = tdpWatts; self.perPU = perPU; self.dispatch = dispatch; self.commandLine = commandLine
    }
}

/// A finished (or interrupted) run and where its report went.
public struct RunOutcome: Sendable {
    public var report: Report
    /// nil when the run was interrupted before anything was measured (nothing is written then), or when the
    /// write failed (`writeError`).
    public var reportURL: URL?
    /// Why the report could not be written (a full disk); the summary is still printed.
    public var writeError: QBError?

    public init(report: Report, reportURL: URL?, writeError: QBError? = nil) {
        self.report = report; self.reportURL = reportURL; self.writeError = writeError
    }
}

public final class RunPipeline {
    let options: RunOptions
    let progress: ProgressReporter?
    let interrupt: InterruptFlag?
    let log: (String) -> Void
    let registry = KernelRegistry.builtIn
    /// The live hwloc placer (pinning and NUMA placement), nil when hwloc could not load this machine.
    var placer: ThreadPlacer?
    /// Measures how busy the machine is before and after the run (`run.provenance`); nil skips it.
    public var machineProbe: MachineActivityProbe? = MachineActivityProbe()

    public init(
        options: RunOptions, progress: ProgressReporter?, interrupt: InterruptFlag?,
        log: @escaping (String) -> Void
    ) {
        self.options = options; self.progress = progress; self.interrupt = interrupt; self.log = log
    }

    /// Resolves the profile: a name or file, or derived from a GGUF header (`--model`).
    /// - Throws: `QBError` naming the profile, model file or flag that is wrong.
    public static func resolveProfile(_ options: RunOptions) throws -> (RunProfile, String) {
        let loaded = try ProfileLoader.resolve(options.profile)
        var profile = loaded.profile
        var source = loaded.source
        if let model = options.modelFile {
            let gguf = try GGUFFile(path: model.path)
            let derived = try ModelProfile.fromGGUF(
                gguf, name: model.deletingPathExtension().lastPathComponent,
                source: "GGUF header of \(model.path) (\(gguf.architecture ?? "?"))")
            profile.models = [derived]
            source += " + model \(model.path)"
        }
        // Command-line overrides are merged first and the merged profile is validated once, so a bad value gives
        // the same message from a profile key or from its flag (which the message then names).
        var flags: [String: String] = [:]
        if let f = options.formats { profile.formats = f; flags["formats"] = "--formats" }
        if let t = options.threads { profile.threads = t; flags["threads"] = "--threads" }
        for p in profile.problems() {
            let key = String(p.key.prefix { $0 != "[" && $0 != "." })
            if let flag = flags[key] { throw QBError.badOption(flag: flag, message: p.message) }
            throw QBError.badInput(path: source, message: "\(p.key): \(p.message)")
        }
        return (profile, source)
    }

    public func run() throws -> RunOutcome {
        let started = RunInfo.timestamp()
        let machineAtStart = machineProbe?.snapshot()
        let device = try DeviceProbe.probe()
        // 1. Plan: everything that can be refused is refused here, before any measuring.
        // The plan file is read before RunPlan checks (and creates) the output folder: a refused run leaves nothing.
        let measured = try MeasuredDispatch.forOption(options.dispatch, deviceID: device.id)
        let p = try RunPlan.make(options: options, registry: registry, device: device)
        let spin = try EnvironmentSetting.integer(
            "QBENCH_POOL_SPIN_US", default: 1_000,
            range: 0...KernelThreadPool.maxSpinMicros)
        let pools = makePools(threadCounts: p.threadCounts, spinMicros: spin)
        let injected = try InjectedSlowdown.fromEnvironment()
        if let injected {
            log("qbench run: warning: \(InjectedSlowdown.variable)=\(injected.text): timings are slowed")
        }
        note(
            "qbench run: profile \(p.profile.name) (\(p.profileSource)), "
                + "formats \(p.profile.formats.joined(separator: " ")), "
                + "threads \(p.threadCounts.map(String.init).joined(separator: ","))\(options.quick ? ", quick" : "")")
        for w in p.warnings { log("qbench run: warning: \(w)") }

        // 2. Verify every variant; 3. the roofline, energy meter and timer.
        let (kernelRows, verified) = verify(plan: p.plan, features: Set(device.cpu.features))
        // A model the forward pass runs is checked (shapes, tokenizer, text) before anything is measured.
        let llm = try llmRunner(plan: p, device: device, verified: verified, dispatch: measured)
        let roofline = RooflineMeasurer.measure(
            device: device, pools: pools, quick: options.quick, progress: progress,
            interrupt: interrupt)
        let energyChoice = EnergyMeters.select(
            .live(
                cpuModel: device.cpu.model, cores: max(1, device.topology.cores),
                tdpOverrideWatts: options.tdpWatts))
        let resolution = ClockResolution.measure(MonotonicClock())

        // 4. Benchmarks; 5. estimates; 6. accuracy.
        let results = try benchmark(
            profile: p.profile, formats: p.kernelFormats, pools: pools, device: device,
            plan: p.plan, verified: verified, roofline: roofline, timing: p.timing,
            energy: energyChoice.meter, resolution: resolution, injected: injected, dispatch: measured?.plan)
        let estimates = RunEstimates.make(plan: p, results: results, energySource: energyChoice.info.source)
        let accuracy = try RunAccuracy.measure(
            profile: p.profile, formats: p.profile.formats, quick: options.quick,
            interrupt: interrupt, progress: progress)
        var llmResults: [LLMResult]?
        if let llm, interrupt?.isRaised != true {
            progress?.begin(phase: "llm", total: llm.stepCount)
            do {
                llmResults = try llm.run(meter: energyChoice.meter, interrupt: interrupt) { step in
                    if let progress { progress.step(step) } else { log("qbench run: llm: \(step)") }
                }
            } catch QBError.interrupted(_, _) {
                llmResults = nil
            } catch {
                // The kernel results are kept: a model that cannot run end to end costs its section, not the report.
                log("qbench run: warning: llm: \(error); the report has no llm section")
                llmResults = nil
            }
            progress?.finish()
        }
        let machineAtEnd = machineProbe?.snapshot()
        // Warnings about the figures (validity is not changed by them).
        let late = RunWarnings.busyMachine(start: machineAtStart, end: machineAtEnd) + RunWarnings.aboveCeiling(results)
        for w in late { log("qbench run: warning: \(w)") }
        let warnings = p.warnings + late

        // 7. Assemble and write.
        let interrupted = interrupt?.isRaised == true
        var run = RunInfo(
            startedAt: started, finishedAt: RunInfo.timestamp(), profile: p.profile.name,
            profileSource: p.profileSource, quick: options.quick, interrupted: interrupted,
            timerResolutionNs: resolution.resolutionNs)
        run.warnings = warnings.isEmpty ? nil : warnings
        run.injected = injected.map { "\(InjectedSlowdown.variable)=\($0.text)" }
        run.dispatch = measured.map { "measured \($0.path)" } ?? "static"
        run.provenance = RunProvenance(
            commandLine: options.commandLine, timing: p.timing, gate: p.profile.gate,
            machineAtStart: machineAtStart, machineAtEnd: machineAtEnd)
        var report = Report(
            run: run, device: device, energy: energyChoice.info, kernels: kernelRows, results: results,
            roofline: roofline, accuracy: accuracy, estimates: estimates,
            validity: RunAssembly.validity(results: results, interrupted: interrupted))
        report.dispatchCheck = DispatchCheck.compare(plan: p.plan, results: results)
        report.llm = llmResults
        if interrupted && results.isEmpty { return RunOutcome(report: report, reportURL: nil) }
        // A report that cannot be written still leaves the summary to print: the caller says where nothing went.
        do {
            return RunOutcome(report: report, reportURL: try RunAssembly.write(report, to: options.outDir))
        } catch let e as QBError {
            return RunOutcome(report: report, reportURL: nil, writeError: e)
        }
    }

    /// The short model run of `--model` (pp128, tg32, KLD over 1,024 tokens of the built-in text, each capped at the
    /// model's context) at the run's largest thread count, for the profile's formats the forward pass has kernels
    /// for; nil without `--model`, or when its architecture is not one `qbench llm` runs (the run then measures the
    /// model's shapes only, as before).
    func llmRunner(
        plan p: RunPlan, device: DeviceProfile, verified: Set<KernelVariant>,
        dispatch: (plan: MeasuredDispatch, path: String)? = nil
    ) throws -> LLMRunner? {
        guard let url = options.modelFile else { return nil }
        let file = try GGUFFile(path: url.path)
        guard LLMRunner.supports(file) else {
            log(
                "qbench run: \(url.path): architecture \(file.architecture ?? "?") is not one qbench llm runs "
                    + "(\(LLMArchitecture.allCases.map(\.rawValue).joined(separator: ", "))); no measured tokens/s")
            return nil
        }
        // The reference holds every weight in f32 and each format a copy of the matrices: a model whose f32
        // weights take more than 40 % of the memory would not fit beside a quantized copy and the run.
        let params = file.tensors.reduce(0) { $0 + $1.elementCount }
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        if Double(params) * 4 > 0.4 * memory {
            log(
                "qbench run: llm: \(url.path) needs about \(String(format: "%.1f", Double(params) * 6 / 1e9)) GB for "
                    + "its f32 reference and a quantized copy, more than this machine's "
                    + "\(String(format: "%.1f", memory / 1e9)) GB allow; no measured tokens/s (shapes only)")
            return nil
        }
        let context = try LLMConfig(gguf: file).contextLength
        let chunk = min(512, context)
        let formats = p.profile.formats.compactMap(WeightFormat.init(rawValue:))
        // Accuracy needs the model's tokenizer; a file without one is timed only.
        let hasTokenizer = file.metadata["tokenizer.ggml.model"] != nil
        if !hasTokenizer { log("qbench run: llm: \(url.path) has no tokenizer: speed only, no KLD") }
        let runner = try LLMRunner(
            options: LLMRunOptions(
                model: url.path, formats: formats, threads: [p.threadCounts.max() ?? 1],
                promptLengths: [min(128, context)], genLengths: [min(32, context)],
                repetitions: options.quick ? 2 : 3,
                text: hasTokenizer ? (LLMBuiltInText.text, LLMBuiltInText.name) : nil, chunkSize: chunk,
                chunks: max(1, 1024 / chunk),
                outputF32: false, dispatch: dispatch),
            device: device, verified: verified)
        for s in runner.skipped { log("qbench run: llm: skipped \(s)") }
        return runner
    }

    /// One pinned pool per thread count (hwloc placement when this machine's topology loads).
    func makePools(threadCounts: [Int], spinMicros: Int) -> [KernelThreadPool] {
        let placer = try? ThreadPlacer.live()
        self.placer = placer
        let granularity: PlacementGranularity = options.perPU ? .pu : .core
        let slots = placer?.slots(granularity) ?? []
        return threadCounts.map { t in
            KernelThreadPool(
                threads: t,
                placement: placer.map { p in
                    { @Sendable i in try? p.pinCurrentThread(index: i, granularity: granularity) }
                }, nodes: slots.count >= t ? slots.prefix(t).map(\.numaNodeOSIndex) : [], spinMicros: spinMicros)
        }
    }

    /// A line that goes with the progress (silent under `--progress none`), or to the log without a reporter.
    func note(_ line: String) {
        if let progress { progress.note(line) } else { log(line) }
    }

    // MARK: verification

    /// Verifies every variant in the registry (each in a crash-isolated canary first).
    /// - Returns: the report rows and the verified variants.
    func verify(
        plan: DispatchPlan, features: Set<CPUFeature>
    )
        -> ([KernelRow], Set<KernelVariant>)
    {
        // Every variant of this binary is verified, not only the profile's formats: it is cheap (small shapes) and
        // it makes the report a complete compatibility matrix for the device.
        let todo = registry.variants
        var rows: [KernelRow] = []
        var ok = Set<KernelVariant>()
        progress?.begin(phase: "verify", total: todo.count)
        for v in todo {
            progress?.step(v.key)
            if interrupt?.isRaised == true {
                rows.append(
                    KernelRow(
                        op: v.op, weightFormat: v.triple.cWeightFormat, activationFormat: v.activationFormat.rawValue,
                        variant: v.variant.rawValue, status: .unverified, detail: "run interrupted before verification")
                )
                continue
            }
            if let row = plan.row(v.triple),
                let ex = row.excluded.first(where: { $0.variant == v.variant && $0.reason == "limit" })
            {
                rows.append(
                    KernelRow(
                        op: v.op, weightFormat: v.triple.cWeightFormat, activationFormat: v.activationFormat.rawValue,
                        variant: v.variant.rawValue, status: .unverified,
                        detail: "excluded by \(ex.detail.joined(separator: " "))"))
                continue
            }
            let r = KernelVerifier.verify(v, features: features, registry: registry)
            if r.status == .verified { ok.insert(v) }
            rows.append(Self.row(r))
        }
        progress?.finish()
        return (rows, ok)
    }

    static func row(_ r: KernelVerification) -> KernelRow {
        var verification: Verification?
        if let check = r.check {
            verification = Verification(
                method: check == "nmse" ? .nmse : .bitExact, elements: r.elementsCompared,
                mismatches: r.mismatchedOutputs ?? 0, nmse: r.nmse, tolerance: r.nmseBound,
                maxAbsErr: r.maxAbsErr, worstOutputError: r.worstOutputError, outputTolerance: r.outputBound)
        }
        // The report row spells the kernel as the C registry does (a quantize_row's weight format is its activation
        // format) and tells how activations are handled.
        let handling = r.activationFormat == .f32 || r.activationFormat == .bf16 ? "static" : "dynamic"
        let activation = r.op == .quantizeRow ? r.activationFormat.rawValue : "\(r.activationFormat)/\(handling)"
        return KernelRow(
            op: r.op, weightFormat: r.weightFormat?.rawValue ?? r.activationFormat.rawValue,
            activationFormat: activation, variant: r.variant.rawValue,
            status: r.status, missingFeatures: r.missingFeatures?.map(\.rawValue), signal: r.signal,
            verification: verification, detail: r.detail)
    }

    // MARK: benchmarks

    /// The verified variants for (op, weight format), best first by the architecture's preference.
    func candidates(
        op: KernelOp, weightFormat: WeightFormat, verified: Set<KernelVariant>, device: DeviceProfile
    ) -> [KernelVariant] {
        ranked(
            verified.filter { $0.op == op && $0.weightFormat == weightFormat }, FormatFamily(weightFormat), op, device)
    }

    /// The verified quantize_row variants writing `activationFormat`, best first.
    func quantizers(
        for activationFormat: ActivationFormat, verified: Set<KernelVariant>, device: DeviceProfile
    ) -> [KernelVariant] {
        ranked(
            verified.filter { $0.op == .quantizeRow && $0.activationFormat == activationFormat },
            FormatFamily(activationFormat), .quantizeRow, device)
    }

    private func ranked(
        _ vs: Set<KernelVariant>, _ family: FormatFamily?, _ op: KernelOp, _ device: DeviceProfile
    ) -> [KernelVariant] {
        let pref = KernelDispatch.preference(
            family: family, op: op, arch: device.cpu.arch, sveVectorBits: device.cpu.sveVectorBits)
        return vs.sorted { a, b in
            let ia = pref.firstIndex(of: a.variant) ?? Int.max, ib = pref.firstIndex(of: b.variant) ?? Int.max
            return ia != ib ? ia < ib : a.activationFormat.rawValue < b.activationFormat.rawValue
        }
    }

    /// A variant whose operands and bench take longer than this to prepare (the 8B model's f32 lm-head gemv: 14 s
    /// here, a third of a round's preparation) is measured in the first of a profile's `rounds` only, in one go
    /// with the whole result's limits, rather than prepared again for every round; so is a slow body, one that
    /// gets a sample floor (`Sampler.sampleFloor`).
    static let maxRepeatedSetupNs: UInt64 = 3_000_000_000

    /// The results measured again, once each, in one go at the end of the run: those whose measurement is not valid
    /// (`Validity`), unless interrupted, at most a tenth of the results (at least 4), in run order. A slow spell on a
    /// shared host can slow one round of a result's samples and leave its median imprecise; minutes later it is
    /// measured again. The retake stands in the row whether it is valid or not, with the first attempt kept in it
    /// (`FirstAttempt`), so a result whose samples really are noisy stays marked.
    static func retakes(_ runs: [(key: String, run: SampleRun)], limits: ValidityLimits) -> Set<String> {
        let budget = max(4, runs.count / 10)
        let keys = runs.filter { $0.run.stopReason != .interrupted && !Validity.evaluate($0.run, limits: limits).valid }
            .prefix(budget).map(\.key)
        return Set(keys)
    }

    func benchmark(
        profile: RunProfile, formats: [String], pools: [KernelThreadPool], device: DeviceProfile,
        plan: DispatchPlan, verified: Set<KernelVariant>, roofline: RooflineSection, timing: TimingProfile,
        energy: any EnergyMeter, resolution: ClockResolution, injected: InjectedSlowdown? = nil,
        dispatch: MeasuredDispatch? = nil
    ) throws -> [ResultRow] {
        let shapes = profile.distinctShapes().filter { profile.ops.contains($0.op.rawValue) }
        // One representative shape per op (the largest per-layer one of the first model) also runs every other
        // verified variant, so the matrix compares variants without multiplying the run time by their number.
        var representative: [KernelOp: MatmulShape] = [:]
        if let first = profile.models.first {
            for s in first.prefillShapes(promptLength: profile.promptLength) + first.decodeShapes()
            where s.projection != .lmHead {
                if let cur = representative[s.op],
                    Double(cur.outputs) * Double(cur.k) >= Double(s.shape.outputs) * Double(s.shape.k)
                {
                    continue
                }
                representative[s.op] = s.shape
            }
        }
        struct Job { var op: KernelOp; var shape: MatmulShape; var format: String; var variants: [KernelVariant] }
        let maxThreads = pools.map(\.threadCount).max() ?? 1
        var jobs: [Job] = []
        for (op, shape) in shapes {
            for f in formats {
                guard let w = WeightFormat(rawValue: f) else { continue }
                var c = candidates(op: op, weightFormat: w, verified: verified, device: device)
                // A measured plan's choice (at the run's largest thread count) goes first; it is one of the
                // verified candidates or it is not used.
                let chosen = { (v: KernelVariant) in
                    let a = v.activationFormat.rawValue
                    return dispatch?.variant(op: op, weightFormat: f, activationFormat: a, threads: maxThreads)
                        == v.variant.rawValue
                }
                if let i = c.firstIndex(where: chosen) { c.insert(c.remove(at: i), at: 0) }
                guard let best = c.first else { continue }
                // The scalar reference is in the comparison only where it finishes in reasonable time (it runs
                // at a few GOP/s; a prefill gemm of a 7B projection would take minutes).
                let extra =
                    representative[op] == shape ? c.filter { $0.variant != .scalar || shape.ops <= 2e9 } : [best]
                jobs.append(
                    Job(op: op, shape: shape, format: f, variants: extra.contains(best) ? extra : [best] + extra))
            }
        }
        // Decode runs in each of the profile's cache states (cold by default); prefill reuses weights: warm.
        let states: (KernelOp) -> [CacheState] = { $0 == .gemv ? profile.resolvedCacheStates : [.warm] }
        // Each result is measured in `rounds` rounds over the whole list (SamplingRound): its operands and benches
        // are prepared again each round, its samples and adjacent ceilings accumulate, and its row is built once
        // the last round (or an interrupt) has ended, from all of them.
        let rounds = max(1, timing.roundCount)
        let perRound = jobs.reduce(0) { $0 + $1.variants.count * pools.count * states($1.op).count }
        progress?.begin(phase: "benchmark", total: perRound * rounds)
        let sampler = Sampler(limits: timing.samplingLimits, resolution: resolution, interrupt: interrupt)
        var laterRounds = sampler
        laterRounds.limits.warmupIterations = 0
        let adjacent = AdjacentCeilings(
            features: Set(device.cpu.features), roofline: roofline, quick: options.quick,
            topology: device.topology)
        let coldBytes = RooflineMeasurer.coldBytes(topology: device.topology, quick: options.quick)
        // What a result has gathered over its rounds.
        struct Unit {
            var op: KernelOp, format: String, variant: KernelVariant, shape: MatmulShape, threads: Int, id: String
            var run: SampleRun? = nil
            var firstAttempt: FirstAttempt? = nil
            var around: [Double] = [], l2Around: [Double] = []
            var placement = "", family = "", bytesPerCall = 0.0, opsPerCall = 0.0
            var bound: RooflineBound? = nil, instruction = ""
        }
        var units: [String: Unit] = [:]
        var order: [String] = []
        // Variants (per job) whose preparation is too slow to repeat: measured in the first round only, in one go.
        var oneRound = Set<String>()
        let arenas = ColdArenas()
        // After the rounds, one more pass retakes the results that are not valid (`RunPipeline.retakes`).
        var retakeKeys = Set<String>()
        roundLoop: for r in 1...(rounds + 1) {
            let retaking = r > rounds
            if retaking {
                if interrupt?.isRaised == true { break }
                progress?.finish()
                retakeKeys = RunPipeline.retakes(
                    order.compactMap { k in units[k]?.run.map { (k, $0) } }, limits: timing.validityLimits)
                if retakeKeys.isEmpty { break }
                progress?.begin(phase: "retake", total: retakeKeys.count)
            }
            let retakeIDs = Set(retakeKeys.compactMap { units[$0]?.id })
            let round = SamplingRound(index: min(r, rounds), of: rounds)
            var seed: UInt64 = 1  // the same operands every round
            for job in jobs {
                for v in job.variants {
                    if interrupt?.isRaised == true { break roundLoop }
                    seed &+= 1
                    let id = "\(job.op) \(job.format) \(job.shape) \(v.key)"
                    if retaking, !retakeIDs.contains(id) { continue }
                    if r > 1, !retaking, oneRound.contains(id) {
                        for _ in 0..<(states(job.op).count * pools.count) {
                            progress?.step("\(job.op) \(job.format) \(job.shape) \(v.variant) (round 1 only)")
                        }
                        continue
                    }
                    let setupStart = MonotonicClock().nowNs()
                    let operands: KernelOperands
                    do {
                        guard let w = v.weightFormat else { continue }  // candidates() returns matrix variants only
                        operands = try KernelOperands(
                            weightFormat: w, activationFormat: v.activationFormat,
                            outputs: job.shape.outputs, k: job.shape.k, tokens: job.shape.tokens, seed: seed,
                            registry: registry)
                    } catch {
                        if r == 1 { log("qbench run: skipped \(v.key) \(job.shape): \(error)") }
                        continue
                    }
                    let quantizer = quantizers(for: v.activationFormat, verified: verified, device: device).first
                    let keyOf = { (state: CacheState, pool: KernelThreadPool) in
                        ResultKey.make(
                            op: job.op, weightFormat: job.format, shape: job.shape, threads: pool.threadCount,
                            variant: v.variant.rawValue, cacheState: state,
                            activationFormat: v.activationFormat.rawValue)
                    }
                    var decided = false
                    for state in states(job.op) {
                        // A retake prepares only the benches of the results it measures again.
                        if retaking, !pools.contains(where: { retakeKeys.contains(keyOf(state, $0)) }) { continue }
                        let cold = state == .cold
                        let bench: KernelBench
                        do {
                            let kernel = try PreparedKernel(variant: v, operands: operands, registry: registry)
                            bench = try KernelBench(
                                kernel: kernel, coldBytes: cold ? coldBytes : nil,
                                quantizer: v.activationFormat == .f32 ? nil : quantizer, registry: registry,
                                arenas: arenas)
                        } catch {
                            if r == 1 { log("qbench run: skipped \(v.key) \(job.shape): \(error)") }
                            continue
                        }
                        // Decided once, before the variant's first result samples: its other results then agree.
                        if r == 1, rounds > 1, !decided,
                            MonotonicClock().nowNs() &- setupStart > RunPipeline.maxRepeatedSetupNs
                        {
                            oneRound.insert(id)
                        }
                        for pool in pools {
                            if interrupt?.isRaised == true { break roundLoop }
                            let key = keyOf(state, pool)
                            if retaking, !retakeKeys.contains(key) { continue }
                            progress?.step(
                                "\(job.op) \(job.format) \(job.shape) \(v.variant) "
                                    + "t\(pool.threadCount)\(cold ? " cold" : "")"
                                    + (retaking ? " (retake)" : rounds > 1 ? " (round \(r)/\(rounds))" : "")
                            )
                            var unit: Unit
                            if let u = units[key] {
                                unit = u
                            } else {
                                unit = Unit(
                                    op: job.op, format: job.format, variant: v, shape: job.shape,
                                    threads: pool.threadCount, id: id)
                                order.append(key)
                            }
                            if retaking, let first = unit.run {
                                // Set aside whole (kept in the row); the retake starts afresh, ceilings included.
                                unit.firstAttempt = FirstAttempt(first, limits: timing.validityLimits)
                                unit.run = nil
                                unit.around = []
                                unit.l2Around = []
                            }
                            unit.placement = bench.placeWeights(pool: pool, placer: placer).description
                            // One untimed call (page faults, caches), a timed one for the batch size; later rounds
                            // keep the first round's batch size and warm up with one call (the sampler's
                            // `warmup_iterations` are for the first round).
                            let clock = MonotonicClock()
                            bench.call(pool: pool)
                            let inner: Int
                            if let earlier = unit.run {
                                inner = earlier.iterationsPerSample
                            } else {
                                let t0 = clock.nowNs()
                                bench.call(pool: pool)
                                let single = clock.nowNs() &- t0
                                inner = Sampler.iterationsPerSample(singleCallNs: single)
                                // A slow body (the scalar reference gemms, 0.1-0.5 s a call) has a few samples in
                                // all; split over rounds, one slow spell sets the width of its median's interval.
                                if r == 1, rounds > 1, !decided,
                                    Sampler.sampleFloor(firstSampleNs: single, limits: timing.samplingLimits) != nil
                                {
                                    oneRound.insert(id)
                                }
                            }
                            decided = true
                            let round = retaking || oneRound.contains(id) ? SamplingRound.only : round
                            unit.family = RooflineMeasurer.family(weightFormat: v.weightFormat, variant: v.variant)
                            // The ceiling again, right before and right after the samples (see AdjacentCeiling).
                            let probe = adjacent.probe(family: unit.family, bench: bench, pool: pool)
                            let reps = options.quick || rounds > 1 ? 1 : 2
                            unit.around += probe?.measure(pool, reps) ?? []
                            unit.l2Around += probe?.cacheRead?(pool, reps) ?? []
                            var call: () -> Void = { bench.call(pool: pool) }
                            if let slow = injected, slow.matches(key) {
                                let reference = InjectedSlowdown.reference { bench.call(pool: pool) }
                                call = slow.slowed(call, referenceNs: reference)
                            }
                            unit.run = (r == 1 || retaking ? sampler : laterRounds).run(
                                cacheState: state, iterationsPerSample: inner, energyMeter: energy,
                                resuming: unit.run, round: round, call)
                            unit.around += probe?.measure(pool, reps) ?? []
                            unit.l2Around += probe?.cacheRead?(pool, reps) ?? []
                            unit.bytesPerCall = bench.bytesPerCall
                            unit.opsPerCall = bench.opsPerCall
                            if let probe { unit.bound = probe.bound; unit.instruction = probe.instruction }
                            units[key] = unit
                        }
                    }
                }
            }
        }
        var rows: [ResultRow] = []
        for key in order {
            guard let u = units[key], let run = u.run else { continue }
            var row = ResultRow.make(
                op: u.op, weightFormat: u.format, activationFormat: u.variant.activationFormat.rawValue,
                variant: u.variant.variant.rawValue, shape: u.shape, threads: u.threads, run: run,
                bytesPerCall: u.bytesPerCall, opsPerCall: u.opsPerCall,
                ceilings: roofline.ceilings(family: u.family, threads: u.threads), limits: timing.validityLimits)
            row.weightPlacement = u.placement
            row.firstAttempt = u.firstAttempt
            let runL2 = roofline.bandwidth.first { $0.level == "l2" && $0.threads == u.threads }?.gbPerS ?? 0
            if let bound = u.bound {
                row.adjacent = AdjacentCeilings.ceiling(
                    bound: bound, instruction: u.instruction, for: row, around: u.around, l2Around: u.l2Around,
                    runL2: runL2)
            }
            rows.append(row)
        }
        progress?.finish()
        let retaken = rows.filter { $0.firstAttempt != nil }
        if !retaken.isEmpty {
            note(
                "qbench run: measured \(retaken.count) result(s) again whose first measurement was not valid; "
                    + "\(retaken.filter(\.validity.valid).count) valid now (first attempts kept in the report)")
        }
        return rows
    }
}

/// Re-measures a result's ceiling next to its samples: the read loop over the weight copies a cold kernel streams
/// (memory-bound results) or the peak loop its roofline ceiling came from (compute-bound results).
struct AdjacentCeilings {
    let read: ReadKernel?
    let peaks: [PeakKernel]
    let roofline: RooflineSection
    let quick: Bool

    /// Per-thread L2 working set (half the L2, as the roofline's sweep), 0 when hwloc shows no L2.
    let l2BytesPerThread: Int

    init(features: Set<CPUFeature>, roofline: RooflineSection, quick: Bool, topology: Topology) {
        read = LimitKernels.bestRead(features: features)
        peaks = LimitKernels.runnablePeaks(features: features)
        self.roofline = roofline
        self.quick = quick
        l2BytesPerThread =
            RooflineMeasurer.workingSets(topology: topology, threads: 1, quick: quick)
            .first { $0.level == "l2" }?.bytesPerThread ?? 0
    }

    struct Probe {
        let bound: RooflineBound
        let instruction: String
        /// `n` repetitions on the pool, each a value in GB/s or GOP/s.
        let measure: (KernelThreadPool, Int) -> [Double]
        /// Compute-bound probes: `n` L2 read repetitions (GB/s), the cache-disturbance indicator.
        var cacheRead: ((KernelThreadPool, Int) -> [Double])? = nil
    }

    /// The adjacent ceiling of `row` from the values a probe of `bound` measured around its samples (medians),
    /// against the run's L2 read ceiling `runL2`; nil when nothing was measured or the row's roofline bound is
    /// another.
    static func ceiling(
        bound: RooflineBound, instruction: String, for row: ResultRow, around: [Double], l2Around: [Double],
        runL2: Double
    ) -> AdjacentCeiling? {
        guard let value = Statistics.median(sorted: around.sorted()), row.roofline?.bound == bound else {
            return nil
        }
        let achieved = bound == .memory ? row.throughput.gbPerS : row.throughput.gopPerS
        var c = AdjacentCeiling(
            ceiling: bound == .memory ? "dram_read" : "peak", instruction: instruction,
            value: value, unit: bound == .memory ? "GB/s" : "GOP/s", repetitions: around.count,
            fraction: value > 0 ? achieved / value : 0)
        if let l2 = Statistics.median(sorted: l2Around.sorted()) {
            c.l2ReadGbPerS = l2
            c.l2ReadVsRun = runL2 > 0 ? l2 / runL2 : nil
        }
        return c
    }

    /// What to measure for a result of `family` run by `bench` on `pool`: its memory ceiling when the bench
    /// rotates cold copies, else the peak loop that set its family's compute ceiling at this thread count.
    func probe(family: String, bench: KernelBench, pool: KernelThreadPool) -> Probe? {
        let threads = pool.threadCount
        let dram = roofline.bandwidth.first { $0.level == "dram" && $0.threads == threads }?.gbPerS ?? 0
        let best = roofline.peaks.filter { $0.family == family && $0.threads == threads }.max {
            $0.gopPerS < $1.gopPerS
        }
        guard let best else { return nil }
        // The bound the roofline will give this result: compare its intensity with the ridge point.
        let intensity = bench.opsPerCall / max(1, bench.bytesPerCall)
        let memoryBound = dram > 0 && intensity * dram < best.gopPerS
        if memoryBound {
            guard let read, let slices = bench.rotatedSlices(threads: threads) else { return nil }
            return Probe(bound: .memory, instruction: read.instruction) { pool, n in
                (0..<n).map { _ in LimitKernels.measureRead(read, slices: slices, pool: pool).gbPerS }
            }
        }
        guard
            let k = peaks.first(where: {
                RooflineMeasurer.family(peakKind: $0.kind) == family && $0.variant == best.variant
            })
        else { return nil }
        // About 15 ms (4 ms quick) per repetition at the roofline's rate.
        let perIter = k.opsPerIteration * Double(threads) / max(1e-9, best.gopPerS)  // ns per iteration
        let iters = UInt64(max(1_000, (quick ? 4e6 : 15e6) / max(perIter, 1e-3)))
        var probe = Probe(bound: .compute, instruction: k.instruction) { pool, n in
            (0..<n).map { _ in LimitKernels.measurePeak(k, pool: pool, iterations: iters).gopPerS }
        }
        if let read, l2BytesPerThread >= 4096,
            let buffers = try? LimitKernels.ReadBuffers(bytesPerThread: l2BytesPerThread, threads: threads)
        {
            // About 64 MB per repetition, as the roofline's sweep.
            let passes = max(1, (64 << 20) / max(1, buffers.bytesPerThread * threads))
            probe.cacheRead = { pool, n in
                _ = LimitKernels.measureRead(read, buffers: buffers, pool: pool, passes: 1)  // bring it into L2
                return (0..<n).map { _ in
                    LimitKernels.measureRead(read, buffers: buffers, pool: pool, passes: passes).0.gbPerS
                }
            }
        }
        return probe
    }
}
