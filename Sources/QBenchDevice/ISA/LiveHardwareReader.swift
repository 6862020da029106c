// The live side of the hardware seam: thin wrappers over the CQBench C shims, no decoding here.
import CQBench
import Foundation

/// Reads this machine. Every method maps to one C shim (or one sysfs file for the ARM MIDR).
public struct LiveHardwareReader: HardwareReader {
    public init() {}

    public var arch: ISAArch { ISAArch.host }
    public var os: ISAHostOS { ISAHostOS.host }
    public var sourceLabel: String { "live" }

    public func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDRegisters? {
        var out: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        let ok = withUnsafeMutablePointer(to: &out) { tuple in
            tuple.withMemoryRebound(to: UInt32.self, capacity: 4) { qb_hw_cpuid(leaf, subleaf, $0) }
        }
        guard ok == 1 else { return nil }
        return CPUIDRegisters(eax: out.0, ebx: out.1, ecx: out.2, edx: out.3)
    }

    public func xcr0() -> XCR0Reading? {
        var value: UInt64 = 0
        // The shim checks OSXSAVE first: xgetbv raises #UD when the OS has not enabled XSAVE.
        guard qb_hw_xgetbv0(&value) == 1 else { return nil }
        return XCR0Reading(value: value, source: .xgetbv)
    }

    public func amxPermission() -> AMXPermission {
        let rc = qb_hw_amx_request_permission()
        switch rc {
        case 0: return .granted
        case -1: return .unavailable
        default: return .refused(errno: rc)
        }
    }

    public func auxval(_ type: UInt) -> UInt? {
        var value: UInt = 0
        guard qb_hw_getauxval(type, &value) == 1 else { return nil }
        return value
    }

    public func sveVectorLengthBytes() -> Int? {
        let bytes = Int(qb_hw_sve_vector_length_bytes())
        return bytes > 0 ? bytes : nil
    }

    public func sysctlInt64(_ name: String) -> Int64? {
        var value: Int64 = 0
        guard qb_hw_sysctl_int64(name, &value) == 1 else { return nil }
        return value
    }

    public func sysctlString(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let ok = buffer.withUnsafeMutableBufferPointer { qb_hw_sysctl_string(name, $0.baseAddress, UInt($0.count)) }
        guard ok == 1 else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func midrEL1() -> UInt64? {
        // Linux publishes MIDR_EL1 per CPU in sysfs (arm64 only) as "0x00000000410fd0c0".
        let path = "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if hex.hasPrefix("0x") || hex.hasPrefix("0X") { hex.removeFirst(2) }
        return UInt64(hex, radix: 16)
    }
}
