import Foundation
import MIME

/// The SIZE each submission server advertised when `mailprep probe --save` asked it, by "host:port", in the
/// user's state folder (`smtp-sizes.json`). The configuration's `submission:` says which server is whose.
public struct ObservedSizes: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static func standard(environment: [String: String]) -> ObservedSizes {
        ObservedSizes(path: UserFolders.state(environment: environment) + "/smtp-sizes.json")
    }

    /// Every saved figure; empty when nothing was saved (or the file cannot be read as such).
    public func all() -> [String: ProviderEntry.SMTPSize] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONDecoder().decode([String: ProviderEntry.SMTPSize].self, from: data)) ?? [:]
    }

    public func size(server: String) -> ProviderEntry.SMTPSize? { all()[server.lowercased()] }

    /// Records a server's SIZE, replacing what was saved for it (written whole, then renamed into place).
    public func save(_ size: ProviderEntry.SMTPSize, server: String) throws {
        var sizes = all()
        sizes[server.lowercased()] = size
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(sizes)
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = try AtomicFile(path: path, mode: 0o600)
        var sink = FileSink(descriptor: file.descriptor, path: path)
        try data.withUnsafeBytes { try sink.write($0) }
        try sink.flush()
        try file.commit(replace: true)
    }
}
