import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// The planner alone: attachments described by their sizes and how well they compress, a limit, and the plan that
/// must come out. Nothing is read or written; what "least" means is in `Planner`'s documentation and the README.
@Suite("Planning the least change")
struct PlannerTable {
    /// An attachment of a test message: `ratio` nil for one that does not compress (a photo).
    struct Attachment {
        var name: String
        var bytes: Int64
        var ratio: Double?
        var linkable = true
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var title: String
        var attachments: [(String, Int64, Double?)]
        /// Octets on the wire the message may have.
        var limit: Int64
        var strategy: FixStrategy = .auto
        var bundle: String?
        var forced: [String] = []
        var level: Int?
        var linked: [String]
        var compressed: [String]
        var atLevel: Int?
        var fits = true
        var testDescription: String { title }
    }

    /// The text part and message header around the attachments.
    static let textBytes: Int64 = 2_000
    /// What a link costs in the text: a line and a header field.
    static let linkBytes: Int64 = 300

    static func model(_ row: Row) -> SizeModel {
        var candidates: [PlanCandidate] = []
        for (number, attachment) in row.attachments.enumerated() {
            let (name, bytes, ratio) = attachment
            let wire = 200 + Base64EncodingSink<CountingSink>.encodedBytes(of: bytes)
            candidates.append(PlanCandidate(entity: number + 2, path: "\(number + 2)", filename: name, wireBytes: wire, removalWireBytes: wire + 40,
                                            decodedBytes: bytes, keepReason: ratio == nil ? .alreadyCompressed("image/jpeg") : nil,
                                            reported: true, linkable: true,
                                            sampledRatios: ratio.map { [1: $0 * 1.2, 6: $0, 9: $0 * 0.97] } ?? [:]))
        }
        let all = candidates
        let base = textBytes + all.reduce(0) { $0 + $1.wireBytes + 40 }
        let decoded = all.reduce(Int64(100)) { $0 + $1.decodedBytes }
        return SizeModel(candidates: candidates, format: .zip, linked: { (set: Set<Int>) throws(FixError) -> EditedSize in
            let leaving = all.filter { set.contains($0.entity) }
            let wire = base - leaving.reduce(0) { $0 + $1.removalWireBytes } + Int64(leaving.count) * linkBytes + (leaving.isEmpty ? 0 : 400)
            return EditedSize(bytes: wire, wireBytes: wire, decodedBytes: decoded - leaving.reduce(0) { $0 + $1.decodedBytes })
        }, withoutParts: { (set: Set<Int>) throws(FixError) -> EditedSize? in
            let leaving = all.filter { set.contains($0.entity) }
            let wire = base - leaving.reduce(0) { $0 + $1.removalWireBytes }
            return EditedSize(bytes: wire, wireBytes: wire, decodedBytes: decoded)
        })
    }

    static func planner(_ row: Row, model: SizeModel? = nil) -> Planner {
        let model = model ?? Self.model(row)
        let forced = Set(model.candidates.filter { row.forced.contains($0.filename ?? "") }.map(\.entity))
        let limit = AppliedLimit(bytes: row.limit, measuredOn: .encoded, origin: .user, kind: .user, confirmed: true, marginBytes: 0)
        return Planner(model: model,
                       policy: Planner.Policy(strategy: row.strategy, linksAllowed: row.strategy != .compress, minimumGain: 0.10,
                                              level: row.level, bundleName: row.bundle, forcedLinks: forced),
                       limitsFor: { wire, _ in
                           var measured = limit
                           measured.measuredBytes = wire
                           return [measured]
                       })
    }

