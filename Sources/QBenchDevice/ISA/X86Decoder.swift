// x86 decoding as pure functions of captured CPUID registers and XCR0: vendor, brand, signature, hypervisor,
// the features the CPU reports, and which of them the OS has enabled. Bit positions follow the Intel SDM
// (Vol. 2A, CPUID) and Linux arch/x86/include/asm/cpufeatures.h; dependencies follow Linux cpuid-deps.c.
import Foundation

/// XCR0 state-component bits (Intel SDM Vol. 1, 13.1).
public enum X86XCR0 {
    /// SSE (bit 1) and AVX upper halves (bit 2): required by every VEX-encoded instruction.
    public static let avxMask: UInt64 = 0x6
    /// Opmask (bit 5), ZMM_Hi256 (bit 6), Hi16_ZMM (bit 7): required by EVEX-encoded (AVX-512) instructions.
    public static let avx512Mask: UInt64 = 0xE0
    /// XTILECFG (bit 17) and XTILEDATA (bit 18): required by AMX.
    public static let amxTileMask: UInt64 = 0x60000
}

/// The CPUID leaves the decoder looks at, read once through the seam. Absent leaves read as zero, which is
/// what a CPU without them effectively says.
public struct X86CPUIDSnapshot: Equatable, Sendable {
    public var leaf0: CPUIDRegisters = .zero
    public var leaf1: CPUIDRegisters = .zero
    public var leaf7: CPUIDRegisters = .zero
    public var leaf7Sub1: CPUIDRegisters = .zero
    public var leafD: CPUIDRegisters = .zero
    public var leafDSub1: CPUIDRegisters = .zero
    public var ext0: CPUIDRegisters = .zero
    public var ext1: CPUIDRegisters = .zero
    /// Leaves 0x80000002-0x80000004 (brand string), empty when the CPU has none.
    public var brand: [CPUIDRegisters] = []
    /// Leaf 0x40000000, read only when CPUID.1:ECX bit 31 (hypervisor present) is set.
    public var hypervisorLeaf: CPUIDRegisters?

    public init() {}

    /// Reads the leaves, honouring the highest basic and extended leaf (beyond them Intel CPUs return the data
    /// of the highest leaf, which would decode as nonsense).
    public static func read(from reader: HardwareReader) -> X86CPUIDSnapshot {
        var s = X86CPUIDSnapshot()
        func q(_ leaf: UInt32, _ sub: UInt32 = 0) -> CPUIDRegisters { reader.cpuid(leaf: leaf, subleaf: sub) ?? .zero }
        s.leaf0 = q(0)
        let maxBasic = s.leaf0.eax
        if maxBasic >= 1 { s.leaf1 = q(1) }
        if maxBasic >= 7 {
            s.leaf7 = q(7, 0)
            // EAX of sub-leaf 0 is the highest valid sub-leaf of leaf 7.
            if s.leaf7.eax >= 1 { s.leaf7Sub1 = q(7, 1) }
        }
        if maxBasic >= 0xD {
            s.leafD = q(0xD, 0)
            s.leafDSub1 = q(0xD, 1)
        }
        s.ext0 = q(0x8000_0000)
        let maxExt = s.ext0.eax >= 0x8000_0000 ? s.ext0.eax : 0
        if maxExt >= 0x8000_0001 { s.ext1 = q(0x8000_0001) }
        if maxExt >= 0x8000_0004 { s.brand = [q(0x8000_0002), q(0x8000_0003), q(0x8000_0004)] }
        if s.leaf1.ecx & (1 << 31) != 0 { s.hypervisorLeaf = reader.cpuid(leaf: 0x4000_0000, subleaf: 0) }
        return s
    }

    /// CPUID.1:ECX bit 27: the OS has set CR4.OSXSAVE, so XGETBV works and XCR0 means something.
    public var osxsave: Bool { leaf1.ecx & (1 << 27) != 0 }
    /// State components the CPU supports in XCR0 (leaf 0xD sub-leaf 0 EDX:EAX).
    public var supportedXCR0: UInt64 { UInt64(leafD.eax) | UInt64(leafD.edx) << 32 }
}

