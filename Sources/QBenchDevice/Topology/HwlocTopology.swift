// The one seam to hwloc: owns a loaded hwloc topology (this machine, or an exported XML file) and answers
// low-level questions about its objects. Summaries (`Topology`, `NUMAInfo`) are built from it in sibling files.
import CHwloc
import Foundation
import QBenchSupport

/// A loaded hwloc topology. The handle is destroyed when the object goes away.
///
/// hwloc documents a loaded topology as safe for concurrent read-only use (consultation, binding, allocation),
/// and this class never modifies the topology after `load`, hence `@unchecked Sendable`.
public final class HwlocTopology: @unchecked Sendable {
    /// Where the topology came from.
    public enum Origin: Equatable, Sendable {
        /// Discovered from this machine by hwloc's OS backends.
        case live
        /// Imported from an hwloc XML export (a topology of some other machine; binding is a no-op).
        case xml(path: String)
    }

    public let origin: Origin
    package let handle: hwloc_topology_t

    private init(handle: hwloc_topology_t, origin: Origin) {
        self.handle = handle
        self.origin = origin
    }

    deinit { hwloc_topology_destroy(handle) }

    /// Discovers this machine's topology.
    ///
    /// - Throws: `QBError.other` when hwloc cannot discover the machine (never expected on Linux).
    public static func live() throws -> HwlocTopology {
        var topo: hwloc_topology_t?
        guard hwloc_topology_init(&topo) == 0, let t = topo else {
            throw QBError.other("hwloc: cannot initialise a topology (\(String(cString: strerror(errno))))")
        }
        keepInstructionCaches(t)
        guard hwloc_topology_load(t) == 0 else {
            let reason = String(cString: strerror(errno))
            hwloc_topology_destroy(t)
            throw QBError.other("hwloc: cannot discover this machine's topology (\(reason))")
        }
        let result = HwlocTopology(handle: t, origin: .live)
        guard result.count(HWLOC_OBJ_PU) > 0 else {
            throw QBError.other("hwloc: discovered a topology without processing units")
        }
        return result
    }

    /// Loads a topology exported by hwloc (`lstopo file.xml`, XML format 2.0 or 1.x).
    ///
    /// hwloc's XML parsers stay silent unless `HWLOC_XML_VERBOSE` is set, so the thrown error is the only message.
    /// - Parameter path: the XML file.
    /// - Throws: `QBError.badInput(path:message:)` when the file is missing, unreadable, not an hwloc XML export,
    ///   or describes no processing units.
    public static func load(xmlPath path: String) throws -> HwlocTopology {
        try checkReadableFile(path)
        // hwloc prints boxed complaints about odd XML to stderr; the one-line error below says what matters.
        // A user who wants them sets HWLOC_HIDE_ERRORS themselves (it is not overridden).
        setenv("HWLOC_HIDE_ERRORS", "2", 0)
        try loadsWithoutCrashing(path)
        return try loadUnisolated(xmlPath: path)
    }

