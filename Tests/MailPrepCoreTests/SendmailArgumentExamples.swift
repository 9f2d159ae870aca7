import Testing
@testable import MailPrepCore

/// sendmail command lines as mail tools write them, read as Postfix's getopt reads them; the real sender gets
/// every word but mailprep's own, in the order given.
@Suite("sendmail command lines")
struct SendmailArgumentExamples {
    @Test("mutt: -oem -oi -- recipients; mailprep's own --limit leaves no trace for the real sender")
    func mutt() throws {
        let arguments = try SendmailArguments(parsing: ["--limit", "10MB", "-oem", "-oi", "--", "wong@example.org", "lee@example.com"])
        #expect(arguments.recipients == ["wong@example.org", "lee@example.com"])
        #expect(arguments.value("limit") == "10MB")
        #expect(arguments.forRealSender == ["-oem", "-oi", "--", "wong@example.org", "lee@example.com"])
        #expect(arguments.mode == "m" && !arguments.recipientsFromHeader && arguments.sender == nil)
    }

    @Test("options with values, attached or as the next word; clusters as getopt reads them (-ti, -oi)", arguments: [
        (["-f", "chan@example.hk", "-t", "-i"], "chan@example.hk", true),
        (["-fchan@example.hk", "-ti"], "chan@example.hk", true),
        (["-r", "chan@example.hk", "x@example.org"], "chan@example.hk", false),
        (["-F", "Chan Tai Man", "-oi", "x@example.org"], nil, false),
    ] as [([String], String?, Bool)])
    func values(words: [String], sender: String?, fromHeader: Bool) throws {
        let arguments = try SendmailArguments(parsing: words)
        #expect(arguments.sender == sender)
        #expect(arguments.recipientsFromHeader == fromHeader)
        #expect(arguments.forRealSender == words, "nothing added, dropped or moved")
        #expect(!arguments.recipients.contains("Chan Tai Man"), "-F's value is not a recipient")
    }

    @Test("another program's options keep their place: msmtp's -a ACCOUNT and --account=NAME reach it as written")
    func otherPrograms() throws {
        let short = try SendmailArguments(parsing: ["-a", "icloud", "-oi", "wong@example.org"])
        #expect(short.forRealSender == ["-a", "icloud", "-oi", "wong@example.org"])
        let long = try SendmailArguments(parsing: ["--via", "msmtp", "--account=icloud", "-t"])
        #expect(long.forRealSender == ["--account=icloud", "-t"] && long.value("via") == "msmtp")
    }

    @Test("not a message to judge: -bp, -bs, -q, -I")
    func modes() throws {
        #expect(try SendmailArguments(parsing: ["-bp"]).mode == "p")
        #expect(try SendmailArguments(parsing: ["-bs"]).mode == "s")
        #expect(try SendmailArguments(parsing: ["-q"]).notAMessage)
        #expect(try SendmailArguments(parsing: ["-q30m"]).notAMessage)
        #expect(try SendmailArguments(parsing: ["-I"]).notAMessage)
    }

    @Test("mailprep's own options: a value missing, or given to a flag, is a usage error")
    func ownOptions() {
        #expect(throws: SendmailArguments.Problem.missingValue("--via")) { try SendmailArguments(parsing: ["-oi", "--via"]) }
        #expect(throws: SendmailArguments.Problem.unexpectedValue("--protect")) { try SendmailArguments(parsing: ["--protect=yes"]) }
    }
}
