// NUMA placement of weights: each worker's rows live on the node of the core that reads them, as the kernels
// issue requires ("on multi-NUMA machines weights are allocated on the node of the threads that read them").
// The slicing is a pure function (tested on fixture topologies); binding goes through hwloc's membind.
import CHwloc
import Foundation
import QBenchSupport

/// One page-aligned part of a weight buffer and the NUMA node it belongs on.
public struct WeightSlice: Sendable, Equatable {
    public var bytes: Range<Int>
    public var node: Int
}

public enum WeightPlacement {
    /// Byte offset of output row `row` in a buffer of `bufferBytes` holding `rows` rows: rows are laid out in
    /// order (stored `[M][row]` layouts, and the 16-row units of the x16 repacks), so the offset is
    /// proportional to the row, rounded down to `unitRows` (a repack unit never splits).
    public static func offset(ofRow row: Int, rows: Int, unitRows: Int, bufferBytes: Int) -> Int {
        let u = max(1, unitRows), units = max(1, (rows + u - 1) / u)
        let unit = min(units, max(0, row) / u)
        return Int((Double(bufferBytes) * Double(unit) / Double(units)).rounded(.down))
    }

    /// The slices of a buffer of `rows` rows read by workers with row ranges `rowRanges`, worker i on NUMA node
    /// `nodes[i]` (nil: unknown, left alone). Boundaries are rounded to `pageSize` (a page straddling two
    /// workers goes to the one that reads its first byte's row); adjacent slices on one node are merged; empty
    /// ranges give nothing.
    public static func slices(
        bufferBytes: Int, rows: Int, unitRows: Int, rowRanges: [Range<Int>], nodes: [Int?],
        pageSize: Int
    ) -> [WeightSlice] {
        guard bufferBytes > 0, rows > 0, pageSize > 0 else { return [] }
        func page(_ b: Int) -> Int { min(bufferBytes, (b + pageSize / 2) / pageSize * pageSize) }
        var out: [WeightSlice] = []
        for (i, r) in rowRanges.enumerated() where !r.isEmpty && i < nodes.count {
            guard let node = nodes[i] else { continue }
            let lo =
                r.lowerBound == 0
                ? 0 : page(offset(ofRow: r.lowerBound, rows: rows, unitRows: unitRows, bufferBytes: bufferBytes))
            let hi =
                r.upperBound >= rows
                ? bufferBytes
                : page(offset(ofRow: r.upperBound, rows: rows, unitRows: unitRows, bufferBytes: bufferBytes))
            guard hi > lo else { continue }
            if let last = out.last, last.node == node, last.bytes.upperBound == lo {
                out[out.count - 1].bytes = last.bytes.lowerBound..<hi
            } else {
                out.append(WeightSlice(bytes: lo..<hi, node: node))
            }
        }
        return out
    }
}

/// What a benchmark did about NUMA placement of its weights (report `results[].weight_placement`).
public enum WeightPlacementOutcome: Sendable, Equatable {
    /// The machine has one NUMA node: every page is local already.
    case singleNode
    /// Every worker's slice was bound (and migrated) to its node: `nodes` in slice order.
    case bound(nodes: [Int])
    /// Not placed, and why (no live topology, the OS refused mbind, workers with unknown nodes).
    case notPlaced(String)

    public var description: String {
        switch self {
        case .singleNode: return "one NUMA node: local by construction"
        case .bound(let nodes):
            return "bound per worker slice to NUMA nodes \(nodes.map(String.init).joined(separator: ","))"
        case .notPlaced(let why): return "not NUMA-placed: \(why)"
        }
    }
}

extension ThreadPlacer {
    /// Number of NUMA nodes hwloc sees.
    public var numaNodeCount: Int { topology.objects(HWLOC_OBJ_NUMANODE).count }

    /// Binds `[base + slice.bytes)` to `slice.node` for each slice, moving pages already touched (hwloc's
    /// MIGRATE: mbind with MPOL_MF_MOVE on Linux).
    /// - Throws: `QBError.other` naming the node and the OS error when a binding is refused.
    public func bind(_ slices: [WeightSlice], base: UnsafeMutableRawPointer) throws {
        try requireLive("bind memory to a NUMA node")
        guard let set = hwloc_bitmap_alloc() else { throw QBError.other("hwloc: out of memory") }
        defer { hwloc_bitmap_free(set) }
        let flags = Int32(HWLOC_MEMBIND_BYNODESET.rawValue | HWLOC_MEMBIND_MIGRATE.rawValue)
        for s in slices where !s.bytes.isEmpty {
            _ = hwloc_bitmap_only(set, UInt32(s.node))
            guard
                hwloc_set_area_membind(
                    topology.handle, base + s.bytes.lowerBound, s.bytes.count, set,
                    HWLOC_MEMBIND_BIND, flags) == 0
            else {
                throw QBError.other(
                    "cannot bind \(s.bytes.count) bytes of weights to NUMA node \(s.node): "
                        + "\(String(cString: strerror(errno)))"
                )
            }
        }
    }

    /// Places a weight buffer for a pool: each worker's row slice on its node. A machine with one node needs
    /// nothing; a pool whose workers' nodes are unknown is left alone and says so.
    public func placeWeights(
        base: UnsafeMutableRawPointer, bufferBytes: Int, rows: Int, unitRows: Int,
        rowRanges: [Range<Int>], nodes: [Int?]
    ) -> WeightPlacementOutcome {
        guard numaNodeCount > 1 else { return .singleNode }
        guard !nodes.isEmpty, nodes.allSatisfy({ $0 != nil }) else {
            return .notPlaced("workers' NUMA nodes unknown (threads not pinned)")
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let s = WeightPlacement.slices(
            bufferBytes: bufferBytes, rows: rows, unitRows: unitRows, rowRanges: rowRanges,
            nodes: nodes, pageSize: page > 0 ? page : 4096)
        do { try bind(s, base: base) } catch { return .notPlaced("\(error)") }
        return .bound(nodes: s.map(\.node))
    }
}