/// Pure x86 decoding.
public enum X86Decoder {
    /// Where a feature bit lives.
    enum Slot { case l1ecx, l1edx, l7ebx, l7ecx, l7edx, l71eax, l71edx }

    /// Canonical feature -> CPUID bit. Checked against the SDM and Linux cpufeatures.h.
    static let featureBits: [(CPUFeature, Slot, UInt32)] = [
        (.sse2, .l1edx, 26),
        (.ssse3, .l1ecx, 9), (.fma, .l1ecx, 12), (.sse4_1, .l1ecx, 19), (.sse4_2, .l1ecx, 20),
        (.popcnt, .l1ecx, 23), (.avx, .l1ecx, 28), (.f16c, .l1ecx, 29),
        (.avx2, .l7ebx, 5), (.bmi2, .l7ebx, 8), (.avx512f, .l7ebx, 16), (.avx512dq, .l7ebx, 17),
        (.avx512ifma, .l7ebx, 21), (.avx512pf, .l7ebx, 26), (.avx512er, .l7ebx, 27), (.avx512cd, .l7ebx, 28),
        (.avx512bw, .l7ebx, 30), (.avx512vl, .l7ebx, 31),
        (.avx512vbmi, .l7ecx, 1), (.avx512_vbmi2, .l7ecx, 6), (.avx512_vnni, .l7ecx, 11),
        (.amx_bf16, .l7edx, 22), (.avx512_fp16, .l7edx, 23), (.amx_tile, .l7edx, 24), (.amx_int8, .l7edx, 25),
        (.avx_vnni, .l71eax, 4), (.avx512_bf16, .l71eax, 5), (.amx_fp16, .l71eax, 21),
        (.avx_vnni_int8, .l71edx, 4),
    ]

    /// Features that need another feature usable first (Linux cpuid-deps.c, plus the VEX-encoded ones
    /// Linux does not list: f16c needs AVX state, the AVX-VNNI forms extend AVX2, AMX sub-features need tiles).
    static let dependencies: [CPUFeature: CPUFeature] = [
        .avx2: .avx, .fma: .avx, .f16c: .avx, .avx_vnni: .avx2, .avx_vnni_int8: .avx2,
        .avx512f: .avx,
        .avx512bw: .avx512f, .avx512vl: .avx512f, .avx512dq: .avx512f, .avx512cd: .avx512f,
        .avx512vbmi: .avx512f, .avx512ifma: .avx512f, .avx512er: .avx512f, .avx512pf: .avx512f,
        .avx512_vbmi2: .avx512vl, .avx512_vnni: .avx512vl, .avx512_bf16: .avx512vl, .avx512_fp16: .avx512bw,
        .amx_int8: .amx_tile, .amx_bf16: .amx_tile, .amx_fp16: .amx_tile,
    ]

    /// The OS-managed register state a feature's instructions touch.
    enum StateClass { case none, avx, avx512, amx }

    static func stateClass(_ f: CPUFeature) -> StateClass {
        switch f {
        case .avx, .avx2, .fma, .f16c, .avx_vnni, .avx_vnni_int8: return .avx
        case .avx512f, .avx512bw, .avx512vl, .avx512dq, .avx512cd, .avx512vbmi, .avx512_vbmi2, .avx512ifma,
            .avx512er, .avx512pf, .avx512_vnni, .avx512_bf16, .avx512_fp16:
            return .avx512
        case .amx_tile, .amx_int8, .amx_bf16, .amx_fp16: return .amx
        default: return .none
        }
    }

    /// CPU vendor identification string from leaf 0 (EBX, EDX, ECX), e.g. `GenuineIntel`.
    public static func vendor(leaf0: CPUIDRegisters) -> String {
        ascii([leaf0.ebx, leaf0.edx, leaf0.ecx])
    }

