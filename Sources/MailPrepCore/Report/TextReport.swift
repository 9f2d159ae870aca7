/// Human-readable reports of checks, in the catalogue's language.
public struct TextReport: Sendable {
    public var catalog: Catalog
    public var language: Language
    /// ANSI colour, for a terminal without NO_COLOR.
    public var color: Bool

    public init(language: Language, color: Bool) {
        self.catalog = language.catalog
        self.language = language
        self.color = color
    }

    func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func sized(_ bytes: Int64) -> String {
        "\(catalog.bytes(ByteCount.grouped(bytes))) (\(ByteCount.human(bytes)))"
    }

    /// The full report of one message.
    public func render(_ result: CheckResult) -> String {
        var lines: [String] = []
        let subject = result.subject.map { " — " + TerminalText.escaped($0) } ?? ""
        lines.append(paint(TerminalText.escaped(result.file), "1") + subject)

        let rows = result.parts.map { part in
            [part.path, part.contentType, DisplayWidth.truncateMiddle(TerminalText.escaped(part.filename ?? ""), to: 60), part.transferEncoding,
             ByteCount.human(part.wireBytes), ByteCount.human(part.decodedBytes)]
        }
        let header = [catalog.columnPart, catalog.columnType, catalog.columnName, catalog.columnEncoding,
                      catalog.columnWire, catalog.columnDecoded]
        lines += table(header: header, rows: rows, rightAligned: [4, 5], maxWidths: [12, 40, 60, 16, 10, 10])
            .map { "  " + $0 }

        lines.append("  " + catalog.total(sized(result.wireBytes), ByteCount.human(result.decodedBytes)))
        let binding = result.binding
        lines.append("  " + catalog.limitLine(sized(binding.bytes), binding.measuredOn))
        lines.append("    " + describe(binding))
        if let source = binding.source { lines.append("    " + source) }
        if binding.measuredOn == .encoded && binding.marginBytes > 0 {
            lines.append("    " + catalog.margin(catalog.bytes(ByteCount.grouped(binding.marginBytes))))
        }
        if binding.fits {
            lines.append("  " + paint("✓ " + catalog.fits(ByteCount.human(binding.headroomBytes)), "32"))
        } else {
            let over = -binding.headroomBytes
            lines.append("  " + paint("✗ " + catalog.over("\(ByteCount.human(over)) (\(catalog.bytes(ByteCount.grouped(over))))"), "31;1"))
            if let advice = result.largeFiles {
                lines.append("    → " + catalog.largeFileAdvice(advice.providerName, advice.service.name,
                                                               advice.service.maxFileBytes.map(ByteCount.human), advice.service.expiresAfterDays))
            }
        }
        let others = result.limits.filter { $0 != binding }
        if !others.isEmpty {
            lines.append("  " + catalog.otherLimits)
            for limit in others.sorted(by: { $0.headroomBytes < $1.headroomBytes }) {
                let mark = limit.fits ? "✓" : "✗"
                let value = DisplayWidth.pad(ByteCount.human(limit.bytes), to: 9)
                lines.append("    \(mark) \(value) \(describe(limit))")
            }
        }
        if result.signedOrEncrypted {
            lines.append("  " + catalog.signedOrEncrypted)
        }
        if !result.problems.isEmpty {
            lines.append("  " + catalog.problems)
            for problem in result.problems {
                lines.append("    " + problemLine(problem))
            }
        }
        lines.append("  " + paint(catalog.unitNote, "2"))
        return lines.joined(separator: "\n")
    }

    public func problemLine(_ problem: Problem) -> String {
        let place = problem.offset.map { catalog.at(ByteCount.grouped($0), problem.path) + ": " } ?? ""
        return "\(problem.severity.rawValue) \(place)\(catalog.problem(problem))"
    }

    /// "who: what", plus a note when the figure is not confirmed.
    public func describe(_ limit: AppliedLimit) -> String {
        var text = "\(catalog.who(limit)): \(catalog.what(limit))"
        if !limit.confirmed && limit.kind != .unknownDomainDefault { text += " " + catalog.unconfirmed }
        return text
    }

    /// One line for a folder listing.
    public func line(_ outcome: CheckOutcome) -> String {
        switch outcome {
        case .checked(let result):
            let binding = result.binding
            let mark = result.fits ? paint(DisplayWidth.pad(catalog.fitsShort, to: 6), "32")
                                   : paint(DisplayWidth.pad(catalog.overShort, to: 6), "31;1")
            let size = "\(ByteCount.human(result.wireBytes)) / \(ByteCount.human(binding.bytes))"
            return "\(mark) \(DisplayWidth.pad(size, to: 21)) \(result.file)"
        case .failed(let failure):
            return "\(paint(DisplayWidth.pad(catalog.failedShort, to: 6), "33")) \(catalog.failure(failure))"
        }
    }

    /// Counts and the five largest messages, after a folder listing.
    public func summary(_ items: [CheckSummaryItem]) -> String {
        let checked = items.filter { $0.failure == nil }
        let fit = checked.filter(\.fits).count
        var lines = [catalog.summary(items.count, fit, checked.count - fit, items.count - checked.count)]
        // The messages over a limit, by the limit that decides: most first.
        var overBy: [String: Int] = [:]
        var order: [String] = []
        for item in checked {
            guard let limit = item.over else { continue }
            let text = "\(describe(limit)), \(ByteCount.human(limit.bytes))"
            if overBy[text] == nil { order.append(text) }
            overBy[text, default: 0] += 1
        }
        for text in order.enumerated().sorted(by: { (overBy[$0.element] ?? 0, -$0.offset) > (overBy[$1.element] ?? 0, -$1.offset) }).map(\.element) {
            lines.append(catalog.summaryOver(overBy[text] ?? 0, text))
        }
        let largest = checked.sorted { ($0.wireBytes ?? 0) > ($1.wireBytes ?? 0) }.prefix(5)
        if !largest.isEmpty {
            lines.append(catalog.largest)
            for item in largest {
                lines.append("  \(DisplayWidth.pad(ByteCount.human(item.wireBytes ?? 0), to: 9)) \(item.file)")
            }
        }
        lines.append(paint(catalog.unitNote, "2"))
        return lines.joined(separator: "\n")
    }

    func table(header: [String], rows: [[String]], rightAligned: Set<Int>, maxWidths: [Int]) -> [String] {
        var widths = header.map(DisplayWidth.of)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], DisplayWidth.of(cell)) }
        }
        widths = zip(widths, maxWidths).map { min($0, $1) }
        func render(_ row: [String]) -> String {
            row.enumerated().map { index, cell in
                if rightAligned.contains(index) {
                    let width = DisplayWidth.of(cell)
                    return String(repeating: " ", count: max(0, widths[index] - width)) + cell
                }
                return DisplayWidth.pad(cell, to: widths[index])
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        return [render(header)] + rows.map(render)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