    /// hwloc 2.9 aborts or dereferences NULL on some malformed XML ("Topology does not contain any NUMA node,
    /// aborting!", found by scripts/test.d/fuzz-inputs.sh): a file can kill the process inside the library. So the
    /// file is loaded once in a forked child first, and a child that dies refuses the file with one line.
    /// - Throws: `QBError.badInput` naming the file and what happened to the child.
    static func loadsWithoutCrashing(_ path: String) throws {
        #if os(Linux)
        let pid = fork()
        if pid == 0 {
            // The child: quiet (hwloc prints its complaint to stderr), load, and report by exit status only.
            let devnull = open("/dev/null", O_WRONLY)
            if devnull >= 0 { dup2(devnull, 2) }
            do {
                _ = try loadUnisolated(xmlPath: path)
                _exit(0)
            } catch QBError.badInput(_, let message) where message == noUnits {
                _exit(2)
            } catch {
                _exit(1)
            }
        }
        guard pid > 0 else { return }  // no child: load in this process as before
        var status: Int32 = 0
        let deadline = DispatchTime.now().uptimeNanoseconds + 30_000_000_000
        while waitpid(pid, &status, WNOHANG) == 0 {
            if DispatchTime.now().uptimeNanoseconds > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw QBError.badInput(path: path, message: "hwloc did not finish loading this XML in 30 s")
            }
            usleep(1_000)
        }
        let signal = status & 0x7f
        if signal != 0 {
            throw QBError.badInput(
                path: path,
                message: "not a valid hwloc XML topology: hwloc crashed loading it "
                    + "(signal \(signal))")
        }
        // The child's verdict stands: loading a refused file again here would only repeat hwloc's stderr noise.
        switch (status >> 8) & 0xff {
        case 0: return
        case 2: throw QBError.badInput(path: path, message: noUnits)
        default: throw QBError.badInput(path: path, message: invalidXML)
        }
        #endif
    }

    static let invalidXML =
        "not a valid hwloc XML topology (expected a file written by lstopo or hwloc_topology_export_xml)"
    static let noUnits = "hwloc topology has no cores or processing units"

    /// Loads the XML in this process (see `load(xmlPath:)`).
    static func loadUnisolated(xmlPath path: String) throws -> HwlocTopology {
        var topo: hwloc_topology_t?
        guard hwloc_topology_init(&topo) == 0, let t = topo else {
            throw QBError.other("hwloc: cannot initialise a topology (\(String(cString: strerror(errno))))")
        }
        keepInstructionCaches(t)
        // libxml2 rejects malformed files here; the minimal parser only at load time. Both are the same to a user.
        let invalid = invalidXML
        guard hwloc_topology_set_xml(t, path) == 0 else {
            hwloc_topology_destroy(t)
            throw QBError.badInput(path: path, message: invalid)
        }
        guard hwloc_topology_load(t) == 0 else {
            hwloc_topology_destroy(t)
            throw QBError.badInput(path: path, message: invalid)
        }
        let result = HwlocTopology(handle: t, origin: .xml(path: path))
        guard result.count(HWLOC_OBJ_PU) > 0, result.count(HWLOC_OBJ_CORE) > 0 else {
            throw QBError.badInput(path: path, message: noUnits)
        }
        return result
    }

    /// hwloc drops instruction caches by default (only its tools turn them on); the profile reports L1i.
    private static func keepInstructionCaches(_ t: hwloc_topology_t) {
        _ = hwloc_topology_set_icache_types_filter(t, HWLOC_TYPE_FILTER_KEEP_ALL)
    }

    /// Gives a clear error for the cases hwloc would report only as EINVAL.
    private static func checkReadableFile(_ path: String) throws {
        try InputFile.requireRegular(path)  // a FIFO would block hwloc forever
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw QBError.badInput(path: path, message: "cannot be read (check permissions)")
        }
        defer { try? fh.close() }
        let head = (try? fh.read(upToCount: 1)) ?? nil
        guard let head, !head.isEmpty else {
            throw QBError.badInput(path: path, message: "is empty (expected an hwloc XML topology)")
        }
    }

    /// True when the topology describes the machine this process runs on, so binding and NUMA allocation act.
    public var isThisSystem: Bool { hwloc_topology_is_thissystem(handle) != 0 }

    // MARK: Objects

    /// Number of objects of a type (0 when the type is absent; summed when it appears at several depths).
    func count(_ type: hwloc_obj_type_t) -> Int {
        let depth = hwloc_get_type_depth(handle, type)
        if depth == HWLOC_TYPE_DEPTH_UNKNOWN.rawValue { return 0 }
        if depth == HWLOC_TYPE_DEPTH_MULTIPLE.rawValue { return objects(type).count }
        return Int(hwloc_get_nbobjs_by_depth(handle, depth))
    }

    /// All objects of a type in logical order (for types at several depths, e.g. Group, depth by depth).
    package func objects(_ type: hwloc_obj_type_t) -> [hwloc_obj_t] {
        let depth = hwloc_get_type_depth(handle, type)
        if depth == HWLOC_TYPE_DEPTH_UNKNOWN.rawValue { return [] }
        let depths: [Int32]
        if depth == HWLOC_TYPE_DEPTH_MULTIPLE.rawValue {
            depths = (0..<hwloc_topology_get_depth(handle)).filter { hwloc_get_depth_type(handle, $0) == type }
        } else {
            depths = [depth]
        }
        var out: [hwloc_obj_t] = []
        for d in depths {
            let n = hwloc_get_nbobjs_by_depth(handle, d)
            for i in 0..<n {
                if let o = hwloc_get_obj_by_depth(handle, d, i) { out.append(o) }
            }
        }
        return out
    }

    /// The root (Machine) object.
    var root: hwloc_obj_t { hwloc_get_root_obj(handle) }

    /// Number of objects of `type` whose cpuset lies inside `set` (e.g. cores under one cache).
    func count(_ type: hwloc_obj_type_t, inside set: hwloc_const_cpuset_t?) -> Int {
        guard let set else { return 0 }
        return Int(hwloc_get_nbobjs_inside_cpuset_by_type(handle, set, type))
    }

    /// The (name, value) info pairs hwloc attached to an object, in hwloc's order.
    func infos(of obj: hwloc_obj_t) -> [(name: String, value: String)] {
        HwlocTopology.infoPairs(obj.pointee.infos, Int(obj.pointee.infos_count))
    }

    static func infoPairs(_ infos: UnsafeMutablePointer<hwloc_info_s>?, _ n: Int) -> [(name: String, value: String)] {
        guard let infos, n > 0 else { return [] }
        var out: [(name: String, value: String)] = []
        for i in 0..<n {
            guard let name = infos[i].name, let value = infos[i].value else { continue }
            out.append((String(cString: name), String(cString: value)))
        }
        return out
    }

    /// hwloc info attributes of the root object (`Architecture`, `OSName`, `OSRelease`, `Backend`, ...).
    public var machineInfos: [String: String] {
        Dictionary(infos(of: root).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The first value of an info attribute found on the packages (then the root), e.g. `CPUModel`, `CPUVendor`.
    public func packageInfo(_ name: String) -> String? {
        for pkg in objects(HWLOC_OBJ_PACKAGE) {
            if let v = infos(of: pkg).first(where: { $0.name == name })?.value { return v }
        }
        return infos(of: root).first(where: { $0.name == name })?.value
    }

    /// Total memory hwloc found under the root (sum of NUMA nodes' local memory); 0 when the source did not say.
    public var totalMemoryBytes: UInt64 { root.pointee.total_memory }

    /// OS indexes of the bits set in a bitmap, ascending.
    package static func indexes(of set: hwloc_const_bitmap_t?) -> [Int] {
        guard let set else { return [] }
        var out: [Int] = []
        var i = hwloc_bitmap_first(set)
        while i >= 0 {
            out.append(Int(i))
            i = hwloc_bitmap_next(set, i)
        }
        return out
    }
}