    static let csv = 0.2
    static let rows: [Row] = [
        Row(title: "it fits as it is: nothing changes",
            attachments: [("a.csv", 100_000, csv), ("b.jpg", 100_000, nil)], limit: 1_000_000, linked: [], compressed: []),
        Row(title: "one CSV is enough: only it, at the fastest level",
            attachments: [("a.csv", 400_000, csv), ("b.csv", 400_000, csv), ("c.jpg", 100_000, nil)], limit: 900_000,
            linked: [], compressed: ["a.csv"], atLevel: 1),
        Row(title: "fewer octets changed: the two small CSVs that are enough, not the large one",
            attachments: [("large.csv", 1_000_000, csv), ("small-1.csv", 300_000, csv), ("small-2.csv", 300_000, csv)], limit: 1_700_000,
            linked: [], compressed: ["small-1.csv", "small-2.csv"], atLevel: 1),
        Row(title: "a slower level rather than one more attachment",
            attachments: [("a.csv", 1_000_000, 0.5), ("b.csv", 1_000_000, 0.5)], limit: 2_100_000,
            linked: [], compressed: ["a.csv"], atLevel: 6),
        Row(title: "compression before any link: no link while compressing everything fits",
            attachments: [("a.csv", 2_000_000, csv), ("b.jpg", 500_000, nil)], limit: 1_400_000,
            linked: [], compressed: ["a.csv"], atLevel: 1),
        Row(title: "four CSVs that compress and three photos: one photo leaves, not five parts",
            attachments: [("l1.csv", 1_600_000, csv), ("l2.csv", 1_600_000, csv), ("l3.csv", 1_600_000, csv), ("l4.csv", 1_600_000, csv),
                          ("p1.jpg", 1_500_000, nil), ("p2.jpg", 1_500_000, nil), ("p3.jpg", 1_500_000, nil)], limit: 6_000_000,
            linked: ["p1.jpg"], compressed: ["l1.csv", "l2.csv", "l3.csv", "l4.csv"], atLevel: 6),
        Row(title: "of the single links that are enough, the smallest part leaves",
            attachments: [("big.jpg", 1_000_000, nil), ("medium.jpg", 800_000, nil), ("small.jpg", 600_000, nil)], limit: 2_700_000,
            linked: ["small.jpg"], compressed: []),
        Row(title: "one link either way: the photo that cannot compress leaves, the CSV that can is compressed",
            attachments: [("w.jpg", 60_000, nil), ("x.jpg", 19_000, nil), ("y.csv", 60_000, csv)], limit: 110_000,
            linked: ["x.jpg"], compressed: ["y.csv"], atLevel: 1),
        Row(title: "compress only and nothing is enough: everything worthwhile at the slowest level, still over",
            attachments: [("a.csv", 1_000_000, csv), ("b.jpg", 1_000_000, nil)], limit: 1_000_000, strategy: .compress,
            linked: [], compressed: ["a.csv"], atLevel: 9, fits: false),
        Row(title: "a bundle is all the attachments worth compressing, or none",
            attachments: [("a.csv", 1_000_000, csv), ("b.csv", 100_000, csv), ("c.jpg", 100_000, nil)], limit: 1_400_000, bundle: "files.zip",
            linked: [], compressed: ["a.csv", "b.csv"], atLevel: 1),
        Row(title: "--strategy link --link-over: the large one leaves whatever else fits; nothing is compressed",
            attachments: [("a.csv", 3_000_000, csv), ("b.csv", 100_000, csv)], limit: 10_000_000, strategy: .link, forced: ["a.csv"],
            linked: ["a.csv"], compressed: []),
        Row(title: "--level 9: only that level",
            attachments: [("a.csv", 400_000, csv), ("b.csv", 400_000, csv)], limit: 900_000, level: 9,
            linked: [], compressed: ["a.csv"], atLevel: 9),
    ]

