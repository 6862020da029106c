// NUMA layout as hwloc records it: what a fixture topology can say without the machine at hand.
import CHwloc

extension HwlocTopology {
    /// Distances assumed when the topology carries no latency matrix: the ACPI SLIT convention for "local" and
    /// "one hop", which is what Linux itself reports when firmware gives no table.
    static let assumedLocalDistance = 10
    static let assumedRemoteDistance = 20

    /// NUMA nodes (ordered by OS index), their local memory, and their latency distances.
    ///
    /// Distances come from hwloc's latency matrix (`hwloc_distances_get_by_type` with
    /// `HWLOC_DISTANCES_KIND_MEANS_LATENCY`) when one covers every node: `source` is `hwloc`. Otherwise 10 on the
    /// diagonal and 20 elsewhere are assumed and `source` is `hwloc-assumed-distances`.
    public func numaFromHwloc() -> NUMAInfo {
        let nodes = objects(HWLOC_OBJ_NUMANODE).sorted { $0.pointee.os_index < $1.pointee.os_index }
        let osIndexes = nodes.map { Int($0.pointee.os_index) }
        let memory = nodes.map { $0.pointee.attr?.pointee.numanode.local_memory ?? 0 }
        if let matrix = latencyMatrix(for: nodes) {
            return NUMAInfo(
                nodes: nodes.count, distances: matrix, memoryBytes: memory, source: "hwloc",
                osIndexes: osIndexes)
        }
        return NUMAInfo(
            nodes: nodes.count, distances: HwlocTopology.assumedDistances(nodes.count),
            memoryBytes: memory, source: "hwloc-assumed-distances", osIndexes: osIndexes)
    }

    static func assumedDistances(_ n: Int) -> [[Int]] {
        (0..<n).map { i in (0..<n).map { j in i == j ? assumedLocalDistance : assumedRemoteDistance } }
    }

    /// The first latency matrix that covers all of `nodes`, re-ordered to match them; nil when there is none.
    private func latencyMatrix(for nodes: [hwloc_obj_t]) -> [[Int]]? {
        guard !nodes.isEmpty else { return nil }
        var nr: UInt32 = 0
        let kind = UInt(HWLOC_DISTANCES_KIND_MEANS_LATENCY.rawValue)
        guard hwloc_distances_get_by_type(handle, HWLOC_OBJ_NUMANODE, &nr, nil, kind, 0) == 0, nr > 0 else {
            return nil
        }
        var list = [UnsafeMutablePointer<hwloc_distances_s>?](repeating: nil, count: Int(nr))
        guard hwloc_distances_get_by_type(handle, HWLOC_OBJ_NUMANODE, &nr, &list, kind, 0) == 0 else { return nil }
        defer { for d in list.prefix(Int(nr)) { if let d { hwloc_distances_release(handle, d) } } }
        for case let d? in list.prefix(Int(nr)) {
            let m = d.pointee
            guard let objs = m.objs, let values = m.values else { continue }
            let count = Int(m.nbobjs)
            // Position of each of our nodes in this matrix.
            var position: [Int] = []
            for node in nodes {
                guard let p = (0..<count).first(where: { objs[$0] == node }) else { break }
                position.append(p)
            }
            guard position.count == nodes.count else { continue }
            return position.map { pi in
                position.map { pj in Int(clamping: values[pi * count + pj]) }
            }
        }
        return nil
    }
}
