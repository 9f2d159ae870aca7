import Foundation

/// `mailprep fix` results for people.
public struct FixReport: Sendable {
    public var text: TextReport

    public init(language: Language, color: Bool) {
        text = TextReport(language: language, color: color)
    }

    /// "37%"; "<1%" for a little left of much (76 kB of 16.7 MB), never a "0%" that reads as nothing.
    static func ratio(_ after: Int64, of before: Int64) -> String {
        let percent = Double(after) / Double(max(1, before)) * 100
        return after > 0 && percent < 0.5 ? "<1%" : "\(Int(percent.rounded()))%"
    }

    public func render(_ result: FixResult) -> String {
        let catalog = text.catalog
        var lines: [String] = []
        lines.append(result.planOnly || result.nothingWritten ? catalog.fixPlanFor(TerminalText.escaped(result.file))
            : TerminalText.escaped(result.file) + " → " + TerminalText.escaped(result.output ?? "-"))
        let bundledBefore = result.plan.actions.filter(\.bundled).reduce(Int64(0)) { $0 + $1.beforeBytes }
        let rows = result.plan.actions.map { action -> [String] in
            let what: String
            switch action.kind {
            case .compress:
                what = "\(catalog.fixCompress) \(action.format?.rawValue ?? "") -\(action.level ?? 0)"
                    + (action.bundled ? " → \(action.archiveName ?? "")" : "")
            case .keep:
                what = catalog.fixKeep + (action.reason.map { text.language == .english ? " (\($0.text(.english)))" : "（\($0.text(text.language))）" } ?? "")
            case .link:
                what = catalog.fixLink + (action.bundled ? " → " + TerminalText.escaped(action.archiveName ?? "") : "")
            case .remove:
                what = catalog.fixRemove
            }
            // A bundle's size and ratio stand on its first member; the others are in it.
            let inBundle = action.bundled && action.afterWireBytes == 0
            let before = action.bundled ? bundledBefore : action.beforeBytes
            let shownAfter = (action.kind == .compress && !inBundle) || (action.kind == .link && action.bundled && action.afterBytes > 0)
            let after = shownAfter ? (action.estimated ? "≈" : "") + ByteCount.human(action.afterBytes) : ""
            let ratio = action.kind == .compress && !inBundle ? Self.ratio(action.afterBytes, of: before) : ""
            let time = action.seconds.map { String(format: "%.2f s", $0) } ?? ""
            return [action.path, DisplayWidth.truncateMiddle(TerminalText.escaped(action.filename ?? ""), to: 40), TerminalText.escaped(what),
                    ByteCount.human(action.beforeBytes), after, ratio, time]
        }
        let header = [catalog.columnPart, catalog.columnName, catalog.fixColumnAction, catalog.fixColumnBefore,
                      catalog.fixColumnAfter, catalog.fixColumnRatio, catalog.fixColumnTime]
        if !rows.isEmpty {
            lines += text.table(header: header, rows: rows, rightAligned: [3, 4, 5, 6], maxWidths: [12, 40, 48, 10, 10, 6, 9]).map { "  " + $0 }
        } else {
            lines.append("  " + catalog.fixNothingToDo)
        }
        let wire = result.wireBytes ?? result.predictedWireBytes
        lines.append("  " + catalog.fixTotal(text.sized(wire), !result.plan.isExact))
        if let binding = result.binding {
            lines.append("  " + catalog.limitLine(text.sized(binding.bytes), binding.measuredOn))
            lines.append("    " + text.describe(binding))
            if binding.fits {
                lines.append("  " + text.paint("✓ " + catalog.fits(ByteCount.human(binding.headroomBytes)), "32"))
            } else {
                let over = -binding.headroomBytes
                lines.append("  " + text.paint("✗ " + catalog.over("\(ByteCount.human(over)) (\(catalog.bytes(ByteCount.grouped(over))))"), "31;1"))
                let largest = result.plan.actions.filter { $0.afterWireBytes > 0 }.sorted { $0.afterWireBytes > $1.afterWireBytes }.prefix(3)
                if !largest.isEmpty { lines.append("  " + catalog.fixLargest) }
                for action in largest {
                    let name = action.kind == .compress ? action.archiveName : action.filename
                    lines.append("    \(DisplayWidth.pad(ByteCount.human(action.afterWireBytes), to: 9)) \(action.path) " + TerminalText.escaped(name ?? ""))
                }
                if result.linksNeedAddress {
                    lines.append("  " + text.paint(catalog.fixNoShareURL, "33"))
                } else if !result.hasAttachments {
                    lines.append("  " + catalog.fixNoAttachments)
                } else {
                    let advice = !result.plan.removals.isEmpty ? catalog.fixStillOverRemoved
                        : result.plan.links.isEmpty ? catalog.fixNeedsLink : catalog.fixStillOver
                    lines.append("  " + advice)
                }
                if result.nothingWritten { lines.append("  " + catalog.fixNothingWritten) }
            }
        }
        let links = result.plan.links
        if let first = links.first {
            if !result.plan.linkAddressKnown {
                lines.append("  " + text.paint(catalog.fixNoShareURL, "33"))
            } else {
                let until = first.expires.map { LinkBlock.date($0, language: text.language) }
                lines.append("  " + catalog.fixLinksUntil(until ?? "-"))
                // A linked bundle is one link, however many files it holds.
                for action in links where !action.bundled || action.entity == links.first(where: \.bundled)?.entity {
                    // A plan has no token yet: its address is shown with a stand-in.
                    let name = action.bundled ? action.archiveName : action.filename
                    lines.append("    " + (action.shared == nil ? catalog.fixLinkInPlan(TerminalText.escaped(name ?? action.path)) : action.url ?? ""))
                }
            }
            if let password = result.password { lines.append("  " + text.paint(catalog.fixPassword(password), "1")) }
        }
        if !result.plan.removals.isEmpty { lines.append("  " + catalog.fixRemovedNote) }
        if let backup = result.backup { lines.append("  " + catalog.fixBackup(backup)) }
        lines.append("  " + text.paint(catalog.unitNote, "2"))
        return lines.joined(separator: "\n")
    }
}
