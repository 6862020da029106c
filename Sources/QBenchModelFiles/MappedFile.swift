// ModelFiles: readers and writers for model weight files (GGUF, safetensors). They deal in bytes and ggml
// type ids only; quantizing and dequantizing belong to Formats. Every reader treats its file as hostile:
// each length and offset is checked before it is used, and a bad file is one `QBError.badInput` line.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import QBenchSupport

/// A read-only view of a whole file's bytes, memory-mapped so that opening a multi-gigabyte model costs
/// a system call, not a read.
///
/// Tensors handed out by the readers keep their `MappedFile` alive and point into it; nothing is copied.
/// The map is private and read-only: the process cannot change the file through it. If another process
/// truncates the file while it is mapped, touching the lost pages raises SIGBUS; that is a property of
/// `mmap` that no reader can check for in advance.
public final class MappedFile: @unchecked Sendable {
    private enum Storage {
        case mapped
        case heap
        case empty
    }

    /// The path the bytes came from (for error messages), or a caller-given name for in-memory bytes.
    public let path: String
    /// All bytes of the file. Valid for as long as this object lives.
    public let bytes: UnsafeRawBufferPointer
    private let storage: Storage

    /// The file size in bytes.
    public var count: Int { bytes.count }

    /// Maps `path` read-only.
    ///
    /// - Parameter path: a regular file. FIFOs, devices and folders are refused, so a reader can never block
    ///   or read an endless stream.
    /// - Throws: `QBError.io` naming the file when it cannot be opened, is not a regular file, or cannot be mapped.
    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw QBError.io(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw QBError.io(path: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        // UInt32 on both sides: mode_t and the S_IF* constants have different widths on Linux and Darwin.
        let format = UInt32(st.st_mode) & UInt32(S_IFMT)
        guard format == UInt32(S_IFREG) else {
            throw QBError.io(path: path, message: InputFile.problem(format: format) ?? "is a folder, not a file")
        }
        guard st.st_size > 0 else {
            // mmap of length 0 fails with EINVAL; an empty file is simply zero bytes.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            storage = .empty
            return
        }
        guard let size = Int(exactly: st.st_size) else {
            throw QBError.io(path: path, message: "file size \(st.st_size) does not fit in memory addresses")
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw QBError.io(
                path: path, message: "cannot memory-map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
        storage = .mapped
    }

    /// Copies `data` into a private buffer that behaves like a mapped file named `name`.
    ///
    /// For tests and the fuzzers, which parse thousands of in-memory inputs without touching the disk.
    public init<Bytes: Collection>(copying data: Bytes, name: String) where Bytes.Element == UInt8 {
        path = name
        let n = data.count
        if n == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            storage = .empty
            return
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 64)
        _ = buffer.initializeMemory(as: UInt8.self, from: data)
        bytes = UnsafeRawBufferPointer(buffer)
        storage = .heap
    }

    deinit {
        switch storage {
        case .mapped:
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        case .heap:
            UnsafeMutableRawBufferPointer(mutating: bytes).deallocate()
        case .empty:
            break
        }
    }

    /// The bytes in `range`, which the caller has already checked lies inside the file.
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        // Callers check ranges against `count` first; the guard keeps a missed check from reading out of bounds.
        guard let base = bytes.baseAddress, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= bytes.count
        else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
