import Foundation

/// A file of provider limits could not be used.
public struct ProviderTableError: Error, Sendable, Equatable {
    public var file: String
    public var reason: String
}

/// The providers and MTA defaults mailprep knows: the built-in table, plus entries from the user's files.
public struct ProviderTable: Sendable {
    /// Entries by id order.
    public private(set) var entries: [ProviderEntry]

    public init(entries: [ProviderEntry]) {
        self.entries = entries.sorted { $0.id < $1.id }
    }

    /// The table built into the binary (from `ProviderLimits/`).
    public static let builtIn: ProviderTable = {
        var entries: [ProviderEntry] = []
        for file in BuiltInProviders.files {
            // The built-in JSON is checked by tests; a decoding failure here is a build defect.
            if let entry = try? JSONDecoder().decode(ProviderEntry.self, from: Data(file.json.utf8)) {
                entries.append(entry)
            }
        }
        return ProviderTable(entries: entries)
    }()

    /// Decodes one JSON text: a single entry or an array of entries.
    static func decodeEntries(_ data: Data, file: String) throws(ProviderTableError) -> [ProviderEntry] {
        let decoder = JSONDecoder()
        do {
            if let first = data.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }), first == UInt8(ascii: "[") {
                return try decoder.decode([ProviderEntry].self, from: data)
            }
            return [try decoder.decode(ProviderEntry.self, from: data)]
        } catch let error as DecodingError {
            throw ProviderTableError(file: file, reason: Self.describe(error))
        } catch {
            throw ProviderTableError(file: file, reason: "\(error)")
        }
    }

    /// Adds the entries of a user's file; an entry with an existing id replaces it.
    /// A folder: every `*.json` file in it, in name order (as `ProviderLimits/` is laid out).
    public mutating func merge(contentsOf path: String) throws(ProviderTableError) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                throw ProviderTableError(file: path, reason: "cannot be read")
            }
            let files = names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
            guard !files.isEmpty else { throw ProviderTableError(file: path, reason: "a folder without .json files") }
            for name in files { try merge(contentsOf: path + "/" + name) }
            return
        }
        guard FileManager.default.fileExists(atPath: path) else { throw ProviderTableError(file: path, reason: "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProviderTableError(file: path, reason: "cannot be read")
        }
        for entry in try Self.decodeEntries(data, file: path) {
            entries.removeAll { $0.id == entry.id }
            entries.append(entry)
        }
        entries.sort { $0.id < $1.id }
    }

    public func entry(id: String) -> ProviderEntry? {
        entries.first { $0.id == id.lowercased() }
    }

    /// The entry serving an address domain; an exact domain wins over a `*.` pattern.
    public func entry(forDomain domain: String) -> ProviderEntry? {
        let lowered = domain.lowercased()
        return entries.first { $0.domains.contains(lowered) } ?? entries.first { $0.matches(domain: lowered) }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \"\(key.stringValue)\" at \(path(context).isEmpty ? "top level" : path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "not valid JSON: \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
