#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error writing or reading a file, with the path and the system's reason.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var operation: String

    public init(path: String, errno: Int32, operation: String) {
        self.path = path
        self.errno = errno
        self.operation = operation
    }

    public var description: String {
        "\(path): \(operation): \(String(cString: strerror(errno)))"
    }

    /// True when the disk (or quota, or a file-size limit) is full.
    public var isNoSpace: Bool { errno == ENOSPC || errno == EDQUOT || errno == EFBIG }
}

/// Writes to an open file descriptor through a buffer. The owner opens, syncs and closes the descriptor.
public struct FileSink: ByteSink {
    public let descriptor: Int32
    public let path: String
    private var buffer: [UInt8] = []
    /// Octets handed to the kernel so far.
    public private(set) var written: Int64 = 0

    public init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > 1 << 20 { try flush() }
        if bytes.count >= 1 << 20 {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Hands buffered bytes to the kernel.
    public mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let result = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, errno: errno, operation: "write")
            }
            offset += result
        }
        written += Int64(bytes.count)
    }
}

@inline(__always)
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
