// ARM on Linux: features from AT_HWCAP / AT_HWCAP2 and the SVE vector length from prctl, as pure functions of
// the captured values. Bit numbers follow linux arch/arm64/include/uapi/asm/hwcap.h. The kernel only sets a
// HWCAP bit for a feature it has enabled for user space, so HWCAP already means "usable".

public enum ARMLinuxDecoder {
    /// getauxval types (linux include/uapi/linux/auxvec.h).
    public static let atHWCAP: UInt = 16
    public static let atHWCAP2: UInt = 26

    /// AT_HWCAP bits.
    static let hwcapBits: [(CPUFeature, UInt64)] = [
        (.asimd, 1), (.fphp, 9), (.asimdhp, 10), (.asimddp, 20), (.sve, 22),
    ]
    /// AT_HWCAP2 bits (SME2 is bit 37, so HWCAP2 must be read as 64 bits).
    static let hwcap2Bits: [(CPUFeature, UInt64)] = [
        (.sve2, 1), (.svei8mm, 9), (.svebf16, 12), (.i8mm, 13), (.bf16, 14), (.sme, 23), (.sme2, 37),
    ]

    /// Canonical features named by HWCAP and HWCAP2.
    public static func features(hwcap: UInt64, hwcap2: UInt64) -> Set<CPUFeature> {
        var out = Set<CPUFeature>()
        for (f, bit) in hwcapBits where hwcap & (1 << bit) != 0 { out.insert(f) }
        for (f, bit) in hwcap2Bits where hwcap2 & (1 << bit) != 0 { out.insert(f) }
        return out
    }

    /// SVE vector length in bits from the prctl byte count, only when SVE is usable; a length that is not a
    /// multiple of 128 bits between 128 and 2048 (the architectural range) is discarded.
    public static func sveVectorBits(features: Set<CPUFeature>, vectorLengthBytes: Int?) -> Int? {
        guard features.contains(.sve), let bytes = vectorLengthBytes, bytes >= 16, bytes <= 256, bytes % 16 == 0
        else { return nil }
        return bytes * 8
    }

    /// Vendor and model from MIDR_EL1 (implementer [31:24], variant [23:20], part [15:4], revision [3:0]).
    public static func identify(midr: UInt64?) -> (vendor: String, model: String, part: Int?, revision: Int?) {
        guard let midr else { return ("unknown", "unknown", nil, nil) }
        let implementer = Int((midr >> 24) & 0xFF)
        let variant = Int((midr >> 20) & 0xF)
        let part = Int((midr >> 4) & 0xFFF)
        let revision = Int(midr & 0xF)
        let vendors: [Int: String] = [
            0x41: "ARM", 0x42: "Broadcom", 0x43: "Cavium", 0x46: "Fujitsu", 0x48: "HiSilicon", 0x4E: "NVIDIA",
            0x50: "APM", 0x51: "Qualcomm", 0x61: "Apple", 0x6D: "Microsoft", 0xC0: "Ampere",
        ]
        let vendor = vendors[implementer] ?? "implementer 0x" + String(implementer, radix: 16)
        let model = "part 0x" + String(part, radix: 16) + " r\(variant)p\(revision)"
        return (vendor, model, part, revision)
    }
}