    /// The processor brand string from leaves 0x80000002-4 with surrounding blanks removed and inner runs of
    /// blanks collapsed (some Intel parts pad it, e.g. `CPU           X5650  @ 2.67GHz`).
    public static func brand(_ leaves: [CPUIDRegisters]) -> String {
        let raw = ascii(leaves.flatMap { [$0.eax, $0.ebx, $0.ecx, $0.edx] })
        return raw.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// Display family, model and stepping from CPUID.1:EAX, with the SDM's extended rules: the extended family
    /// is added only when the base family is 0xF, the extended model is prepended when the base family is 6 or 0xF.
    public static func signature(eax: UInt32) -> (family: Int, model: Int, stepping: Int) {
        let stepping = Int(eax & 0xF)
        let baseModel = Int((eax >> 4) & 0xF)
        let baseFamily = Int((eax >> 8) & 0xF)
        let extModel = Int((eax >> 16) & 0xF)
        let extFamily = Int((eax >> 20) & 0xFF)
        let family = baseFamily == 0xF ? baseFamily + extFamily : baseFamily
        let model = (baseFamily == 0x6 || baseFamily == 0xF) ? (extModel << 4) + baseModel : baseModel
        return (family, model, stepping)
    }

    /// A readable hypervisor name from the leaf 0x40000000 signature (EBX, ECX, EDX); unknown signatures are
    /// returned as they are, and an empty one as `unknown`.
    public static func hypervisorName(_ leaf: CPUIDRegisters?) -> String {
        guard let leaf else { return "unknown" }
        let sig = ascii([leaf.ebx, leaf.ecx, leaf.edx])
        let known: [String: String] = [
            "KVMKVMKVM": "kvm", "Microsoft Hv": "hyperv", "VMwareVMware": "vmware", "XenVMMXenVMM": "xen",
            "TCGTCGTCGTCG": "qemu-tcg", "VBoxVBoxVBox": "virtualbox", "bhyve bhyve": "bhyve",
            "ACRNACRNACRN": "acrn", "lrpepyh  vr": "parallels", "QNXQVMBSQG": "qnx", "Linux KVM Hv": "kvm-hyperv",
            "SRESRESRESRE": "sre", "EVMMEVMMEVMM": "evmm",
        ]
        let trimmed = sig.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "unknown" }
        return known[trimmed] ?? trimmed
    }

    /// Every canonical feature the CPU reports, regardless of OS support.
    public static func reportedFeatures(_ s: X86CPUIDSnapshot) -> Set<CPUFeature> {
        var out = Set<CPUFeature>()
        for (feature, slot, bit) in featureBits {
            let reg: UInt32
            switch slot {
            case .l1ecx: reg = s.leaf1.ecx
            case .l1edx: reg = s.leaf1.edx
            case .l7ebx: reg = s.leaf7.ebx
            case .l7ecx: reg = s.leaf7.ecx
            case .l7edx: reg = s.leaf7.edx
            case .l71eax: reg = s.leaf7Sub1.eax
            case .l71edx: reg = s.leaf7Sub1.edx
            }
            if reg & (1 << bit) != 0 { out.insert(feature) }
        }
        return out
    }

    /// True when the AMX permission question matters: the CPU reports tiles and XCR0 enables their state.
    public static func needsAMXPermission(reported: Set<CPUFeature>, osxsave: Bool, xcr0: UInt64?) -> Bool {
        guard reported.contains(.amx_tile), osxsave, let x = xcr0 else { return false }
        return x & X86XCR0.amxTileMask == X86XCR0.amxTileMask
    }

