// Shared helpers for the kernel tests: this machine's usable features (from /proc/cpuinfo flags, enough
// for x86 Linux test hosts), hex bytes, a test registry holding one deliberately broken kernel, and a
// double-precision dequantize-and-dot independent of the C code.
import CQBench
import Foundation
import QBenchFormats
import XCTest
@testable import QBenchDevice
@testable import QBenchKernels

enum KernelTestSupport {
    /// Features of this machine as the kernels need them: the CPU flags (Linux reports only what the
    /// kernel enabled, so XCR0 state is already reflected), AMX only with the permission granted.
    static let hostFeatures: Set<CPUFeature> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") || $0.hasPrefix("Features") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        var f = Set(
            line[line.index(after: colon)...].split(separator: " ").compactMap { CPUFeature(rawValue: String($0)) })
        if f.contains(.amx_tile) && qb_hw_amx_request_permission() != 0 {
            f.subtract([.amx_tile, .amx_int8, .amx_bf16, .amx_fp16])
        }
        return f
    }()

    /// Verifies a deliberately broken kernel: a two-entry test registry holding the scalar entry of `triple`
    /// ("op/weight/activation") and, as its `avx2` variant, that entry with `kernel` as its function.
    static func verifyPlanted(_ triple: String, kernel: qb_mat_fn) throws -> KernelVerification {
        let reg = KernelRegistry.builtIn
        let scalar = try XCTUnwrap(reg.entry(XCTUnwrap(reg.variant("\(triple)/scalar"))))
        let table = UnsafeMutablePointer<qb_kernel_entry>.allocate(capacity: 2)
        defer { table.deallocate() }
        table[0] = scalar.pointee
        table[1] = scalar.pointee
        let name = strdup("avx2")!
        defer { free(name) }
        table[1].variant = UnsafePointer(name)
        table[1].mat = kernel
        let test = KernelRegistry(table: table, count: 2)
        let v = try XCTUnwrap(test.variant("\(triple)/avx2"))
        return KernelVerifier.verify(v, features: [.avx2, .fma, .f16c], registry: test)
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func f16(_ p: UnsafePointer<UInt8>, _ off: Int) -> Double {
        Double(Float16(bitPattern: UInt16(p[off]) | UInt16(p[off + 1]) << 8))
    }

    /// Weights of row m as doubles, decoded from the stored layout by the rules of docs/layouts.md.
    static func weightRow(_ o: KernelOperands, _ m: Int) -> [Double] {
        let p = UnsafePointer(o.weights.pointer.assumingMemoryBound(to: UInt8.self)) + m * o.weightStride
        let K = o.k
        var w = [Double](repeating: 0, count: K)
        switch o.weightFormat {
        case .q8_0:
            for k in 0..<K { w[k] = f16(p, k / 32 * 34) * Double(Int8(bitPattern: p[k / 32 * 34 + 2 + k % 32])) }
        case .q4_0, .q4_1:
            let bs = o.weightFormat == .q4_0 ? 18 : 20
            for k in 0..<K {
                let b = k / 32, j = k % 32, byte = p[b * bs + (bs - 16) + j % 16]
                let nib = Double(j < 16 ? byte & 15 : byte >> 4)
                w[k] = o.weightFormat == .q4_0 ? f16(p, b * bs) * (nib - 8) : f16(p, b * bs) * nib + f16(p, b * bs + 2)
            }
        case .q5_0, .q4_k, .q5_k, .q6_k:
            // the Swift dequantizers (checked against gguf-py and ggml elsewhere), not the C code under test
            let bytes = [UInt8](UnsafeBufferPointer(start: p, count: o.weightStride))
            let f = try! QuantizedMatrix(format: o.weightFormat, rows: 1, k: K, data: bytes).dequantize()
            for k in 0..<K { w[k] = Double(f[k]) }
        case .i8_pc:
            for k in 0..<K { w[k] = Double(o.weightScales[m]) * Double(Int8(bitPattern: p[k])) }
        case .f32:
            for k in 0..<K {
                w[k] = Double(
                    Float(
                        bitPattern: UInt32(p[4 * k]) | UInt32(p[4 * k + 1]) << 8 | UInt32(p[4 * k + 2]) << 16 | UInt32(
                            p[4 * k + 3]) << 24))
            }
        case .f16:
            for k in 0..<K { w[k] = f16(p, 2 * k) }
        case .bf16:
            for k in 0..<K { w[k] = Double(Float(bitPattern: (UInt32(p[2 * k]) | UInt32(p[2 * k + 1]) << 8) << 16)) }
        default:
            let g = o.group, ng = K / g, u4 = o.weightFormat.hasZeros
            for k in 0..<K {
                let b = k / 32, j = k % 32, byte = p[b * 16 + j % 16]
                let nib = Double(j < 16 ? byte & 15 : byte >> 4)
                let s = Double(o.weightScales[m * ng + k / g])
                w[k] = u4 ? s * (nib - Double(o.weightZeros[m * ng + k / g])) : s * (nib - 8)
            }
        }
        return w
    }

    /// m*s - m*d_x*sum(q) summed over blocks: the difference between q4_1's stored-s epilogue and the plain
    /// dequantized dot.
    static func q4_1Correction(_ o: KernelOperands, m: Int, n: Int) -> Double {
        let w = UnsafePointer(o.weights.pointer.assumingMemoryBound(to: UInt8.self)) + m * o.weightStride
        let x = UnsafePointer(o.activations.pointer.assumingMemoryBound(to: UInt8.self)) + n * o.activationStride
        var c = 0.0
        for b in 0..<(o.k / 32) {
            let mw = f16(w, b * 20 + 2), dx = f16(x, b * 36), s = f16(x, b * 36 + 2)
            var sum = 0
            for j in 0..<32 { sum += Int(Int8(bitPattern: x[b * 36 + 4 + j])) }
            c += mw * s - mw * dx * Double(sum)
        }
        return c
    }

    /// Activations of row n as doubles, decoded from their encoded form.
    static func activationRow(_ o: KernelOperands, _ n: Int) -> [Double] {
        let p = UnsafePointer(o.activations.pointer.assumingMemoryBound(to: UInt8.self)) + n * o.activationStride
        let K = o.k
        switch o.activationFormat {
        case .q8_0:
            return (0..<K).map { k in f16(p, k / 32 * 34) * Double(Int8(bitPattern: p[k / 32 * 34 + 2 + k % 32])) }
        case .q8_1:
            return (0..<K).map { k in f16(p, k / 32 * 36) * Double(Int8(bitPattern: p[k / 32 * 36 + 4 + k % 32])) }
        case .q8_k:
            return (0..<K).map { k in
                let b = k / 256 * 292
                let d = Float(
                    bitPattern: UInt32(p[b]) | UInt32(p[b + 1]) << 8 | UInt32(p[b + 2]) << 16 | UInt32(p[b + 3]) << 24)
                return Double(d) * Double(Int8(bitPattern: p[b + 4 + k % 256]))
            }
        case .i8_pt: return (0..<K).map { k in Double(o.activationScales[n]) * Double(Int8(bitPattern: p[k])) }
        case .bf16:
            return (0..<K).map { k in Double(Float(bitPattern: (UInt32(p[2 * k]) | UInt32(p[2 * k + 1]) << 8) << 16)) }
        default: return (0..<K).map { Double(o.activationFloats[n * K + $0]) }
        }
    }
}
