// Verification: a variant is trusted only after (1) its features are present, (2) a canary ran it in a child
// process without crashing, (3) its outputs match scalar on shapes with ragged edges: bit-exact for integer
// paths; for float paths within the entry's NMSE bound (default 5e-4, test-backend-ops' bound) AND every output
// within its per-output bound relative to sum_k |w*x| (default 1e-5).
import Foundation
import QBenchDevice
import QBenchFormats

// `KernelStatus` is the report's enum (Reports/KernelRow.swift): one spelling for every status.

/// One verification row.
public struct KernelVerification: Codable, Sendable, Equatable {
    public var op: KernelOp
    /// nil for quantize_row (see `KernelVariant.weightFormat`).
    public var weightFormat: WeightFormat?
    public var activationFormat: ActivationFormat
    public var variant: KernelVariantName
    public var status: KernelStatus
    /// unsupported: the features the device lacks.
    public var missingFeatures: [CPUFeature]?
    /// crashed: the signal name (SIGILL, SIGSEGV, ...).
    public var signal: String?
    /// `exact` or `nmse`, when outputs were compared.
    public var check: String?
    public var bitExact: Bool?
    /// Outputs differing from scalar (exact checks), summed over shapes.
    public var mismatchedOutputs: Int?
    /// Worst NMSE over the shapes, and the bound it had to meet (nmse checks).
    public var nmse: Double?
    public var nmseBound: Double?
    public var maxAbsErr: Double?
    /// Worst |y - ref| / sum_k |w*x| over the outputs, and the per-output bound it had to meet (float checks).
    public var worstOutputError: Double?
    public var outputBound: Double?
    /// Shapes compared, `outputs x k x tokens` (`1xK` for quantize_row).
    public var shapes: [String]
    /// Output elements compared over the matrix shapes (0 for quantize_row).
    public var elementsCompared = 0
    public var detail: String?

    init(_ v: KernelVariant, _ status: KernelStatus) {
        op = v.op; weightFormat = v.weightFormat; activationFormat = v.activationFormat; variant = v.variant
        self.status = status; shapes = []
    }
}

/// A verification shape, on the one axis naming (see KernelOperands); printed `outputs x k x tokens` as reports
/// have always shown it.
public struct VerificationShape: Codable, Sendable, Equatable, CustomStringConvertible {
    public var outputs: Int, k: Int, tokens: Int
    public init(outputs: Int, k: Int, tokens: Int) { self.outputs = outputs; self.k = k; self.tokens = tokens }
    public var description: String { "\(outputs)x\(k)x\(tokens)" }
    /// Output elements compared.
    public var elements: Int { outputs * tokens }
}

/// One float output compared with its reference: mean and per-output figures (see `KernelTolerance.float`).
public struct FloatComparison: Sendable, Equatable {
    /// sum((y - ref)^2) / sum(ref^2); infinity for a NaN where the reference has none.
    public var nmse = 0.0
    public var maxAbsErr = 0.0
    /// Worst |y - ref| / scale over the outputs (infinity for a NaN output), and where it was.
    public var worstRelative = 0.0
    public var worstIndex = 0
    public var bitMismatches = 0

    /// - Parameters:
    ///   - scale: each output's sum_k |w*x| (`KernelVerifier.absProductSums`); nil leaves `worstRelative` 0.
    public init(reference a: [Float], output b: [Float], scale: [Double]?) {
        precondition(a.count == b.count && (scale == nil || scale!.count == a.count))
        var err = 0.0, ref2 = 0.0
        for j in a.indices {
            if a[j].bitPattern != b[j].bitPattern { bitMismatches += 1 }
            let d = Double(b[j]) - Double(a[j])
            let ad = d.isNaN ? Double.infinity : abs(d)
            err += ad * ad
            ref2 += Double(a[j]) * Double(a[j])
            maxAbsErr = max(maxAbsErr, ad)
            if let scale {
                // 1e-30 keeps an all-zero row (scale 0, both outputs 0) at 0 instead of NaN.
                let rel = ad == 0 ? 0 : ad / max(scale[j], 1e-30)
                if rel > worstRelative { worstRelative = rel; worstIndex = j }
            }
        }
        nmse = ref2 > 0 ? err / ref2 : (err > 0 ? .infinity : 0)
    }
}