    /// Splits the reported features into usable ones and unusable ones with the reason.
    ///
    /// - Parameters:
    ///   - reported: what the CPU reports.
    ///   - osxsave: CPUID.1:ECX bit 27.
    ///   - xcr0: the OS-enabled state components, nil when unknown.
    ///   - amxPermission: the answer to the Linux AMX permission request, nil when it was not asked.
    public static func usability(
        reported: Set<CPUFeature>, osxsave: Bool, xcr0: UInt64?,
        amxPermission: AMXPermission?, xcr0Unknown why: String = "XCR0 could not be read"
    )
        -> (usable: Set<CPUFeature>, unusable: [UnusableFeature])
    {
        var verdict: [CPUFeature: String?] = [:]  // nil reason = usable

        func stateReason(_ f: CPUFeature) -> String? {
            let cls = stateClass(f)
            if cls == .none { return nil }
            guard osxsave else {
                return
                    "OSXSAVE off (CPUID.1:ECX bit 27 clear): the OS has not enabled XSAVE, "
                    + "so no vector state beyond SSE"
            }
            guard let x = xcr0 else { return "\(why), so the OS-enabled state cannot be confirmed" }
            let hex = "0x" + String(x, radix: 16)
            switch cls {
            case .none: return nil
            case .avx:
                if x & X86XCR0.avxMask != X86XCR0.avxMask { return "XCR0 lacks AVX state (bits 1-2): \(hex)" }
            case .avx512:
                if x & X86XCR0.avxMask != X86XCR0.avxMask { return "XCR0 lacks AVX state (bits 1-2): \(hex)" }
                if x & X86XCR0.avx512Mask != X86XCR0.avx512Mask { return "XCR0 lacks AVX-512 state (bits 5-7): \(hex)" }
            case .amx:
                if x & X86XCR0.amxTileMask != X86XCR0.amxTileMask {
                    return "XCR0 lacks AMX tile state (bits 17-18): \(hex)"
                }
                switch amxPermission {
                case .granted?: return nil
                case .refused(let errno)?: return "Linux refused AMX tile data permission: errno \(errno)"
                case .unavailable?:
                    return "this OS has no AMX tile data permission request (Linux arch_prctl ARCH_REQ_XCOMP_PERM)"
                case nil: return "AMX tile data permission was not requested"
                }
            }
            return nil
        }

        func judge(_ f: CPUFeature, depth: Int = 0) -> String? {
            if let known = verdict[f] { return known }
            var reason = stateReason(f)
            if reason == nil, let dep = dependencies[f], depth < 8 {
                if !reported.contains(dep) {
                    reason = "requires \(dep.rawValue), which the CPU does not report"
                } else if judge(dep, depth: depth + 1) != nil {
                    reason = "requires \(dep.rawValue), which is not usable"
                }
            }
            verdict[f] = .some(reason)
            return reason
        }

        var usable = Set<CPUFeature>()
        var unusable: [UnusableFeature] = []
        for f in reported.sorted() {
            if let reason = judge(f) {
                unusable.append(UnusableFeature(name: f, reason: reason))
            } else {
                usable.insert(f)
            }
        }
        return (usable, unusable)
    }

    /// The whole x86 report from captured values.
    public static func decode(
        snapshot s: X86CPUIDSnapshot, xcr0: XCR0Reading?, amxPermission: AMXPermission?,
        sourceLabel: String
    ) -> ISAReport {
        let reported = reportedFeatures(s)
        let sig = signature(eax: s.leaf1.eax)
        let why =
            sourceLabel == "live"
            ? "XCR0 could not be read with xgetbv" : "XCR0 unknown (the dump has no CPUID leaf 0xD)"
        let split = usability(
            reported: reported, osxsave: s.osxsave, xcr0: xcr0?.value,
            amxPermission: amxPermission, xcr0Unknown: why)
        let brandString = brand(s.brand)
        let hv: String? = s.leaf1.ecx & (1 << 31) != 0 ? hypervisorName(s.hypervisorLeaf) : nil
        return ISAReport(
            arch: .x86_64, source: sourceLabel, vendor: vendor(leaf0: s.leaf0),
            model: brandString.isEmpty ? "unknown" : brandString,
            family: s.leaf0.eax >= 1 ? sig.family : nil,
            modelNumber: s.leaf0.eax >= 1 ? sig.model : nil,
            stepping: s.leaf0.eax >= 1 ? sig.stepping : nil,
            hypervisor: hv, reported: reported, usable: split.usable, unusable: split.unusable,
            xcr0: xcr0, sveVectorBits: nil)
    }

    /// Little-endian register bytes as ASCII, stopping at the first NUL.
    static func ascii(_ regs: [UInt32]) -> String {
        var bytes: [UInt8] = []
        for r in regs { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: r >> (8 * UInt32(i)))) } }
        let text = bytes.prefix(while: { $0 != 0 }).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }
        return String(decoding: text, as: UTF8.self)
    }
}
