import Foundation
@testable import MIME

/// Paths and loaders shared by the tests: the repository's Samples/ and their expected results.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = root.appendingPathComponent("Samples")

    /// Every sample message (`Samples/*.eml`).
    static let sampleNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.sorted()
    }()

    static func bytes(_ name: String) -> [UInt8] {
        [UInt8]((try? Data(contentsOf: samples.appendingPathComponent(name))) ?? Data())
    }

    /// The expected result Python's email package gave (scripts/expected.py).
    static func expected(_ name: String) -> [String: Any]? {
        let url = samples.appendingPathComponent("expected").appendingPathComponent(name.replacingOccurrences(of: ".eml", with: ".json"))
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The same text with every line ending CRLF.
    static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 40)
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A && (index == 0 || bytes[index - 1] != 0x0D) { out.append(0x0D) }
            out.append(byte)
        }
        return out
    }

    /// The same text with every CRLF turned into a bare LF.
    static func lf(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A { continue }
            out.append(byte)
        }
        return out
    }

    /// Parses by pushing chunks of `size` bytes.
    static func parse(_ bytes: [UInt8], chunk size: Int, limits: ParserLimits = .default) -> Message {
        let parser = MessageParser(limits: limits)
        pieces(of: bytes, size: size) { parser.feed($0) }
        return parser.finish()
    }

    /// Calls `body` with consecutive pieces of `size` bytes (the last may be shorter).
    static func pieces(of bytes: [UInt8], size: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(raw.count, offset + size)
                body(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
    }
}

/// What two parses must agree on, whatever the chunking: every entity's spans and sizes, and the defects.
struct MessageSummary: Equatable, CustomStringConvertible {
    var wireBytes: Int64
    var entities: [String]
    var defects: [String]

    init(_ message: Message, spans: Bool = true) {
        wireBytes = message.wireBytes
        entities = message.entities.map { entity in
            var text = "\(entity.path) \(entity.kind) \(entity.contentType.mimeType) \(entity.filename ?? "-") "
                + "hw=\(entity.headerWireBytes) bw=\(entity.bodyWireBytes) d=\(entity.decodedBytes)"
            if spans { text += " h=\(entity.headerSpan.start)-\(entity.headerSpan.end) b=\(entity.bodySpan.start)-\(entity.bodySpan.end)" }
            return text
        }
        defects = message.defects.map { "\($0.code.rawValue)@\(spans ? String($0.offset) : "")/\($0.path ?? "")" }
    }

    var description: String { ([String(wireBytes)] + entities + defects).joined(separator: "\n") }
}