public enum KernelVerifier {
    /// Whether to execute variants (live device) or only report what would run (fixture devices, plans).
    public enum Mode: Sendable { case execute, planOnly }

    /// Shapes with ragged edges: M not a multiple of 16 or 32; K not a multiple of the block where the format
    /// allows it (i8_pc, floats), else a few blocks/groups; N = 1 for gemv, 1, 3 and 17 for gemm.
    public static func shapes(for v: KernelVariant) -> [VerificationShape] {
        let g = v.group
        let ks: [Int]
        switch v.weightFormat {
        case .q8_0, .q4_0, .q4_1, .q5_0: ks = [96, 1184]
        case .q4_k, .q5_k, .q6_k: ks = [256, 1280]
        case .i8_pc, .f32, .f16, .bf16: ks = [97, 1003]
        default: ks = g > 0 ? [3 * g, max(1024, 8 * g) + g] : [96]
        }
        let ns = v.op == .gemv ? [1] : [1, 3, 17]
        var out: [VerificationShape] = []
        for (i, k) in ks.enumerated() {
            for n in ns { out.append(VerificationShape(outputs: i == 0 ? 37 : 53, k: k, tokens: n)) }
        }
        return out
    }

    /// Verifies one variant for a device with `features`.
    /// - Parameters:
    ///   - force: run even when features are missing (tests use it to show the SIGILL path).
    ///   - seed: operands seed; the same seed replays the same shapes.
    public static func verify(
        _ v: KernelVariant, features: Set<CPUFeature>, registry: KernelRegistry = .builtIn,
        mode: Mode = .execute, force: Bool = false, seed: UInt64 = 0x5eed,
        timeoutMs: Int = KernelCanary.defaultTimeoutMs
    ) -> KernelVerification {
        var r = KernelVerification(v, .unverified)
        guard registry.entry(v) != nil else { r.status = .notBuilt; return r }
        let miss = v.missing(from: features)
        if !miss.isEmpty && !force {
            r.status = .unsupported
            r.missingFeatures = miss
            return r
        }
        guard mode == .execute else { r.detail = "not executed (plan only)"; return r }
        switch KernelCanary.run(v, registry: registry, timeoutMs: timeoutMs) {
        case .ok: break
        case let .crashed(sig):
            r.status = .crashed
            r.signal = KernelCanary.signalName(sig)
            return r
        case .timeout:
            r.status = .timeout
            r.detail = "canary killed after \(timeoutMs) ms"
            return r
        case let .exited(code):
            r.status = .crashed
            r.detail = "canary exited with status \(code)"
            return r
        case let .notRun(e):
            r.detail = "canary not run: \(String(cString: strerror(e)))"
            return r
        }
        if v.op == .quantizeRow { return verifyQuantize(v, registry: registry, seed: seed, into: r) }
        return verifyMatrix(v, registry: registry, seed: seed, into: r)
    }

