// The one variant table against everything that used to restate it: the C registries' required features, the
// dispatch tiers `qbench probe` prints, and the plan's order, on every fixture device.
import CQBench
import Foundation
import QBenchTestSupport
import XCTest
import QBenchFormats
@testable import QBenchDevice
@testable import QBenchKernels

final class VariantTableTests: XCTestCase {
    private func family(_ v: KernelVariant) throws -> FormatFamily {
        try XCTUnwrap(
            v.weightFormat.flatMap { FormatFamily($0) } ?? FormatFamily(v.activationFormat),
            "no format family for \(v.key)")
    }

    /// Each entry needs exactly the features the table declares for its variant and family.
    private func assertEntriesMatchTable(
        _ registry: KernelRegistry, arch: ISAArch,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertFalse(registry.variants.isEmpty, file: file, line: line)
        for v in registry.variants {
            let spec = try XCTUnwrap(
                VariantTable.spec(v.variant, arch: arch), "\(v.key): not in the variant table",
                file: file, line: line)
            let fam = try family(v)
            XCTAssertTrue(
                spec.serves(fam), "\(v.key): the table says \(v.variant) does not serve \(fam)",
                file: file, line: line)
            XCTAssertEqual(
                Set(v.requires), Set(spec.requirements(for: fam)), v.key,
                file: file, line: line)
        }
    }

    func testBuiltInRegistry_everyEntryRequiresWhatTheTableDeclares() throws {
        var count: Int32 = 0
        _ = qb_kernel_registry(&count)
        XCTAssertEqual(KernelRegistry.builtIn.variants.count, Int(count), "every C entry maps to the vocabulary")
        #if arch(x86_64)
        try assertEntriesMatchTable(.builtIn, arch: .x86_64)
        #elseif arch(arm64)
        try assertEntriesMatchTable(.builtIn, arch: .aarch64)
        #endif
    }

    func testARMRegistrySource_everyEntryRequiresWhatTheTableDeclares() throws {
        try assertEntriesMatchTable(try ARMRegistrySource.registry(), arch: .aarch64)
    }

    /// On one device: per plan row, the runnable variants in plan order equal the family's tiers for the row's op
    /// restricted to the variants the registry holds for that row.
    private func assertPlanFollowsTiers(
        features: Set<CPUFeature>, arch: ISAArch, sveVectorBits: Int? = nil,
        registry: KernelRegistry, device: String
    ) throws {
        let plan = KernelDispatch.plan(
            features: features, arch: arch.rawValue, registry: registry,
            limits: DispatchLimits(sveVectorBits: sveVectorBits))
        XCTAssertFalse(plan.rows.isEmpty, device)
        for row in plan.rows {
            let fam = try XCTUnwrap(row.weightFormat.flatMap { FormatFamily($0) } ?? FormatFamily(row.activationFormat))
            let built = Set(
                registry.variants.filter {
                    $0.op == row.op && $0.weightFormat == row.weightFormat
                        && $0.activationFormat == row.activationFormat
                }.map(\.variant))
            let tiers = DispatchTiers.tiers(features: features, arch: arch, sveVectorBits: sveVectorBits, op: row.op)
            let expected = (tiers[fam] ?? []).map(\.variant).filter(built.contains)
            let runnable = (row.chosen.map { [$0] } ?? []) + row.fallbacks
            XCTAssertEqual(runnable, expected, "\(device): \(row.op)/\(row.weightFormat)/\(row.activationFormat)")
        }
    }

    func testRegistryAndTiers_agreeOnEveryFixtureCPUIDDump() throws {
        #if !arch(x86_64)
        throw XCTSkip("the x86 registry is only built into x86-64 binaries")
        #else
        let machines = try listMachines()
        XCTAssertEqual(machines.count, 12)
        // As captured; an OS without AVX-512 state; AMX tile state enabled but AVX-512 state not (the AMX
        // kernels use AVX-512 for packing, so amx must then leave the tiers as it leaves the plan).
        let xcr0s: [UInt64?] = [nil, 0x7, 0x60007]
        for m in machines {
            for x in xcr0s {
                let isa = try ISAProbe.replay(dump: try TestPaths.requireFixtures("cpuid/\(m)"), xcr0: x)
                try assertPlanFollowsTiers(
                    features: isa.usable, arch: .x86_64, registry: .builtIn,
                    device: "\(m) xcr0=\(x.map { String($0, radix: 16) } ?? "captured")")
                if x == 0x60007 {
                    XCTAssertFalse(isa.dispatchTiers().values.contains { $0.contains { $0.variant == .amx } }, m)
                }
            }
        }
        #endif
    }

