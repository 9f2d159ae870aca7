import Foundation
import Testing
@testable import MailPrepCore

/// The provider table: the copy built into the binary is the reviewed folder, and every figure has its source.
@Suite("Provider table")
struct ProviderTableTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ProviderLimits")

    @Test("the built-in table is ProviderLimits/, file for file (run scripts/embed-limits.py after editing)")
    func builtInMatchesFolder() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(BuiltInProviders.files.map(\.name) == names)
        for file in BuiltInProviders.files {
            let onDisk = try String(contentsOf: Self.folder.appendingPathComponent(file.name), encoding: .utf8)
            #expect(file.json == onDisk, "\(file.name) differs from the built-in copy")
        }
        #expect(ProviderTable.builtIn.entries.count == names.count, "every built-in file decodes")
    }

    @Test("every figure names its source and check date, and every id matches its file name")
    func provenance() {
        for entry in ProviderTable.builtIn.entries {
            for limit in [entry.send, entry.receive].compactMap({ $0 }) {
                #expect(limit.source.hasPrefix("https://"), "\(entry.id)")
                #expect(limit.checked?.count == 10, "\(entry.id)")
                #expect(limit.bytes > 0)
            }
            #expect(entry.send != nil || entry.receive != nil || entry.smtpSize != nil, "\(entry.id) has no size figure")
            #expect(BuiltInProviders.files.contains { $0.name == "\(entry.id).json" })
        }
    }

    @Test("no domain belongs to two providers")
    func domainsAreUnique() {
        let domains = ProviderTable.builtIn.entries.flatMap(\.domains)
        #expect(Set(domains).count == domains.count)
    }

    @Test("domains are looked up exactly, and *.domain patterns match subdomains only")
    func lookup() {
        let table = ProviderTable.builtIn
        #expect(table.entry(forDomain: "GMAIL.com")?.id == "gmail")
        #expect(table.entry(forDomain: "contoso.onmicrosoft.com")?.id == "microsoft-365")
        #expect(table.entry(forDomain: "onmicrosoft.com") == nil)
        #expect(table.entry(forDomain: "notgmail.com") == nil)
    }

    @Test("a user's file adds entries and replaces those with the same id")
    func userOverrides() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("""
            [{"id": "gmail", "name": "Gmail (our plan)", "kind": "provider", "domains": ["gmail.com"],
              "send": {"bytes": 50000000, "measuredOn": "raw", "confirmed": true, "source": "https://example.org"}},
             {"id": "corp", "name": "Corp relay", "kind": "provider", "domains": ["corp.example"],
              "receive": {"bytes": 5000000, "measuredOn": "encoded", "confirmed": true, "source": "https://example.org"}}]
            """.utf8).write(to: url)
        var table = ProviderTable.builtIn
        try table.merge(contentsOf: url.path)
        #expect(table.entry(id: "gmail")?.send?.bytes == 50_000_000)
        #expect(table.entry(forDomain: "corp.example")?.receive?.bytes == 5_000_000)
        #expect(table.entries.count == ProviderTable.builtIn.entries.count + 1)
    }

    @Test("a broken user file says what is wrong")
    func brokenUserFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"id": "x", "name": "X", "kind": "provider"}"#.utf8).write(to: url)
        var table = ProviderTable.builtIn
        #expect(throws: ProviderTableError.self) { try table.merge(contentsOf: url.path) }
        do {
            try table.merge(contentsOf: url.path)
        } catch {
            #expect(error.reason.contains("domains"))
        }
    }
}