    /// Compares a matrix variant with scalar over `shapes(for:)`, splitting rows at an unaligned point so
    /// ragged thread ranges are exercised too.
    static func verifyMatrix(
        _ v: KernelVariant, registry: KernelRegistry, seed: UInt64,
        into base: KernelVerification
    ) -> KernelVerification {
        var r = base
        guard let w = v.weightFormat, let ref = registry.reference(for: v) else {
            r.detail = "no scalar reference for \(v.op) \(v.triple.cWeightFormat) x \(v.activationFormat)"
            return r
        }
        var worstNMSE = 0.0, maxAbs = 0.0, mismatched = 0, worstRel = 0.0
        var worstAt: (VerificationShape, Int)?
        for (i, s) in shapes(for: v).enumerated() {
            r.shapes.append(s.description)
            r.elementsCompared += s.elements
            do {
                let ops = try KernelOperands(
                    weightFormat: w, activationFormat: v.activationFormat,
                    outputs: s.outputs, k: s.k, tokens: s.tokens, seed: seed &+ UInt64(i), registry: registry)
                let want = try PreparedKernel(variant: ref, operands: ops, registry: registry)
                want.run(rows: 0..<s.outputs)
                let got = try PreparedKernel(variant: v, operands: ops, registry: registry, ldyPad: 5)
                got.poisonOutput()
                let cut = 13  // not a multiple of any tile
                got.run(rows: 0..<cut)
                got.run(rows: cut..<s.outputs)
                guard got.paddingIntact() else {
                    r.status = .mismatch
                    r.detail = "wrote outside its rows at \(s)"
                    return r
                }
                let cmp = FloatComparison(reference: want.y, output: got.y, scale: Self.absProductSums(ops))
                mismatched += cmp.bitMismatches
                maxAbs = max(maxAbs, cmp.maxAbsErr)
                worstNMSE = max(worstNMSE, cmp.nmse)
                if cmp.worstRelative > worstRel { worstRel = cmp.worstRelative; worstAt = (s, cmp.worstIndex) }
            } catch {
                r.status = .mismatch
                r.detail = "\(s): \(error)"
                return r
            }
        }
        r.maxAbsErr = maxAbs
        switch v.tolerance {
        case .exact:
            r.check = "exact"
            r.bitExact = mismatched == 0
            r.mismatchedOutputs = mismatched
            r.status = mismatched == 0 ? .verified : .mismatch
        case let .float(bound, perOutput):
            r.check = "nmse"
            r.nmse = worstNMSE
            r.nmseBound = bound
            r.worstOutputError = worstRel
            r.outputBound = perOutput
            r.bitExact = mismatched == 0
            r.status = worstNMSE <= bound && worstRel <= perOutput ? .verified : .mismatch
            if worstRel > perOutput, let (s, i) = worstAt {
                r.detail =
                    "output \(i % s.outputs) of token \(i / s.outputs) at \(s) is off by \(sci(worstRel)) of "
                    + "sum|w*x| (per-output bound \(sci(perOutput)))"
            } else if worstNMSE > bound {
                r.detail = "nmse \(sci(worstNMSE)) above its bound \(sci(bound))"
            }
        }
        return r
    }