    func testRegistryAndTiers_agreeOnARMFeatureSets() throws {
        let registry = try ARMRegistrySource.registry()
        let sets: [(String, Set<CPUFeature>, Int?)] = [
            ("cortex-a53", [.asimd], nil),
            ("cortex-a76", [.asimd, .fphp, .asimdhp, .asimddp], nil),
            ("neoverse-n2", [.asimd, .fphp, .asimdhp, .asimddp, .i8mm, .bf16, .sve, .sve2], 128),
            ("neoverse-v1", [.asimd, .fphp, .asimdhp, .asimddp, .i8mm, .bf16, .sve], 256),
            ("a64fx", [.asimd, .fphp, .asimdhp, .sve], 512),
        ]
        for (name, features, bits) in sets {
            try assertPlanFollowsTiers(
                features: features, arch: .aarch64, sveVectorBits: bits, registry: registry,
                device: name)
        }
    }

    private func listMachines() throws -> [String] {
        let root = try TestPaths.requireFixtures("cpuid")
        return try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }
            .filter {
                var d: ObjCBool = false
                return FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &d)
                    && d.boolValue
            }
            .sorted()
    }
}

/// The entries of Sources/CQBench/kernels/arm_registry.c, read from its source: on an x86 host that file is not
/// compiled, yet its declared features must still agree with the table. Knows the file's macros.
enum ARMRegistrySource {
    static func registry() throws -> KernelRegistry {
        let url = TestPaths.packageRoot.appendingPathComponent("Sources/CQBench/kernels/arm_registry.c")
        let text = try String(contentsOf: url, encoding: .utf8)
        var req: [String: [String]] = [:]
        for m in text.matches(of: #/#define (REQ_\w+) "([^"]*)"/#) {
            req[String(m.1)] = m.2.split(separator: ",").map(String.init)
        }
        let body = try XCTUnwrap(text.range(of: "qb_arm_kernel_entries[] = {").map { text[$0.upperBound...] })
        let intFormats = [
            ("q8_0", "q8_0"), ("q4_0", "q8_0"), ("q4_1", "q8_1"), ("i8_pc", "i8_pt"),
            ("i4_g32", "i8_pt"), ("i4_g64", "i8_pt"), ("i4_g128", "i8_pt"),
            ("u4_g32", "i8_pt"), ("u4_g64", "i8_pt"), ("u4_g128", "i8_pt"),
        ]
        let kquantFormats = [("q4_k", "q8_k"), ("q5_k", "q8_k"), ("q6_k", "q8_k"), ("q5_0", "q8_0")]
        let floatFormats = [("f32", "f32"), ("f16", "f32"), ("bf16", "f32"), ("bf16", "bf16")]
        var out: [KernelVariant] = []
        func add(_ op: String, _ w: String, _ x: String, _ v: String, _ r: String) throws {
            let features = try XCTUnwrap(req[r], "arm_registry.c: unknown \(r)")
            // The registry's own mapping, so arm_registry.c's names are held to the typed vocabulary too.
            out.append(
                try KernelRegistry.map(
                    op: op, wfmt: w, afmt: x, variant: v, requires: features.joined(separator: ","), repack: "",
                    rowAlign: 1, tolerance: "exact"))
        }
        for line in body.split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            if l.hasPrefix("};") { break }
            guard let open = l.firstIndex(of: "("), let close = l.lastIndex(of: ")") else { continue }
            let name = String(l[..<open])
            let a = l[l.index(after: open)..<close].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            switch (name, a.count) {
            case ("INT_SET", 3): for (w, x) in intFormats { try add(a[0], w, x, a[1], a[2]) }
            case ("KQ_SET", 3): for (w, x) in kquantFormats { try add(a[0], w, x, a[1], a[2]) }
            case ("FLOAT_SET", 2):
                for op in ["gemv", "gemm"] { for (w, x) in floatFormats { try add(op, w, x, a[0], a[1]) } }
            case ("MAT", 5): try add(a[0], a[1], a[2], a[3], a[4])
            case ("MATT", 6): try add(a[0], a[1], a[2], a[3], a[4])  // with its own tolerance text
            case ("QUANT", 3): try add("quantize_row", a[0], a[0], a[1], a[2])
            default: XCTFail("arm_registry.c: unreadable entry line: \(l)")
            }
        }
        return KernelRegistry(variants: out)
    }
}
