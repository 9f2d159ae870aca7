/// `mailprep limits`: the provider table, as text or JSON.
public struct LimitsReport: Sendable {
    public var table: ProviderTable
    public var policy: LimitPolicy

    public init(policy: LimitPolicy) {
        self.table = policy.table
        self.policy = policy
    }

    public func json() -> JSONValue {
        .object([
            ("marginBytes", .int(policy.marginBytes)),
            ("unknownDomainBytes", .int(policy.unknownDomainBytes)),
            ("providers", .array(table.entries.map(Self.json))),
            ("accounts", .array(policy.accounts.sorted { $0.key < $1.key }.map { .object([("account", .string($0.key)), ("provider", .string($0.value))]) })),
        ])
    }

    static func json(_ entry: ProviderEntry) -> JSONValue {
        func limit(_ limit: ProviderEntry.SizeLimit?) -> JSONValue {
            guard let limit else { return .null }
            return .object([
                ("bytes", .int(limit.bytes)), ("measuredOn", .string(limit.measuredOn.rawValue)),
                ("confirmed", .bool(limit.confirmed)), ("stated", .optional(limit.stated)),
                ("source", .string(limit.source)), ("checked", .optional(limit.checked)), ("note", .optional(limit.note)),
            ])
        }
        return .object([
            ("id", .string(entry.id)),
            ("name", .string(entry.name)),
            ("kind", .string(entry.kind.rawValue)),
            ("domains", .array(entry.domains.map(JSONValue.string))),
            ("send", limit(entry.send)),
            ("receive", limit(entry.receive)),
            ("recipientsPerMessage", entry.recipientsPerMessage.map { .object([
                ("count", .int(Int64($0.count))), ("confirmed", .bool($0.confirmed)), ("source", .string($0.source)),
                ("checked", .optional($0.checked)), ("note", .optional($0.note)),
            ]) } ?? .null),
            ("largeFileService", entry.largeFileService.map { .object([
                ("name", .string($0.name)), ("maxFileBytes", $0.maxFileBytes.map(JSONValue.int) ?? .null),
                ("expiresAfterDays", $0.expiresAfterDays.map { .int(Int64($0)) } ?? .null),
                ("confirmed", .bool($0.confirmed)), ("source", .string($0.source)),
                ("checked", .optional($0.checked)), ("note", .optional($0.note)),
            ]) } ?? .null),
            ("smtpSize", entry.smtpSize.map { .object([
                ("bytes", .int($0.bytes)), ("host", .string($0.host)), ("observed", .string($0.observed)), ("source", .string($0.source)),
            ]) } ?? .null),
        ])
    }

    /// One block per provider: figures first, then sources and notes.
    public func text(language: Language, verbose: Bool) -> String {
        let catalog = language.catalog
        var lines: [String] = []
        func figure(_ limit: ProviderEntry.SizeLimit?) -> String {
            guard let limit else { return "—" }
            let on = limit.measuredOn == .encoded ? catalog.measuredEncoded : catalog.measuredRaw
            return "\(ByteCount.human(limit.bytes)) \(on)" + (limit.confirmed ? "" : " ?")
        }
        for entry in table.entries {
            var line = "\(entry.name) [\(entry.id)]"
            if !entry.domains.isEmpty { line += "  " + entry.domains.joined(separator: " ") }
            lines.append(line)
            var facts = ["\(catalog.tableSend) \(figure(entry.send))", "\(catalog.tableReceive) \(figure(entry.receive))"]
            if let size = entry.smtpSize { facts.append("SIZE \(ByteCount.grouped(size.bytes)) (\(size.host), \(size.observed))") }
            lines.append("    " + facts.joined(separator: " · "))
            if let service = entry.largeFileService {
                var text = "\(catalog.tableLargeFiles): \(service.name)"
                if let bytes = service.maxFileBytes { text += ", \(ByteCount.human(bytes))" }
                if let days = service.expiresAfterDays { text += ", " + catalog.days(days) }
                if !service.confirmed { text += " ?" }
                lines.append("    " + text)
            }
            if verbose {
                for (label, limit) in [(catalog.tableSend, entry.send), (catalog.tableReceive, entry.receive)] {
                    guard let limit else { continue }
                    lines.append("    \(label) \(catalog.tableSource): \(limit.source) (\(limit.checked ?? "?"))")
                    if let note = limit.note { lines.append("      \(note)") }
                }
            }
        }
        if !policy.accounts.isEmpty {
            lines.append(catalog.tableAccounts)
            for (account, id) in policy.accounts.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(account) → " + (table.entry(id: id).map { "\($0.name) [\(id)]" } ?? id))
            }
        }
        lines.append("")
        lines.append("? = \(catalog.unconfirmed)")
        lines.append(catalog.margin(catalog.bytes(ByteCount.grouped(policy.marginBytes))))
        lines.append(catalog.unitNote)
        return lines.joined(separator: "\n")
    }
}