    /// sum_k |w[m][k] * x[n][k]| for every output (index n * outputs + m), from the operands' weight and
    /// activation bytes decoded here with Swift's own conversions (`Float16`, bf16 as the top half of an f32), not
    /// the C helpers the kernels share. Nil for formats other than f32 / f16 / bf16 weights with f32 / bf16
    /// activations.
    public static func absProductSums(_ ops: KernelOperands) -> [Double]? {
        // The float element types the verifier decodes itself; any other format has no scale (compared exactly).
        enum Element: String {
            case f32, f16, bf16
            func value(_ row: UnsafeRawPointer, _ i: Int) -> Double {
                switch self {
                case .f32: return Double(Float(bitPattern: row.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case .f16: return Double(Float16(bitPattern: row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                case .bf16:
                    let h = row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                    return Double(Float(bitPattern: UInt32(h) << 16))
                }
            }
        }
        guard let we = Element(rawValue: ops.weightFormat.rawValue),
            let xe = Element(rawValue: ops.activationFormat.rawValue)
        else { return nil }
        let M = ops.outputs, K = ops.k, N = ops.tokens
        let w = UnsafeRawPointer(ops.weights.pointer), x = UnsafeRawPointer(ops.activations.pointer)
        let wabs = (0..<M).flatMap { m in (0..<K).map { abs(we.value(w + m * ops.weightStride, $0)) } }
        let xabs = (0..<N).flatMap { n in (0..<K).map { abs(xe.value(x + n * ops.activationStride, $0)) } }
        var out = [Double](repeating: 0, count: M * N)
        for n in 0..<N {
            for m in 0..<M {
                var s = 0.0
                for k in 0..<K { s += wabs[m * K + k] * xabs[n * K + k] }
                out[n * M + m] = s
            }
        }
        return out
    }

    /// quantize_row variants must produce the scalar bytes, scales and sums exactly.
    static func verifyQuantize(
        _ v: KernelVariant, registry: KernelRegistry, seed: UInt64,
        into base: KernelVerification
    ) -> KernelVerification {
        var r = base
        guard
            let ref = registry.reference(for: v),
            let fe = registry.entry(ref)?.pointee.quant, let ge = registry.entry(v)?.pointee.quant
        else {
            r.detail = "no scalar quantize_row for \(v.activationFormat)"
            return r
        }
        var rng = KernelRNG(seed: seed)
        var mismatched = 0
        // 40, 1000 and 300: a partial last block (q8_0/q8_1 blocks of 32; q8_k super-blocks of 256)
        let ks = v.activationFormat == .q8_k ? [256, 300, 1000, 1280] : [32, 40, 96, 1000, 1184]
        let af = v.activationFormat
        for K in ks {
            r.shapes.append("1x\(K)")
            var x = (0..<K).map { _ in rng.float(-3, 3) }
            x[K / 2] = 0.5  // an exact tie for roundf at some scale is likely; keep a value on a half step
            // room for every block the routine writes (a partial last block is written whole)
            let blocks = (K + af.blockSize - 1) / af.blockSize
            let bytes = max(K * 4, blocks * af.blockBytes) + 64, group = K % 32 == 0 ? 32 : 0
            var a = [UInt8](repeating: 0, count: bytes), b = a
            var sa: Float = 0, sb: Float = 0
            var suma = [Int32](repeating: 0, count: max(1, K / 32)), sumb = suma
            x.withUnsafeBufferPointer { xp in
                fe(xp.baseAddress, &a, &sa, &suma, Int32(group), Int32(K))
                ge(xp.baseAddress, &b, &sb, &sumb, Int32(group), Int32(K))
            }
            mismatched +=
                zip(a, b).filter { $0 != $1 }.count + (sa.bitPattern == sb.bitPattern ? 0 : 1)
                + zip(suma, sumb).filter { $0 != $1 }.count
        }
        r.check = "exact"
        r.bitExact = mismatched == 0
        r.mismatchedOutputs = mismatched
        r.status = mismatched == 0 ? .verified : .mismatch
        return r
    }

    /// Verifies every variant of the registry for a device; variants are independent, so a crash or
    /// mismatch in one never stops the others.
    public static func verifyAll(
        features: Set<CPUFeature>, registry: KernelRegistry = .builtIn,
        mode: Mode = .execute
    ) -> [KernelVerification] {
        registry.variants.map { verify($0, features: features, registry: registry, mode: mode) }
    }

    /// Verifies every variant for a device profile. Variants run only when the profile describes this machine
    /// (`source == "live"`); for a replayed fixture (another machine's CPUID or topology) the variants it
    /// qualifies for are `unverified`: built, allowed, but executing them here would prove nothing about it.
    public static func verifyAll(device: DeviceProfile, registry: KernelRegistry = .builtIn) -> [KernelVerification] {
        verifyAll(
            features: Set(device.cpu.features), registry: registry, mode: device.source == "live" ? .execute : .planOnly
        )
    }

    /// `not_built` rows: for each (op, weight, activation) of the registry, the variants of the architecture's
    /// level list this binary does not carry.
    public static func notBuilt(registry: KernelRegistry = .builtIn, arch: String) -> [KernelVerification] {
        var out: [KernelVerification] = []
        for t in registry.triples {
            let have = Set(registry.variants.filter { $0.triple == t }.map(\.variant))
            for name in KernelDispatch.levels(arch: arch) where !have.contains(name) {
                let v = KernelVariant(
                    op: t.op, weightFormat: t.weightFormat, activationFormat: t.activationFormat,
                    variant: name, requires: [], tolerance: .exact)
                out.append(KernelVerification(v, .notBuilt))
            }
        }
        return out
    }
}

private func sci(_ v: Double) -> String { String(format: "%.3g", v) }
