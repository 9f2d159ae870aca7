import CMIMEScan

/// The two base64 loops written in C (CMIMEScan), where Swift's code ran slowly: the only file that imports it.
enum Base64Kernels {
    /// Length of the run of base64 alphabet characters at the start of `bytes`.
    @inline(__always)
    static func alphabetRun(_ bytes: UnsafeRawPointer, count: Int) -> Int {
        mime_base64_alphabet_run(bytes.assumingMemoryBound(to: UInt8.self), count)
    }

    /// Encodes `count` bytes (a multiple of 3) into `output`, 76 characters a line; returns the bytes written.
    @inline(__always)
    static func encode(_ bytes: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<UInt8>,
                       lineBreak: UnsafeBufferPointer<UInt8>, column: inout Int) -> Int {
        mime_base64_encode(bytes.assumingMemoryBound(to: UInt8.self), count, output, lineBreak.baseAddress!, lineBreak.count, &column)
    }

    /// Decodes alphabet characters and skips line breaks until another byte; returns (input consumed, bytes written).
    @inline(__always)
    static func decode(_ bytes: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<UInt8>,
                       accumulator: inout UInt32, characters: inout Int) -> (consumed: Int, written: Int) {
        var written = 0
        var seen = characters
        let consumed = mime_base64_decode(bytes.assumingMemoryBound(to: UInt8.self), count, output, &written, &accumulator, &seen)
        characters = seen
        return (consumed, written)
    }
}
