// Live NUMA layout through libnuma: the kernel's own view (SLIT distances, per-node memory) of this machine.
#if canImport(CNuma)
import CNuma

public enum LibnumaReader {
    /// This machine's NUMA nodes as libnuma reports them, or nil when libnuma says NUMA is unavailable
    /// (`numa_available() < 0`: a kernel without NUMA support, or a container hiding it).
    ///
    /// Nodes are those in `numa_nodes_ptr` (configured nodes, memory-less ones included), ordered by number.
    /// A distance libnuma cannot determine (0) makes the whole table assumed (10/20), said in `source`.
    public static func read() -> NUMAInfo? {
        guard numa_available() >= 0 else { return nil }
        let maxNode = numa_max_node()
        guard maxNode >= 0, let configured = numa_nodes_ptr else { return nil }
        let nodes = (0...maxNode).filter { numa_bitmask_isbitset(configured, UInt32($0)) != 0 }
        guard !nodes.isEmpty else { return nil }
        let memory: [UInt64] = nodes.map { node in
            let size = numa_node_size64(node, nil)
            return size > 0 ? UInt64(size) : 0
        }
        var distances = nodes.map { a in nodes.map { b in Int(numa_distance(a, b)) } }
        var source = "libnuma"
        if distances.joined().contains(where: { $0 <= 0 }) {
            distances = HwlocTopology.assumedDistances(nodes.count)
            source = "libnuma-assumed-distances"
        }
        return NUMAInfo(
            nodes: nodes.count, distances: distances, memoryBytes: memory, source: source,
            osIndexes: nodes.map { Int($0) })
    }
}
#endif
