// Turns a loaded hwloc topology into the persisted `Topology`: counts, caches aggregated per level, cpu kinds.
import CHwloc

extension HwlocTopology {
    /// The device topology as `DeviceProfile` stores it.
    ///
    /// `numaNodes` counts hwloc NUMA nodes; `dies` is the number of Die objects, or `packages` when hwloc reports
    /// none (one die per package); `threadsPerCore` is the largest number of PUs in one core, so a hybrid part
    /// with SMT P-cores and single-thread E-cores says 2.
    public func summary() -> Topology {
        let packages = count(HWLOC_OBJ_PACKAGE)
        let dies = count(HWLOC_OBJ_DIE)
        let cores = objects(HWLOC_OBJ_CORE)
        let threadsPerCore = cores.map { Int(hwloc_bitmap_weight($0.pointee.cpuset)) }.max() ?? 1
        return Topology(
            packages: packages, dies: dies > 0 ? dies : packages, numaNodes: count(HWLOC_OBJ_NUMANODE),
            cores: cores.count, pus: count(HWLOC_OBJ_PU), threadsPerCore: max(threadsPerCore, 1),
            caches: cacheLevels(), cpuKinds: cpuKinds())
    }

    /// CPU caches aggregated per (level, type). A level whose instances differ (a hybrid part's P-core L2 and
    /// E-cluster L2) yields one entry per distinct (size, line, cores sharing), so no instance is misdescribed.
    /// Memory-side caches are not CPU caches and are left out. Sorted by level, then data, instruction, unified,
    /// then larger size first.
    func cacheLevels() -> [CacheLevel] {
        let cacheTypes: [hwloc_obj_type_t] = [
            HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
            HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2ICACHE, HWLOC_OBJ_L3ICACHE,
        ]
        struct Key: Hashable { var level: Int; var type: String; var size: Int; var line: Int; var sharing: Int }
        var counts: [Key: Int] = [:]
        for t in cacheTypes {
            for obj in objects(t) {
                guard let attr = obj.pointee.attr else { continue }
                let cache = attr.pointee.cache
                let key = Key(
                    level: Int(cache.depth), type: HwlocTopology.cacheTypeName(cache.type),
                    size: Int(clamping: cache.size), line: Int(cache.linesize),
                    sharing: count(HWLOC_OBJ_CORE, inside: obj.pointee.cpuset))
                counts[key, default: 0] += 1
            }
        }
        let typeOrder = ["data": 0, "instruction": 1, "unified": 2]
        return counts.map { key, n in
            CacheLevel(
                level: key.level, type: key.type, sizeBytes: key.size, lineBytes: key.line, count: n,
                coresSharing: key.sharing)
        }.sorted { a, b in
            if a.level != b.level { return a.level < b.level }
            if a.type != b.type { return typeOrder[a.type, default: 3] < typeOrder[b.type, default: 3] }
            if a.sizeBytes != b.sizeBytes { return a.sizeBytes > b.sizeBytes }
            return a.coresSharing < b.coresSharing
        }
    }

    static func cacheTypeName(_ t: hwloc_obj_cache_type_t) -> String {
        switch t {
        case HWLOC_OBJ_CACHE_DATA: return "data"
        case HWLOC_OBJ_CACHE_INSTRUCTION: return "instruction"
        default: return "unified"
        }
    }

    /// hwloc cpu kinds in hwloc's order (least efficient/performant first), each with its PUs' OS indexes and
    /// the number of cores entirely inside it. Empty when the platform exposes no kind information.
    package func cpuKinds() -> [CPUKind] {
        let n = hwloc_cpukinds_get_nr(handle, 0)
        guard n > 0 else { return [] }
        guard let set = hwloc_bitmap_alloc() else { return [] }
        defer { hwloc_bitmap_free(set) }
        var kinds: [CPUKind] = []
        for i in 0..<UInt32(n) {
            var efficiency: Int32 = -1
            var nrInfos: UInt32 = 0
            var infos: UnsafeMutablePointer<hwloc_info_s>?
            guard hwloc_cpukinds_get_info(handle, i, set, &efficiency, &nrInfos, &infos, 0) == 0 else { continue }
            let pairs = HwlocTopology.infoPairs(infos, Int(nrInfos))
            kinds.append(
                CPUKind(
                    efficiency: Int(efficiency),
                    infos: Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                    cores: count(HWLOC_OBJ_CORE, inside: set),
                    pus: HwlocTopology.indexes(of: set)))
        }
        return kinds
    }
}
