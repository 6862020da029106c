// The compact human summary of `qbench probe`.
import Foundation
import QBenchDevice
import QBenchKernels

enum ProbeSummary {
    static func render(_ report: ProbeReport) -> String {
        let d = report.device
        var out = ""
        func line(_ label: String, _ text: String) {
            let pad = max(label.count + 1, 12)
            out += label.padding(toLength: pad, withPad: " ", startingAt: 0) + text + "\n"
        }

        var cpu = "\(d.cpu.model) (\(d.cpu.vendor), \(d.cpu.arch)"
        if let f = d.cpu.family, let m = d.cpu.modelNumber, let s = d.cpu.stepping {
            cpu += ", family \(f) model \(m) stepping \(s)"
        }
        if let h = d.cpu.hypervisor { cpu += ", hypervisor \(h)" }
        if let mc = d.cpu.microcode { cpu += ", microcode \(mc)" }
        line("CPU", cpu + ")")
        let t = d.topology
        line(
            "Topology",
            "\(plural(t.packages, "package")), \(plural(t.dies, "die")), \(plural(t.cores, "core")), "
                + "\(plural(t.pus, "PU")) (\(t.threadsPerCore) per core), \(plural(t.numaNodes, "NUMA node"))")
        if !t.caches.isEmpty {
            line(
                "Caches",
                t.caches.map { c in
                    let name = "L\(c.level)" + (c.type == "data" ? "d" : c.type == "instruction" ? "i" : "")
                    return "\(name) \(bytes(c.sizeBytes)) x\(c.count)"
                        + (c.coresSharing > 1 ? " (\(c.coresSharing) cores share)" : "")
                }.joined(separator: ", "))
        }
        for (i, k) in t.cpuKinds.enumerated() {
            let infos = k.infos.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line(
                i == 0 ? "CPU kinds" : "",
                "efficiency \(k.efficiency): \(plural(k.cores, "core")), \(plural(k.pus.count, "PU")) \(infos)")
        }
        if d.numa.nodes > 0 {
            let mem =
                d.numa.memoryBytes.allSatisfy({ $0 == 0 })
                ? "memory unknown"
                : d.numa.memoryBytes.map { bytes(Int(clamping: $0)) }.joined(separator: " + ")
            let dist = d.numa.distances.map { $0.map(String.init).joined(separator: " ") }.joined(separator: " | ")
            line("NUMA", "\(plural(d.numa.nodes, "node")) [\(mem)], distances \(dist) (\(d.numa.source))")
        }
        var mem = d.memory.totalBytes == 0 ? "unknown" : bytes(Int(clamping: d.memory.totalBytes))
        if let thp = d.memory.transparentHugepages { mem += ", THP \(thp)" }
        if let g = d.os.frequencyGovernor { mem += ", governor \(g)" }
        line("Memory", mem)
        line("OS", "\(d.os.name), kernel \(d.os.kernel); Swift \(d.toolchain.swift), \(d.toolchain.cCompiler)")
        if let x = d.cpu.xcr0 { line("XCR0", "\(x) (\(d.cpu.xcr0Source ?? "?"))") }

        let groups = featureGroups(d.cpu.features)
        line("Features", groups.isEmpty ? "none known" : "")
        for (name, list) in groups { line("  " + name, list.map(\.rawValue).joined(separator: " ")) }
        if !d.cpu.unusableFeatures.isEmpty {
            line("Unusable", "reported by the CPU, not enabled")
            // One line per reason: an OS without AVX-512 state disables a dozen features for the same cause.
            var reasons: [String] = []
            var byReason: [String: [String]] = [:]
            for u in d.cpu.unusableFeatures {
                if byReason[u.reason] == nil { reasons.append(u.reason) }
                byReason[u.reason, default: []].append(u.name.rawValue)
            }
            for r in reasons { line("  " + byReason[r]!.joined(separator: " "), "- " + r) }
        }
        line("Dispatch", "kernel tiers this device qualifies for, best first")
        for family in report.dispatchTiers.keys.sorted() {
            line("  " + family.rawValue, report.dispatchTiers[family]!.map(\.variant.rawValue).joined(separator: " > "))
        }
        line("Plan", "kernel chosen per op and weight format (activation format), then fallbacks")
        for r in report.plan.rows where r.op != .quantizeRow {
            let chain = ([r.chosen?.rawValue ?? "none"] + r.fallbacks.map(\.rawValue)).joined(separator: " > ")
            line("  \(r.op) \(r.triple.cWeightFormat)", "(\(r.activationFormat.rawValue)) \(chain)")
        }
        for n in d.notes { line("Note", n) }
        line("Device id", "\(d.id) (\(d.source))")
        return out
    }

    /// Usable features grouped by family, in canonical order.
    static func featureGroups(_ features: [CPUFeature]) -> [(String, [CPUFeature])] {
        func group(_ f: CPUFeature) -> String {
            let n = f.rawValue
            if f.isARM { return n.hasPrefix("s") ? "SVE/SME" : "NEON" }
            if n.hasPrefix("amx") { return "AMX" }
            if n == "avx512_vnni" || n == "avx_vnni" || n == "avx_vnni_int8" { return "VNNI" }
            if n == "avx512_bf16" || n == "avx512_fp16" || n == "f16c" { return "FP16/BF16" }
            if n.hasPrefix("avx512") { return "AVX-512" }
            if n.hasPrefix("avx") || n == "fma" || n == "bmi2" { return "AVX" }
            return "SSE"
        }
        let order = ["SSE", "AVX", "AVX-512", "VNNI", "FP16/BF16", "AMX", "NEON", "SVE/SME"]
        let grouped = Dictionary(grouping: features, by: group)
        return order.compactMap { k in grouped[k].map { (k, $0.sorted()) } }
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return v == v.rounded() ? "\(Int(v)) \(units[i])" : String(format: "%.1f %@", v, units[i])
    }
}
