import MIME

/// Estimates how well an attachment deflates, from samples spread over it, without decoding all of it.
public struct CompressionEstimate: Sendable {
    /// Compressed octets per decoded octet at each level sampled.
    public var ratios: [Int: Double]

    /// Samples of this many decoded octets are taken...
    static let sampleBytes = 64 * 1024
    /// ...at most this many, evenly spread.
    static let samples = 16

    /// Samples `entity` from `source` and deflates the samples at each of `levels`.
    public static func estimate(_ entity: Entity, source: SourceFile, levels: [Int]) throws -> CompressionEstimate {
        let sample = try sampleData(entity, source: source)
        guard !sample.isEmpty else { return CompressionEstimate(ratios: Dictionary(uniqueKeysWithValues: levels.map { ($0, 1.0) })) }
        var ratios: [Int: Double] = [:]
        for level in levels {
            ratios[level] = Double(ZlibLibrary.deflatedSize(of: sample, level: level)) / Double(sample.count)
        }
        return CompressionEstimate(ratios: ratios)
    }

    /// Decoded bytes from up to `samples` places of the body; all of it when it is small.
    static func sampleData(_ entity: Entity, source: SourceFile) throws -> [UInt8] {
        let span = entity.bodySpan
        let wireSample = Int64(sampleBytes) * 4 / 3 + 256
        if entity.decodedBytes <= Int64(sampleBytes * samples) {
            var memory = MemorySink()
            try source.decodeBody(of: entity, into: &memory)
            return memory.bytes
        }
        var data: [UInt8] = []
        let stride = (span.count - wireSample) / Int64(samples - 1)
        for index in 0..<samples {
            let start = span.start + Int64(index) * stride
            var raw = MemorySink()
            try source.copy(ByteSpan(start: start, end: min(span.end, start + wireSample)), into: &raw)
            // Start at a line start, where base64 groups begin.
            let from = index == 0 ? 0 : (raw.bytes.firstIndex(of: 0x0A).map { $0 + 1 } ?? 0)
            var decoder = TransferDecodingSink(MemorySink(), encoding: entity.transferEncoding)
            try decoder.write(Array(raw.bytes[from...]))
            data += try decoder.finish().bytes.prefix(sampleBytes)
        }
        return data
    }
}