    @Test("the plan each message must get", arguments: rows)
    func plans(row: Row) throws {
        let plan = try Self.planner(row).plan()
        #expect(plan.links.compactMap(\.filename) == row.linked)
        #expect(plan.compressions.compactMap(\.filename) == row.compressed)
        if let level = row.atLevel { #expect(plan.compressions.allSatisfy { $0.level == level }) }
        #expect(plan.fits == row.fits)
        // Every attachment is accounted for, and a kept one says why in a code.
        #expect(plan.actions.count == row.attachments.count)
        #expect(plan.actions.filter { $0.kind == .keep }.allSatisfy { $0.reason != nil })
    }

    @Test("a real archive larger than its estimate: asked again with the real figure, the planner changes the plan")
    func realFigureChangesThePlan() throws {
        let row = Self.rows[1]
        var model = Self.model(row)
        let first = try Self.planner(row, model: model).plan()
        #expect(first.compressions.compactMap(\.filename) == ["a.csv"] && first.compressions[0].estimated)
        // a.csv at level 1 really compresses to half, not to a quarter: it is not enough alone.
        model.made[ArchiveKey(members: [2], level: 1)] = 200_000
        let again = try Self.planner(row, model: model).plan()
        #expect(again.fits)
        #expect(again.compressions.compactMap(\.filename) != ["a.csv"] || again.compressions[0].level != 1)
        // Real figures for the other levels of the same attachment are scaled from it, not from the samples alone.
        let six = model.archiveBytes(ArchiveKey(members: [2], level: 6), name: "a.csv.zip")
        #expect(!six.exact && six.bytes == Int64((200_000 * 0.2 / 0.24).rounded(.up)))
    }

    @Test("the executor's last word: only choices made of real figures, though an estimate looks better")
    func exactOnly() throws {
        let row = Self.rows[1]
        var model = Self.model(row)
        // b.csv really compresses to a fifth at level 6; a.csv's figures are all estimates.
        model.made[ArchiveKey(members: [3], level: 6)] = 80_000
        var planner = Self.planner(row, model: model)
        #expect(try planner.plan().compressions.compactMap(\.filename) == ["a.csv"])
        planner.policy.exactOnly = true
        let plan = try planner.plan()
        #expect(plan.compressions.compactMap(\.filename) == ["b.csv"] && plan.compressions.allSatisfy { !$0.estimated && $0.level == 6 })
    }

    @Test("a choice that measured over is ruled out, and the next least change is given")
    func ruledOutChoice() throws {
        let row = Self.rows[1]
        var model = Self.model(row)
        let first = try Self.planner(row, model: model).plan()
        model.ruledOut.insert(Choice(linked: [], compressed: first.compressions.map(\.entity), level: 1))
        let again = try Self.planner(row, model: model).plan()
        #expect(again.fits)
        #expect(again.compressions.map(\.entity) != first.compressions.map(\.entity) || again.compressions.first?.level != 1)
    }

    @Test("many attachments: the search stays bounded and still finds a plan that fits with the fewest links it can see")
    func manyAttachments() throws {
        var attachments: [(String, Int64, Double?)] = []
        for number in 0..<40 {
            let isCSV = number % 2 == 0
            attachments.append(("f\(number)." + (isCSV ? "csv" : "jpg"), Int64(100_000 + number * 5_000), isCSV ? Self.csv : nil))
        }
        let row = Row(title: "forty", attachments: attachments, limit: 2_000_000, linked: [], compressed: [])
        let planner = Self.planner(row)
        let plan = try planner.plan()
        #expect(plan.fits)
        #expect(plan.links.allSatisfy { $0.filename?.hasSuffix(".jpg") == true }, "photos weigh most after the change; CSVs compress")
        // The fewest links that can fit, worked out here: the heaviest photos leave, every CSV compressed at level 9.
        let model = Self.model(row)
        let photos = model.candidates.filter { !$0.mayCompress }.sorted { $0.wireBytes > $1.wireBytes }
        let saved = try model.candidates.filter(\.mayCompress).reduce(Int64(0)) { total, csv in
            let name = csv.filename! + ".zip"
            let archive = model.archiveBytes(ArchiveKey(members: [csv.entity], level: 9), name: name).bytes
            return total + csv.wireBytes - SizeModel.wireBytes(archiveName: name, format: .zip, archiveBytes: archive)
        }
        let base = try model.linked([]).wireBytes
        var fewest = 0
        var wire = base - saved + 400
        while wire > row.limit && fewest < photos.count {
            wire += Self.linkBytes - photos[fewest].removalWireBytes
            fewest += 1
        }
        #expect(wire <= row.limit)
        #expect(plan.links.count == fewest)
    }
}
