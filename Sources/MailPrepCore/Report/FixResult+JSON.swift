/// The stable JSON form of `mailprep fix` results, described by `schema/fix-result.schema.json`.
extension FixResult {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("file", .string(file)),
            ("output", .optional(output)),
            ("backup", .optional(backup)),
            ("planOnly", .bool(planOnly)),
            ("nothingWritten", .bool(nothingWritten)),
            ("predictedWireBytes", .int(predictedWireBytes)),
            ("wireBytes", wireBytes.map(JSONValue.int) ?? .null),
            ("writtenBytes", writtenBytes.map(JSONValue.int) ?? .null),
            ("exact", .bool(plan.isExact)),
            ("fits", .bool(fits)),
            ("limit", binding?.json ?? .null),
            ("limits", .array(plan.limits.map(\.json))),
            ("actions", .array(plan.actions.map(\.json))),
            ("shareURLConfigured", .bool(plan.linkAddressKnown && !linksNeedAddress)),
            ("password", .optional(password)),
        ]
        let over = binding.map { max(0, -$0.headroomBytes) } ?? 0
        members.append(("overBytes", .int(over)))
        return .object(members)
    }
}

extension FixAction {
    public var json: JSONValue {
        .object([
            ("path", .string(path)),
            ("filename", .optional(filename)),
            ("action", .string(kind.rawValue)),
            ("reason", .optional(reason?.code)),
            ("reasonText", .optional(reason?.text(.english))),
            ("format", .optional(format?.rawValue)),
            ("level", level.map { .int(Int64($0)) } ?? .null),
            ("archiveName", .optional(archiveName)),
            ("bundled", .bool(bundled)),
            ("beforeBytes", .int(beforeBytes)),
            ("afterBytes", .int(afterBytes)),
            ("beforeWireBytes", .int(beforeWireBytes)),
            ("afterWireBytes", .int(afterWireBytes)),
            ("estimated", .bool(estimated)),
            ("seconds", seconds.map { .decimal($0, places: 3) } ?? .null),
            ("link", kind == .link ? linkJSON : .null),
        ])
    }

    /// Where a linked attachment went: its address (a stand-in in a plan without a share URL), its share entry.
    private var linkJSON: JSONValue {
        .object([
            ("url", .optional(url)),
            ("token", .optional(shared?.token)),
            ("fileName", .optional(shared?.fileName)),
            ("size", shared.map { .int($0.size) } ?? .null),
            ("sha256", .optional(shared?.sha256)),
            ("expires", .optional(expires.map(LinkBlock.isoDate))),
        ])
    }
}
