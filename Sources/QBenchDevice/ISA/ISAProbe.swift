// Entry points of the ISA probe: the live machine, a replayed CPUID dump, or any reader. All three run the
// same decoders; only the reads differ.
import Foundation

public enum ISAProbe {
    /// Probes this machine. On Linux x86 with AMX this also requests AMX tile-data permission for the process,
    /// which is what lets AMX kernels run later.
    public static func live() -> ISAReport { probe(LiveHardwareReader()) }

    /// Replays a hwloc-gather-cpuid dump (a `pu*` file or a folder holding `pu0`).
    ///
    /// - Parameters:
    ///   - dump: the file or folder.
    ///   - xcr0: an XCR0 override (`--xcr0`); nil takes what CPUID leaf 0xD reports as supported.
    /// - Throws: `QBError.badInput` naming the dump when it cannot be read or parsed.
    public static func replay(dump: URL, xcr0: UInt64? = nil) throws -> ISAReport {
        probe(try CPUIDDump.load(dump).reader(xcr0Override: xcr0))
    }

    /// Probes through any reader (live, captured, or a test double).
    public static func probe(_ reader: HardwareReader) -> ISAReport {
        switch reader.arch {
        case .x86_64: return probeX86(reader)
        case .aarch64: return probeARM(reader)
        case .other:
            return ISAReport(
                arch: .other, source: reader.sourceLabel, vendor: "unknown", model: "unknown",
                family: nil, modelNumber: nil, stepping: nil, hypervisor: nil, reported: [],
                usable: [], unusable: [], xcr0: nil, sveVectorBits: nil)
        }
    }

    static func probeX86(_ reader: HardwareReader) -> ISAReport {
        let snapshot = X86CPUIDSnapshot.read(from: reader)
        let xcr0 = snapshot.osxsave ? reader.xcr0() : nil
        let reported = X86Decoder.reportedFeatures(snapshot)
        // Only ask when the answer matters: on Linux the request changes the process (it unlocks AMX).
        let amx: AMXPermission? =
            X86Decoder.needsAMXPermission(
                reported: reported, osxsave: snapshot.osxsave,
                xcr0: xcr0?.value) ? reader.amxPermission() : nil
        return X86Decoder.decode(snapshot: snapshot, xcr0: xcr0, amxPermission: amx, sourceLabel: reader.sourceLabel)
    }

    static func probeARM(_ reader: HardwareReader) -> ISAReport {
        var features = Set<CPUFeature>()
        var vendor = "unknown", model = "unknown"
        var modelNumber: Int?, stepping: Int?
        var sveBits: Int?
        switch reader.os {
        case .linux:
            let hwcap = UInt64(reader.auxval(ARMLinuxDecoder.atHWCAP) ?? 0)
            let hwcap2 = UInt64(reader.auxval(ARMLinuxDecoder.atHWCAP2) ?? 0)
            features = ARMLinuxDecoder.features(hwcap: hwcap, hwcap2: hwcap2)
            sveBits = ARMLinuxDecoder.sveVectorBits(
                features: features, vectorLengthBytes: reader.sveVectorLengthBytes())
            let id = ARMLinuxDecoder.identify(midr: reader.midrEL1())
            (vendor, model, modelNumber, stepping) = (id.vendor, id.model, id.part, id.revision)
        case .darwin:
            var values: [String: Int64] = [:]
            for name in ARMDarwinDecoder.names { if let v = reader.sysctlInt64(name) { values[name] = v } }
            features = ARMDarwinDecoder.features(sysctls: values)
            vendor = "Apple"
            model = reader.sysctlString("machdep.cpu.brand_string") ?? "unknown"
        case .other:
            break
        }
        return ISAReport(
            arch: .aarch64, source: reader.sourceLabel, vendor: vendor, model: model, family: nil,
            modelNumber: modelNumber, stepping: stepping, hypervisor: nil, reported: features,
            usable: features, unusable: [], xcr0: nil, sveVectorBits: sveBits)
    }
}
