import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// Messages of the shapes mail programs write, each with the plan `fix` must give it and, run for real, the size it
/// predicted written.
@Suite("The plan each kind of message gets")
struct MessageTable {
    typealias Examples = LeastChangeExamples

    enum Outcome: Sendable {
        /// Written: these parts linked and compressed; kept parts with their reason codes.
        case plan(linked: [String], compressed: [String], kept: [String: String] = [:])
        /// Nothing can make it fit: nothing is written.
        case nothingWritten
        /// Refused as it is (signed or encrypted).
        case refused
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var title: String
        var message: @Sendable () -> String
        var limit: Int64
        var strategy: FixStrategy = .auto
        var outcome: Outcome
        var testDescription: String { title }
    }

    static let text = "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe files.\r\n"

    static let rows: [Row] = [
        Row(title: "nested multiparts: one of two photos in an inner multipart leaves",
            message: {
                Examples.header + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" + text
                    + "--b\r\nContent-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n"
                    + "--inner\r\n" + Examples.part("a.jpg", type: "image/jpeg", Examples.noise(40_000, seed: 1))
                    + "--inner\r\n" + Examples.part("b.jpg", type: "image/jpeg", Examples.noise(30_000, seed: 2))
                    + "--inner--\r\n--b--\r\n"
            }, limit: 70_000, outcome: .plan(linked: ["b.jpg"], compressed: [], kept: ["a.jpg": "already-compressed"])),
        Row(title: "an alternative inside mixed: the CSV is compressed, the bodies stay",
            message: {
                Examples.header + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                    + "--b\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
                    + "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe ledger.\r\n"
                    + "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>The ledger.</p></body></html>\r\n"
                    + "--alt--\r\n--b\r\n" + Examples.part("ledger.csv", type: "text/csv", Examples.csv(200_000, seed: 3)) + "--b--\r\n"
            }, limit: 150_000, outcome: .plan(linked: [], compressed: ["ledger.csv"])),
        Row(title: "related images: the image the HTML shows is neither compressed nor linked; the attachment leaves",
            message: {
                Examples.header + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                    + "--b\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
                    + "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><img src=\"cid:logo@x\"></body></html>\r\n"
                    + "--rel\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n"
                    + "Content-Transfer-Encoding: base64\r\n\r\n" + Data(Examples.noise(20_000, seed: 4)).base64EncodedString(options: .lineLength76Characters)
                    + "\r\n--rel--\r\n--b\r\n" + Examples.part("plan.pdf", type: "application/pdf", Examples.noise(60_000, seed: 5)) + "--b--\r\n"
            }, limit: 60_000, outcome: .plan(linked: ["plan.pdf"], compressed: [], kept: ["logo.png": "shown-by-html"])),
        Row(title: "the message is the attachment: it leaves, and the message becomes the text with its link",
            message: {
                Examples.header + "Content-Type: application/pdf; name=\"lease.pdf\"\r\nContent-Disposition: attachment; filename=\"lease.pdf\"\r\n"
                    + "Content-Transfer-Encoding: base64\r\n\r\n" + Data(Examples.noise(40_000, seed: 6)).base64EncodedString(options: .lineLength76Characters) + "\r\n"
            }, limit: 20_000, outcome: .plan(linked: ["lease.pdf"], compressed: [])),
        Row(title: "everything over the limit is the text: nothing to take out, nothing written",
            message: {
                Examples.header + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                    + String(repeating: "A long patch line that no attachment carries.\r\n", count: 2_000)
            }, limit: 50_000, outcome: .nothingWritten),
        Row(title: "nothing compressible and only compression allowed: nothing written",
            message: {
                Examples.header + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" + text
                    + "--b\r\n" + Examples.part("a.jpg", type: "image/jpeg", Examples.noise(40_000, seed: 7))
                    + "--b\r\n" + Examples.part("b.mp4", type: "video/mp4", Examples.noise(40_000, seed: 8)) + "--b--\r\n"
            }, limit: 60_000, strategy: .compress, outcome: .nothingWritten),
        Row(title: "a signed message: refused, since any change breaks the signature",
            message: {
                Examples.header + "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=\"b\"\r\n\r\n" + text
                    + "--b\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n-----END PGP SIGNATURE-----\r\n--b--\r\n"
            }, limit: 100, outcome: .refused),
    ]

    @Test("the plan, and the size predicted is the size written", arguments: rows)
    func plans(row: Row) throws {
        let scratch = try LeastChangeExamples.Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        try Examples.write(row.message(), to: scratch)
        let share = scratch.folder.appendingPathComponent("share").path
        let job = LinkTests.job(limit: row.limit, strategy: row.strategy, share: share)
        let run = Result { () throws(FixError) -> FixResult in
            try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        }
        if case .failure(let error) = run {
            guard case .signedOrEncrypted = error, case .refused = row.outcome else { throw error }
            #expect(!FileManager.default.fileExists(atPath: scratch.output))
            return
        }
        let result = try run.get()
        switch row.outcome {
        case .refused:
            Issue.record("not refused")
        case .nothingWritten:
            #expect(result.nothingWritten && !result.fits)
            #expect(!FileManager.default.fileExists(atPath: scratch.output))
        case .plan(let linked, let compressed, let kept):
            #expect(result.fits)
            #expect(result.plan.links.compactMap(\.filename) == linked)
            #expect(result.plan.compressions.compactMap(\.filename) == compressed)
            for (name, code) in kept {
                #expect(result.plan.actions.first { $0.filename == name }?.reason?.code == code, "\(name)")
            }
            #expect(result.wireBytes == result.predictedWireBytes)
            // What the planner saw before anything was made gives the same choice.
            let plan = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
            #expect(plan.plan.links.compactMap(\.filename) == linked && plan.plan.compressions.compactMap(\.filename) == compressed)
        }
    }
}
