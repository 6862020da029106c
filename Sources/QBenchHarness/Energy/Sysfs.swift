// Energy: meters that turn counters (RAPL, perf power PMU, hwmon, battery) or a model into joules,
// each labelled with its source. This file: the one seam for sysfs reads, so tests replay captured layouts.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a sysfs file could not be used.
public enum SysfsError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case permissionDenied(path: String)
    case unreadable(path: String, message: String)
    case notANumber(path: String, text: String)

    public var description: String {
        switch self {
        case let .missing(p): return "\(p): no such file"
        case let .permissionDenied(p): return "\(p): permission denied"
        case let .unreadable(p, m): return "\(p): \(m)"
        case let .notANumber(p, t): return "\(p): expected a number, found \"\(t)\""
        }
    }
}

/// Read-only access to a sysfs tree. Paths are relative to the root ("class/powercap/intel-rapl:0/name").
public protocol SysfsReader: Sendable {
    /// The root shown in messages ("/sys", or a fixture folder).
    var rootDescription: String { get }
    /// File contents with surrounding whitespace removed.
    func read(_ path: String) throws -> String
    /// Entry names of a directory, sorted; nil when it does not exist.
    func list(_ path: String) -> [String]?
}

extension SysfsReader {
    /// Full path for messages.
    public func display(_ path: String) -> String {
        rootDescription.hasSuffix("/") ? rootDescription + path : rootDescription + "/" + path
    }

    /// An unsigned decimal integer file (energy_uj, power_now, ...).
    public func readUInt64(_ path: String) throws -> UInt64 {
        let text = try read(path)
        guard let v = UInt64(text) else {
            throw SysfsError.notANumber(path: display(path), text: String(text.prefix(40)))
        }
        return v
    }

    /// True for a directory, a readable file, or a file that exists but is not readable.
    public func exists(_ path: String) -> Bool {
        if list(path) != nil { return true }
        do { _ = try read(path); return true } catch SysfsError.permissionDenied { return true } catch { return false }
    }
}

/// A sysfs tree on disk: `/sys` live, or a replayed layout under Tests/.
public struct DirectorySysfs: SysfsReader {
    public let root: String
    public var rootDescription: String { root }

    public init(root: String = "/sys") { self.root = root }

    public func read(_ path: String) throws -> String {
        let full = display(path)
        let fd = open(full, O_RDONLY)
        if fd < 0 {
            let e = errno
            switch e {
            case ENOENT, ENOTDIR: throw SysfsError.missing(path: full)
            case EACCES, EPERM: throw SysfsError.permissionDenied(path: full)
            default: throw SysfsError.unreadable(path: full, message: String(cString: strerror(e)))
            }
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = buf.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == EACCES || e == EPERM { throw SysfsError.permissionDenied(path: full) }
                throw SysfsError.unreadable(path: full, message: String(cString: strerror(e)))
            }
            if n == 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self).trimmingWhitespace()
    }

    public func list(_ path: String) -> [String]? {
        guard let dir = opendir(display(path)) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted(by: naturalOrder)
    }
}

#if canImport(Glibc)
private let posixRead = Glibc.read
#else
private let posixRead = Darwin.read
#endif

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// "hwmon2" < "hwmon10", "intel-rapl:0:2" < "intel-rapl:0:10": digit runs compare as numbers.
func naturalOrder(_ a: String, _ b: String) -> Bool {
    var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
    var x = i.next(), y = j.next()
    while let cx = x, let cy = y {
        if isDigit(cx) && isDigit(cy) {
            var nx = "", ny = ""
            while let c = x, isDigit(c) { nx.unicodeScalars.append(c); x = i.next() }
            while let c = y, isDigit(c) { ny.unicodeScalars.append(c); y = j.next() }
            let tx = nx.drop { $0 == "0" }, ty = ny.drop { $0 == "0" }
            if tx.count != ty.count { return tx.count < ty.count }
            if tx != ty { return tx < ty }
            continue
        }
        if cx != cy { return cx.value < cy.value }
        x = i.next(); y = j.next()
    }
    return x == nil && y != nil
}

private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
