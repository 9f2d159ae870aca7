extension TextReport {
    /// One line of `watch`: a folder listing's line with the Subject after it, "fits now" for a draft that was
    /// over: "OVER     20.5 MB / 20.0 MB     ~/Mail/Drafts/cur/1700… — Quarterly figures".
    public func watchLine(_ result: CheckResult, event: DraftEvent) -> String {
        let fits = event == .fitsNow ? catalog.watchFitsNow : catalog.fitsShort
        let mark = result.fits ? paint(DisplayWidth.pad(fits, to: 8), "32") : paint(DisplayWidth.pad(catalog.overShort, to: 8), "31;1")
        let size = "\(ByteCount.human(result.wireBytes)) / \(ByteCount.human(result.binding.bytes))"
        let subject = result.subject.map { " — " + TerminalText.escaped($0) } ?? ""
        return "\(mark) \(DisplayWidth.pad(size, to: 21)) \(TerminalText.escaped(result.file))\(subject)"
    }

    /// The desktop notification for a draft that went over: a title with the sizes, a body naming the draft and
    /// whose limit it is.
    public func watchNotification(_ result: CheckResult) -> (title: String, body: String) {
        let name = result.subject.flatMap { $0.isEmpty ? nil : $0 }
            ?? String(result.file.split(separator: "/").last ?? Substring(result.file))
        return (catalog.watchNotificationTitle(ByteCount.human(result.wireBytes), ByteCount.human(result.binding.bytes)),
                catalog.watchNotificationBody(name, describe(result.binding)))
    }
}

extension CheckOutcome {
    /// The check's JSON object with the watch's `event` first.
    public func json(event: DraftEvent) -> JSONValue {
        guard case .object(let members) = json else { return json }
        return .object([("event", .string(event.rawValue))] + members)
    }
}
