// Where benchmark threads run: an ordered list of CPU slots from hwloc, pinning the calling thread to one, and
// memory placed on a chosen NUMA node. Binding acts only on a live topology (an XML one describes another machine).
import CHwloc
import Foundation
import QBenchSupport
import QBenchDevice

/// How finely `ThreadPlacer.slots` divides the machine.
public enum PlacementGranularity: String, Sendable, CaseIterable {
    /// One slot per core (its first PU): threads do not share a core's execution units.
    case core
    /// One slot per PU (hardware thread), SMT siblings included.
    case pu
}

/// One place to run a thread: a single PU, with where it sits in the machine.
public struct CPUSlot: Sendable, Equatable {
    /// Position in the list `slots` returned.
    public var index: Int
    /// OS index of the PU the thread is pinned to (Linux CPU number).
    public var puOSIndex: Int
    /// hwloc logical index of the core holding the PU.
    public var coreIndex: Int
    /// hwloc logical index of the package, nil when hwloc shows no package.
    public var packageIndex: Int?
    /// OS index of the nearest NUMA node (the first whose cpuset holds the PU), nil when none does.
    public var numaNodeOSIndex: Int?
    /// Index into `Topology.cpuKinds` (higher = more performant in hwloc's ranking), nil when no kinds are known.
    public var cpuKindIndex: Int?
}

/// Lists CPU slots and pins threads through hwloc.
public final class ThreadPlacer: @unchecked Sendable {
    // Sendable for the same reason as HwlocTopology: read-only use of a loaded topology is thread-safe.
    public let topology: HwlocTopology

    public init(topology: HwlocTopology) { self.topology = topology }

    /// A placer over this machine's live topology.
    public static func live() throws -> ThreadPlacer { ThreadPlacer(topology: try HwlocTopology.live()) }

    /// Slots in hwloc logical order (package, then die/cache locality, then core), so the first N slots are
    /// the N most tightly grouped. With `.core`, one slot per core on the core's first PU.
    public func slots(_ granularity: PlacementGranularity = .core) -> [CPUSlot] {
        let t = topology
        let numaNodes = t.objects(HWLOC_OBJ_NUMANODE)
        let kinds = t.cpuKinds()
        var out: [CPUSlot] = []
        for core in t.objects(HWLOC_OBJ_CORE) {
            var pus = HwlocTopology.indexes(of: core.pointee.cpuset)
            if granularity == .core { pus = Array(pus.prefix(1)) }
            let package = hwloc_get_ancestor_obj_by_type(t.handle, HWLOC_OBJ_PACKAGE, core).map {
                Int($0.pointee.logical_index)
            }
            for pu in pus {
                let node = numaNodes.first { hwloc_bitmap_isset($0.pointee.cpuset, UInt32(pu)) != 0 }
                out.append(
                    CPUSlot(
                        index: out.count, puOSIndex: pu, coreIndex: Int(core.pointee.logical_index),
                        packageIndex: package, numaNodeOSIndex: node.map { Int($0.pointee.os_index) },
                        cpuKindIndex: kinds.firstIndex { $0.pus.contains(pu) }))
            }
        }
        return out
    }

    /// Pins the calling thread to one slot's PU.
    ///
    /// - Throws: `QBError.other` when the topology is not this machine's or the OS refuses the binding
    ///   (e.g. the PU is outside this process's allowed set).
    public func pinCurrentThread(to slot: CPUSlot) throws {
        try pinCurrentThread(toPUs: [slot.puOSIndex], what: "PU \(slot.puOSIndex)")
    }

    /// Pins the calling thread to the `index`-th slot of `slots(granularity)`.
    ///
    /// - Throws: `QBError.other` when `index` is out of range, or as `pinCurrentThread(to:)`.
    public func pinCurrentThread(index: Int, granularity: PlacementGranularity = .core) throws {
        let all = slots(granularity)
        guard all.indices.contains(index) else {
            throw QBError.other(
                "cannot pin to \(granularity.rawValue) \(index): "
                    + "this machine has \(all.count) \(granularity.rawValue)s, numbered from 0"
            )
        }
        try pinCurrentThread(to: all[index])
    }

