import CZlib

/// zlib, which estimates compression gains from samples. The only file that imports CZlib.
public enum ZlibLibrary {
    /// The linked zlib's version ("1.2.13").
    public static var version: String {
        zlibVersion().map { String(cString: $0) } ?? "unknown"
    }

    /// Octets of raw deflate output for `bytes` at `level` (what a zip entry holds).
    static func deflatedSize(of bytes: [UInt8], level: Int) -> Int {
        var stream = z_stream()
        // windowBits -15: raw deflate, as zip stores it.
        guard deflateInit2_(&stream, Int32(level), Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return bytes.count }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 16)
        var input = bytes
        return input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                return status == Z_STREAM_END ? Int(stream.total_out) : inBuffer.count
            }
        }
    }
}
