import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// Choosing the limit: sender's sending limit, every recipient's receiving limit, overrides, margin, default.
@Suite("Limits for a message")
struct LimitPolicyTests {
    let policy = LimitPolicy()

    @Test("a Gmail sender is held to 25 MB before encoding and to smtp.gmail.com's SIZE on the wire")
    func gmailSender() {
        let limits = policy.limits(sender: Mailbox(address: "a@gmail.com"), recipients: [], wireBytes: 30_000_000, decodedBytes: 24_000_000)
        #expect(limits.map(\.kind) == [.send, .smtpSize])
        #expect(limits[0].measuredOn == .raw && limits[0].measuredBytes == 24_000_000 && limits[0].fits)
        #expect(limits[1].measuredBytes == 30_000_000 + LimitPolicy.defaultMarginBytes && limits[1].fits)
    }

    @Test("each recipient domain counts once; the smallest headroom binds")
    func recipientsAndBinding() throws {
        let recipients = [Mailbox(address: "x@icloud.com"), Mailbox(address: "y@icloud.com"), Mailbox(address: "z@gmail.com")]
        let limits = policy.limits(sender: Mailbox(address: "me@gmail.com"), recipients: recipients, wireBytes: 21_000_000, decodedBytes: 15_000_000)
        #expect(limits.filter { $0.origin == .recipient }.map(\.domain) == ["icloud.com", "gmail.com"])
        let result = CheckResult(file: "m", sourceBytes: 0, wireBytes: 21_000_000, decodedBytes: 15_000_000, subject: nil,
                                 sender: nil, recipients: recipients, parts: [], limits: limits, problems: [], signedOrEncrypted: false)
        #expect(result.binding.providerID == "icloud")
        #expect(result.binding.headroomBytes == 20_000_000 - 21_000_000 - LimitPolicy.defaultMarginBytes)
        #expect(!result.fits)
    }

    @Test("unknown domains get the documented default; a provider without a receive figure lends its sending limit")
    func unknownAndAssumed() {
        let limits = policy.limits(sender: nil, recipients: [Mailbox(address: "a@example.org"), Mailbox(address: "b@outlook.com")],
                                   wireBytes: 1000, decodedBytes: 500)
        #expect(limits[0].kind == .unknownDomainDefault && limits[0].bytes == 10_240_000)
        #expect(limits[1].kind == .receiveAssumedFromSend && limits[1].bytes == 25_000_000)
    }

    @Test("--limit and --provider replace the address lookup")
    func overrides() {
        let user = LimitPolicy(userLimitBytes: 1_000_000, marginBytes: 0)
        let limits = user.limits(sender: Mailbox(address: "a@gmail.com"), recipients: [], wireBytes: 1_000_000, decodedBytes: 0)
        #expect(limits.count == 1 && limits[0].origin == .user && limits[0].fits)
        let provider = LimitPolicy(providerID: "postfix")
        let postfix = provider.limits(sender: Mailbox(address: "a@gmail.com"), recipients: [Mailbox(address: "b@icloud.com")], wireBytes: 10, decodedBytes: 0)
        #expect(postfix.map(\.bytes) == [10_240_000, 10_240_000])
        #expect(postfix.allSatisfy { $0.origin == .provider })
    }

    @Test("with no address at all the default applies")
    func noAddresses() {
        let limits = policy.limits(sender: nil, recipients: [], wireBytes: 1, decodedBytes: 1)
        #expect(limits.map(\.origin) == [.fallback])
    }

    @Test("sizes parse the way people write them; MB is 10^6 and a bare M takes the smaller reading")
    func byteCounts() {
        #expect(ByteCount.parse("10MB") == 10_000_000)
        #expect(ByteCount.parse("10 MiB") == 10_485_760)
        #expect(ByteCount.parse("10M") == 10_000_000)
        #expect(ByteCount.parse("1.5GB") == 1_500_000_000)
        #expect(ByteCount.parse("10240000") == 10_240_000)
        #expect(ByteCount.parse("1.5") == nil)
        #expect(ByteCount.parse("ten") == nil)
        #expect(ByteCount.parse("-5MB") == nil)
        #expect(ByteCount.human(25_000_000) == "25.0 MB")
        #expect(ByteCount.human(999) == "999 B")
        #expect(ByteCount.grouped(10_240_000) == "10,240,000")
    }
}

/// Checking many files at once: results come out in the order the files were given, one at a time.
@Suite("Batch checks")
struct BatchCheckTests {
    final class Collected: @unchecked Sendable {
        var files: [String] = []
    }

    @Test("outcomes are emitted in input order, whichever worker finishes first")
    func order() {
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Samples").path
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: samples)) ?? []).filter { $0.hasSuffix(".eml") }
        // Large and small files interleaved, and each given several times, so workers finish out of order.
        let files = (0..<20).flatMap { round in names.map { "\(samples)/\($0)" }.shuffled() + ["\(samples)/missing-\(round).eml"] }
        let collected = Collected()
        BatchCheck(check: MessageCheck(policy: LimitPolicy())).run(files, transform: { $0.file }, emit: { collected.files.append($0) })
        #expect(collected.files == files)
    }
}

extension LimitPolicyTests {
    @Test("a list with its own address in the table wins over its domain: gcc-patches takes 400 kB, the other gcc.gnu.org lists 100 kB")
    func listAddress() {
        let policy = LimitPolicy(marginBytes: 0)
        let limits = policy.limits(sender: nil, recipients: [Mailbox(address: "gcc-patches@gcc.gnu.org"), Mailbox(address: "gcc@gcc.gnu.org")],
                                   wireBytes: 200_000, decodedBytes: 200_000)
        #expect(limits.map(\.providerID) == ["gcc-patches", "gcc-lists"])
        #expect(limits.map(\.bytes) == [400_000, 100_000])
        #expect(limits.map(\.fits) == [true, false])
    }
}