    /// OS indexes of the PUs the calling thread may currently run on.
    public func currentThreadBinding() throws -> [Int] {
        guard let set = hwloc_bitmap_alloc() else { throw QBError.other("hwloc: out of memory") }
        defer { hwloc_bitmap_free(set) }
        guard hwloc_get_cpubind(topology.handle, set, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0 else {
            throw QBError.other("cannot read this thread's CPU binding: \(String(cString: strerror(errno)))")
        }
        return HwlocTopology.indexes(of: set)
    }

    /// Restricts the calling thread to a set of PUs by OS index (e.g. to restore a binding read with
    /// `currentThreadBinding()`).
    public func pinCurrentThread(puOSIndexes pus: [Int]) throws {
        try pinCurrentThread(toPUs: pus, what: "PUs \(pus.map(String.init).joined(separator: ","))")
    }

    private func pinCurrentThread(toPUs pus: [Int], what: String) throws {
        try requireLive("pin a thread")
        guard let set = hwloc_bitmap_alloc() else { throw QBError.other("hwloc: out of memory") }
        defer { hwloc_bitmap_free(set) }
        for pu in pus where pu >= 0 { _ = hwloc_bitmap_set(set, UInt32(pu)) }
        guard hwloc_set_cpubind(topology.handle, set, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0 else {
            throw QBError.other("cannot pin thread to \(what): \(String(cString: strerror(errno)))")
        }
    }

    func requireLive(_ action: String) throws {
        guard case .live = topology.origin, topology.isThisSystem else {
            throw QBError.other("cannot \(action): the topology was loaded from a file, not discovered on this machine")
        }
    }

    // MARK: NUMA-local memory

    /// Allocates `byteCount` bytes bound to NUMA node `nodeOSIndex` (page-aligned, not yet touched: pages land
    /// on the node when first written).
    ///
    /// Asks hwloc for a strict binding first; when the OS will not enforce one (no NUMA support, a container
    /// denying mbind) the memory is still returned, with `isBound == false` so callers can say so.
    /// - Throws: `QBError.other` for a zero size, an unknown node, a non-live topology, or no memory.
    public func allocate(byteCount: Int, onNode nodeOSIndex: Int) throws -> NUMABuffer {
        try requireLive("allocate NUMA-local memory")
        guard byteCount > 0 else { throw QBError.other("cannot allocate \(byteCount) bytes: size must be positive") }
        let known = topology.objects(HWLOC_OBJ_NUMANODE).map { Int($0.pointee.os_index) }
        guard known.contains(nodeOSIndex) else {
            throw QBError.other(
                "no NUMA node \(nodeOSIndex) on this machine (nodes: \(known.map(String.init).joined(separator: ", ")))"
            )
        }
        guard let nodeset = hwloc_bitmap_alloc() else { throw QBError.other("hwloc: out of memory") }
        defer { hwloc_bitmap_free(nodeset) }
        _ = hwloc_bitmap_only(nodeset, UInt32(nodeOSIndex))
        let byNodeset = Int32(HWLOC_MEMBIND_BYNODESET.rawValue)
        let strict = byNodeset | Int32(HWLOC_MEMBIND_STRICT.rawValue)
        if let p = hwloc_alloc_membind(topology.handle, byteCount, nodeset, HWLOC_MEMBIND_BIND, strict) {
            return NUMABuffer(topology: topology, pointer: p, byteCount: byteCount, node: nodeOSIndex, isBound: true)
        }
        guard let p = hwloc_alloc_membind(topology.handle, byteCount, nodeset, HWLOC_MEMBIND_BIND, byNodeset) else {
            throw QBError.other(
                "cannot allocate \(byteCount) bytes on NUMA node \(nodeOSIndex): \(String(cString: strerror(errno)))")
        }
        return NUMABuffer(topology: topology, pointer: p, byteCount: byteCount, node: nodeOSIndex, isBound: false)
    }
}

/// Memory from `ThreadPlacer.allocate`, freed with hwloc when the buffer goes away.
public final class NUMABuffer: @unchecked Sendable {
    // Sendable like any raw buffer: the owner decides who writes where; the class only frees.
    private let topology: HwlocTopology
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int
    /// OS index of the node the memory was bound to.
    public let node: Int
    /// False when the OS did not enforce the binding and the memory follows the default policy.
    public let isBound: Bool

    init(topology: HwlocTopology, pointer: UnsafeMutableRawPointer, byteCount: Int, node: Int, isBound: Bool) {
        self.topology = topology; self.pointer = pointer; self.byteCount = byteCount; self.node = node
        self.isBound = isBound
    }

    /// OS indexes of the NUMA nodes holding the buffer's (touched) pages, as the kernel reports them.
    public func residentNodes() throws -> [Int] {
        guard let set = hwloc_bitmap_alloc() else { throw QBError.other("hwloc: out of memory") }
        defer { hwloc_bitmap_free(set) }
        let flags = Int32(HWLOC_MEMBIND_BYNODESET.rawValue)
        guard hwloc_get_area_memlocation(topology.handle, pointer, byteCount, set, flags) == 0 else {
            throw QBError.other("cannot locate buffer pages: \(String(cString: strerror(errno)))")
        }
        return HwlocTopology.indexes(of: set)
    }

    deinit { _ = hwloc_free(topology.handle, pointer, byteCount) }
}
