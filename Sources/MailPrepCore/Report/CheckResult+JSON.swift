/// The stable JSON form of check results, described by `schema/check-result.schema.json`.
extension CheckOutcome {
    public var json: JSONValue {
        switch self {
        case .checked(let result): result.json
        case .failed(let failure): failure.json
        }
    }
}

extension CheckResult {
    public var json: JSONValue {
        .object([
            ("file", .string(file)),
            ("wireBytes", .int(wireBytes)),
            ("sourceBytes", .int(sourceBytes)),
            ("decodedBytes", .int(decodedBytes)),
            ("fits", .bool(fits)),
            ("limit", binding.json),
            ("limits", .array(limits.map(\.json))),
            ("subject", .optional(subject)),
            ("from", .optional(sender?.address)),
            ("recipients", .array(recipients.map { .string($0.address) })),
            ("signedOrEncrypted", .bool(signedOrEncrypted)),
            ("parts", .array(parts.map(\.json))),
            ("problems", .array(problems.map(\.json))),
            ("largeFileService", largeFiles.map { advice in .object([
                ("provider", .string(advice.providerID)), ("name", .string(advice.service.name)),
                ("maxFileBytes", advice.service.maxFileBytes.map(JSONValue.int) ?? .null),
                ("expiresAfterDays", advice.service.expiresAfterDays.map { .int(Int64($0)) } ?? .null),
                ("confirmed", .bool(advice.service.confirmed)), ("source", .string(advice.service.source)),
            ]) } ?? .null),
            ("stored", stored?.json ?? .null),
        ])
    }
}

extension StoredMessage {
    public var json: JSONValue {
        .object([
            ("format", .string(format.rawValue)),
            ("container", .string(container)),
            ("index", index.map { .int(Int64($0)) } ?? .null),
            ("offset", offset.map(JSONValue.int) ?? .null),
            ("storedBytes", storedBytes.map(JSONValue.int) ?? .null),
            ("quoting", quoting.map { .string($0.rawValue) } ?? .null),
            ("uid", uid.map { .int(Int64($0)) } ?? .null),
            ("sizesFrom", .string(sizesFrom.rawValue)),
        ])
    }
}

extension AppliedLimit {
    public var json: JSONValue {
        .object([
            ("bytes", .int(bytes)),
            ("measuredOn", .string(measuredOn.rawValue)),
            ("provider", .optional(providerID)),
            ("source", .optional(source)),
            ("reason", .string(reason)),
            ("origin", .string(origin.rawValue)),
            ("kind", .string(kind.rawValue)),
            ("address", .optional(address)),
            ("confirmed", .bool(confirmed)),
            ("marginBytes", .int(marginBytes)),
            ("measuredBytes", .int(measuredBytes)),
            ("headroomBytes", .int(headroomBytes)),
        ])
    }
}

extension PartReport {
    public var json: JSONValue {
        .object([
            ("path", .string(path)),
            ("contentType", .string(contentType)),
            ("filename", .optional(filename)),
            ("disposition", .optional(disposition)),
            ("transferEncoding", .string(transferEncoding)),
            ("wireBytes", .int(wireBytes)),
            ("headerWireBytes", .int(headerWireBytes)),
            ("decodedBytes", .int(decodedBytes)),
        ])
    }
}

extension Problem {
    public var json: JSONValue {
        .object([
            ("severity", .string(severity.rawValue)),
            ("code", .string(code)),
            ("message", .string(englishProblem(self))),
            ("offset", offset.map(JSONValue.int) ?? .null),
            ("path", .optional(path)),
        ])
    }
}

extension CheckFailure {
    public var json: JSONValue {
        .object([
            ("file", .string(file)),
            ("error", .object([
                ("code", .string(kind.rawValue)),
                ("message", .string(Catalog.english.failure(self))),
            ])),
        ])
    }
}
