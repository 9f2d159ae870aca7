/// Every user-facing text of the reports, in one language. Adding a text means adding it to each language,
/// which the compiler enforces.
public struct Catalog: Sendable {
    public var columnPart: String
    public var columnType: String
    public var columnName: String
    public var columnEncoding: String
    public var columnWire: String
    public var columnDecoded: String
    public var bytes: @Sendable (String) -> String
    public var total: @Sendable (_ wire: String, _ decoded: String) -> String
    public var limitLine: @Sendable (_ limit: String, _ measuredOn: ProviderEntry.MeasuredOn) -> String
    public var margin: @Sendable (String) -> String
    public var fits: @Sendable (String) -> String
    public var over: @Sendable (String) -> String
    public var otherLimits: String
    public var unconfirmed: String
    public var problems: String
    public var unitNote: String
    public var signedOrEncrypted: String
    public var who: @Sendable (AppliedLimit) -> String
    public var what: @Sendable (AppliedLimit) -> String
    public var problem: @Sendable (Problem) -> String
    public var failure: @Sendable (CheckFailure) -> String
    public var at: @Sendable (_ offset: String, _ path: String?) -> String
    public var summary: @Sendable (_ count: Int, _ fit: Int, _ over: Int, _ failed: Int) -> String
    public var largest: String
    /// A folder summary's line for the messages over one limit: how many, and the limit ("who: what, size").
    public var summaryOver: @Sendable (_ count: Int, _ limit: String) -> String
    /// IMAP: the server could not be reached; TLS failed; the login was refused; a command was refused (a folder
    /// that does not exist); the answer could not be read. Each gets the folder's address and the server's or
    /// libcurl's words.
    public var imapUnreachable: @Sendable (_ folder: String, _ detail: String) -> String
    public var imapTLS: @Sendable (_ folder: String, _ detail: String) -> String
    public var imapLogin: @Sendable (_ folder: String, _ detail: String) -> String
    public var imapRefused: @Sendable (_ folder: String, _ reply: String) -> String
    public var imapProtocol: @Sendable (_ folder: String, _ detail: String) -> String
    public var imapNoDrafts: @Sendable (_ server: String) -> String
    public var imapEmpty: @Sendable (_ folder: String) -> String
    public var imapNoStartTLS: @Sendable (_ folder: String) -> String
    public var imapNoSuchUID: @Sendable (_ folder: String, _ uid: UInt32) -> String
    public var imapBadUID: @Sendable (String) -> String
    /// An IMAP address that cannot be used: not one, a password in it, no user, plain IMAP over the network.
    public var imapNotURL: @Sendable (String) -> String
    public var imapPasswordInURL: @Sendable (String) -> String
    public var imapNoUser: @Sendable (String) -> String
    public var imapPlain: @Sendable (_ url: String, _ host: String) -> String
    /// Under a folder summary when sizes are the IMAP server's.
    public var serverSizesNote: String
    /// `fix` was given an IMAP folder, not one message.
    public var fixIMAPOne: @Sendable (String) -> String
    /// `fix` was given an mbox of several messages: fix one, FILE#N.
    public var fixOneOf: @Sendable (_ path: String, _ count: Int) -> String
    /// A folder (or mbox) given to check holds no messages.
    public var noMessagesIn: @Sendable (String) -> String
    public var fitsShort: String
    public var overShort: String
    public var failedShort: String
    public var progress: @Sendable (_ done: Int, _ total: Int) -> String
    public var tableProvider: String
    public var tableDomains: String
    public var tableSend: String
    public var tableReceive: String
    public var tableLargeFiles: String
    public var tableSource: String
    public var tableNotes: String
    public var fixPlanFor: @Sendable (String) -> String
    public var fixCompress: String
    public var fixKeep: String
    public var fixColumnAction: String
    public var fixColumnBefore: String
    public var fixColumnAfter: String
    public var fixColumnRatio: String
    public var fixColumnTime: String
    public var fixNothingToDo: String
    public var fixTotal: @Sendable (_ size: String, _ estimated: Bool) -> String
    public var fixLargest: String
    public var fixNeedsLink: String
    public var fixBackup: @Sendable (String) -> String
    public var fixLink: String
    public var fixRemove: String
    public var fixRemovedNote: String
    public var fixLinksUntil: @Sendable (_ date: String) -> String
    public var fixPassword: @Sendable (String) -> String
    public var fixNoShareURL: String
    public var fixStillOver: String
    public var fixStillOverRemoved: String
    public var fixNoAttachments: String
    public var fixNothingWritten: String
    public var fixLinkInPlan: @Sendable (String) -> String
    /// The one line for a `fix` that could not go on (an unreadable input has its own, `failure`).
    public var fixError: @Sendable (FixError, _ catalog: Catalog) -> String
    /// How a limit is measured, in `mailprep limits`: on the encoded message, or on the content before encoding.
    public var measuredEncoded: String
    public var measuredRaw: String
    public var days: @Sendable (Int) -> String
    public var tableAccounts: String
    /// `mailprep share list`, `remove` and `prune`.
    public var shareUntil: @Sendable (_ date: String) -> String
    public var shareExpired: String
    public var shareDownloads: @Sendable (Int) -> String
    public var sharePassword: String
    public var shareSummary: @Sendable (_ count: Int, _ size: String, _ folder: String) -> String
    public var shareRemoved: @Sendable (_ count: Int, _ dryRun: Bool) -> String
    public var shareRemoving: @Sendable (_ dryRun: Bool) -> String
    public var sharePruned: @Sendable (_ count: Int, _ dryRun: Bool) -> String
    public var sharePruning: @Sendable (_ dryRun: Bool) -> String
    public var shareUnknownToken: @Sendable (String) -> String
    public var shareNoneFromMessage: @Sendable (String) -> String
    public var shareCannotRemove: @Sendable (_ token: String, _ folder: String) -> String
    /// `mailprep serve`.
    public var serveNoShare: @Sendable (String) -> String
    public var serveServing: @Sendable (_ folder: String, _ address: String) -> String
    public var serveCannotListen: @Sendable (_ address: String, _ reason: String) -> String
    /// The sender's provider's own service for big files, when a message is over: name, largest file, days kept.
    public var largeFileAdvice: @Sendable (_ provider: String, _ service: String, _ maxFile: String?, _ days: Int?) -> String
    /// `mailprep sendmail`: a message not sent, and why; what would make it fit; the real sender.
    public var sendRefused: @Sendable (_ size: String, _ limit: String, _ whose: String, _ over: String) -> String
    public var sendCompressWouldFit: @Sendable (_ format: String, _ size: String) -> String
    public var sendCompressNotEnough: @Sendable (_ size: String, _ linksPossible: Bool) -> String
    public var sendFixNotEnough: @Sendable (_ size: String) -> String
    public var sendLinksNeedURL: String
    public var sendWarned: @Sendable (_ size: String, _ limit: String, _ whose: String) -> String
    public var sendFixed: @Sendable (_ before: String, _ after: String, _ compressed: Int, _ linked: Int) -> String
    public var sendNoRealSender: String
    public var sendLoop: @Sendable (String) -> String
    public var sendCannotRun: @Sendable (_ command: String, _ reason: String) -> String
    public var sendRealSenderFailed: @Sendable (_ status: Int32, _ sharedRemoved: Int) -> String
    public var sendNoLog: @Sendable (String) -> String
    public var sendBadOversize: @Sendable (String) -> String
    public var sendNotAMessage: String
    public var sendLogFromTo: @Sendable (_ from: String, _ to: String) -> String
    /// `mailprep git-validate`, git send-email's hook.
    public var gitFits: @Sendable (_ patch: String, _ size: String, _ judged: String, _ from: String) -> String
    public var gitOver: @Sendable (_ patch: String, _ size: String, _ whose: String, _ limit: String, _ over: String) -> String
    public var gitJudged: @Sendable (_ judged: String, _ from: String) -> String
    public var gitRecipientsFromGit: String
    public var gitRecipientsFromPatch: String
    public var gitNoRecipients: String
    public var gitNotARepository: String
    public var gitHookExists: @Sendable (String) -> String
    public var gitHookInstalled: @Sendable (String) -> String
    /// `mailprep probe`.
    public var probeSecurity: @Sendable (_ security: String?, _ verified: Bool) -> String
    public var probeSize: @Sendable (_ bytes: String, _ human: String) -> String
    public var probeSizeUnlimited: String
    public var probeNoSize: String
    public var probeAuth: @Sendable (String) -> String
    public var probeSaved: @Sendable (_ server: String, _ path: String) -> String
    public var probeError: @Sendable (_ server: String, _ error: String) -> String
    public var probeCannotConnect: @Sendable (_ reason: String) -> String
    public var probeTimedOut: @Sendable (_ seconds: Int, _ step: String) -> String
    public var probeTLSFailed: @Sendable (_ reason: String) -> String
    public var probeUnexpectedReply: @Sendable (_ step: String, _ reply: String) -> String
    public var probeClosed: @Sendable (_ step: String) -> String
    /// `mailprep relay`.
    public var relayNoUpstream: String
    public var relayPassthroughNeedsTLS: String
    public var relayNetworkNeedsAuth: String
    public var relayLoopbackOnly: @Sendable (String) -> String
    public var relayCertificate: @Sendable (_ fingerprint: String, _ path: String, _ made: Bool) -> String
    public var relayCertificateFailed: @Sendable (_ reason: String) -> String
    public var relayUpstreamFailedPlain: String
    public var relayUpstreamClosed: String
    public var relayAuthUnavailable: String
    public var relayListening: @Sendable (_ address: String, _ upstream: String) -> String
    public var relayUpstreamFailed: @Sendable (_ upstream: String, _ reason: String) -> String
    public var relayCouldNotFix: String
    public var relayNoTemporaryFolder: @Sendable (String) -> String
    /// `mailprep watch`: the line once it watches (how many folders; by scanning or told by the system), a
    /// draft over that fits now, the desktop notification, and why folders cannot be watched.
    public var watchWatching: @Sendable (_ folders: Int, _ scanning: Bool) -> String
    public var watchFitsNow: String
    public var watchNotificationTitle: @Sendable (_ size: String, _ limit: String) -> String
    public var watchNotificationBody: @Sendable (_ draft: String, _ whose: String) -> String
    public var watchNoFolder: @Sendable (String) -> String
    public var watchNotAFolder: @Sendable (String) -> String
    public var watchNoPermission: @Sendable (String) -> String
    public var watchSystemLimit: @Sendable (String) -> String
    public var watchFailed: @Sendable (_ path: String, _ reason: String) -> String
    public var watchUnwatched: @Sendable (String) -> String
    public var watchRootGone: @Sendable (String) -> String
}

extension Catalog {
    public static let english = Catalog(
        columnPart: "part", columnType: "type", columnName: "name", columnEncoding: "encoding",
        columnWire: "wire", columnDecoded: "decoded",
        bytes: { "\($0) bytes" },
        total: { wire, decoded in "total: \(wire) on the wire; \(decoded) before encoding" },
        limitLine: { limit, on in "limit: \(limit) on the \(on == .encoded ? "encoded message" : "content before encoding")" },
        margin: { "\($0) kept free for headers added in transit" },
        fits: { "fits, \($0) to spare" },
        over: { "OVER the limit by \($0)" },
        otherLimits: "other limits that apply:",
        unconfirmed: "(figure not confirmed by the provider)",
        problems: "problems:",
        unitNote: "kB, MB, GB = 10^3, 10^6, 10^9 bytes",
        signedOrEncrypted: "signed or encrypted: mailprep will not change this message",
        who: { limit in
            switch limit.origin {
            case .sender: "sender \(limit.address ?? "")"
            case .recipient: "recipient \(limit.address ?? "")"
            case .provider: "--provider \(limit.providerID ?? "")"
            case .user: "--limit"
            case .fallback: "no sender or recipient address"
            }
        },
        what: { limit in
            let name = limit.providerName ?? ""
            switch limit.kind {
            case .send: return "\(name) sending limit"
            case .receive: return "\(name) receiving limit"
            case .smtpSize: return "SIZE advertised by \(name)'s submission server"
            case .receiveAssumedFromSend: return "\(name) publishes no receiving limit; its sending limit is assumed"
            case .unknownDomainDefault: return limit.domain.map { "\($0) is not in the provider table; default limit" } ?? "default limit"
            case .user: return "given on the command line"
            }
        },
        problem: { englishProblem($0) },
        failure: { failure in
            switch failure.kind {
            case .notFound: "\(failure.file): no such file"
            case .permissionDenied: "\(failure.file): permission denied"
            case .isDirectory: "\(failure.file): is a folder"
            case .ioError: "\(failure.file): read error (errno \(failure.detail ?? "?"))"
            case .emptyMessage: "\(failure.file): empty file, not a message"
            case .notAMessage: "\(failure.file): not a message (no header fields at the start)"
            case .noSuchMessage: "\(failure.file): no such message; the mbox holds \(failure.detail ?? "?") messages"
            case .notAMailbox: "\(failure.file): not an mbox, so it has no numbered messages"
            }
        },
        at: { offset, path in "at byte \(offset)" + (path.map { ", part \($0)" } ?? "") },
        summary: { count, fit, over, failed in "\(count) messages: \(fit) fit, \(over) over the limit, \(failed) unreadable or not messages" },
        largest: "largest:",
        summaryOver: { count, limit in "  \(count) over \(limit)" },
        imapUnreachable: { folder, detail in "\(folder): cannot reach the server (\(detail))" },
        imapTLS: { folder, detail in "\(folder): TLS failed (\(detail)); the server's certificate is not trusted or does not name it (a private CA: --ca-file)" },
        imapLogin: { folder, detail in "\(folder): the server refused the login (\(detail)); the password comes from $MAILPREP_IMAP_PASSWORD or your netrc file (an app password for iCloud and Gmail)" },
        imapRefused: { folder, reply in "\(folder): the server said: \(reply)" },
        imapProtocol: { folder, detail in "\(folder): the server's answer could not be read (\(detail))" },
        imapNoDrafts: { "\($0): no folder is marked as drafts on this server; name one: \($0)FOLDER" },
        imapEmpty: { "\($0): no messages in this folder" },
        imapNoStartTLS: { "\($0): the server offers no STARTTLS, so the login would cross the network unencrypted; use imaps:// (port 993), or --allow-plain-imap if you must" },
        imapNoSuchUID: { folder, uid in "\(folder): no message with UID \(uid) in this folder" },
        imapBadUID: { "\($0): ;UID= needs a message's UID, a number from 1" },
        imapNotURL: { "\($0): not an IMAP address; use imaps://user@host/Folder" },
        imapPasswordInURL: { "\($0): no password in the address (it would be in your shell history); set MAILPREP_IMAP_PASSWORD or use a netrc file" },
        imapNoUser: { "\($0): the address needs a user name: imaps://user@host/Folder" },
        imapPlain: { url, host in "\(url): imap:// would send your password to \(host) unencrypted; use imaps://, or --allow-plain-imap if you must" },
        serverSizesNote: "sizes are the IMAP server's (RFC822.SIZE; decoded sizes estimated from BODYSTRUCTURE); --exact downloads each message and counts it",
        fixIMAPOne: { "\($0): a folder; fix one message of it: \($0)/;UID=n (mailprep check \($0) lists them)" },
        fixOneOf: { path, count in "\(path): an mbox of \(count) messages; fix one at a time: \(path)#1 to \(path)#\(count) (mailprep check \(path) lists them)" },
        noMessagesIn: { "\($0): no messages here (looked for .eml, .emlx, mbox, MH, and Maildir cur/ and new/)" },
        fitsShort: "fits", overShort: "OVER", failedShort: "ERROR",
        progress: { done, total in "checked \(done) of \(total)" },
        tableProvider: "provider", tableDomains: "domains", tableSend: "send", tableReceive: "receive",
        tableLargeFiles: "large files", tableSource: "source", tableNotes: "notes",
        fixPlanFor: { "plan for \($0) (nothing written)" },
        fixCompress: "compress", fixKeep: "keep",
        fixColumnAction: "action", fixColumnBefore: "before", fixColumnAfter: "after", fixColumnRatio: "ratio", fixColumnTime: "time",
        fixNothingToDo: "no attachments",
        fixTotal: { size, estimated in "result: \(size) on the wire" + (estimated ? " (estimated from samples)" : "") },
        fixLargest: "largest parts now:",
        fixNeedsLink: "compression alone cannot make it fit: the largest attachments need to leave the message (--strategy auto or link, with a share)",
        fixBackup: { "original kept as \($0)" },
        fixLink: "link",
        fixRemove: "leave out",
        fixRemovedNote: "left out: the message says so, with each file's name, size and SHA-256; send those files another way",
        fixLinksUntil: { "download links, working until \($0):" },
        fixPassword: { "password for the downloads (give it to the recipients separately; it is not in the message): \($0)" },
        fixNoShareURL: "links to the file share would be needed, but no share URL is configured (--share-url, or share_url in the configuration file); mailprep will not mail a link that only this machine can open",
        fixStillOver: "even with every attachment linked it does not fit: what is left is the message's text and the images it shows inline",
        fixStillOverRemoved: "even with every attachment left out it does not fit: what is left is the message's text and the images it shows inline",
        fixNoAttachments: "it has no attachments to compress or link: its text (and the images it shows inline) alone is over the limit; shorten it, split it into several messages, or send the content as a file another way",
        fixNothingWritten: "nothing was written: no change mailprep can make would make it fit",
        fixLinkInPlan: { "\($0): its address is made when it is shared" },
        fixError: { error, catalog in
            switch error {
            case .input(let failure): catalog.failure(failure)
            case .insideMailbox(let file): "\(file): is inside a mailbox, which mailprep never rewrites; without --in-place the fixed message is written beside it as a file of its own (or -o FILE)"
            case .partialEMLX(let file): "\(file): Apple Mail keeps this message's attachments apart, so it is not whole here; in Mail, File > Save As… > Raw Message Source, then fix that file"
            case .signedOrEncrypted(let file):
                "\(file): signed or encrypted; changing it would break the signature or the encryption, so mailprep will not"
            case .damagedPart(let file, let path, let filename, let problem):
                "\(file): part \(path)\(filename.map { " (\($0))" } ?? "") is damaged (\(problem)); mailprep will not compress it"
            case .outputExists(let path): "\(path): exists; use --force to replace it"
            case .write(let failure):
                failure.isNoSpace ? "\(failure.path): disk full; nothing was written" : "\(failure); nothing was written"
            case .archive(let failure): "libarchive: \(failure.message); nothing was written"
            case .shareURL(.missing): catalog.fixNoShareURL
            case .shareURL(.invalid(let url)): "share URL \(url): not an http or https address"
            case .shareURL(.loopback(let url)):
                "share URL \(url) is this machine's own address; recipients could not open it. Set the share's public address (--share-url)"
            case .share(.write(let file)):
                "share: \(file.isNoSpace ? "\(file.path): disk full" : "\(file)"); the message was not written"
            case .share(.verificationFailed):
                "share: the file read back differs from what was written (failing disk?); the message was not written"
            case .share(.unreadableMetadata(let path)): "share: \(path): unreadable metadata; the message was not written"
            case .template(let reason): reason
            case .internalError(let message): "internal error: \(message)"
            }
        },
        measuredEncoded: "encoded", measuredRaw: "before encoding",
        days: { "\($0) days" },
        tableAccounts: "accounts (from the configuration file):",
        shareUntil: { "until \($0)" },
        shareExpired: "expired",
        shareDownloads: { $0 == 1 ? "1 download" : "\($0) downloads" },
        sharePassword: "password",
        shareSummary: { count, size, folder in "\(count) shared (\(size)) in \(folder)" },
        shareRemoved: { count, dryRun in dryRun ? "\(count) would be removed (nothing removed)" : "\(count) removed" },
        shareRemoving: { $0 ? "would remove " : "removed " },
        sharePruned: { count, dryRun in dryRun ? "\(count) expired (nothing deleted)" : "\(count) expired deleted" },
        sharePruning: { $0 ? "would delete " : "deleted " },
        shareUnknownToken: { "\($0): nothing is shared under this token (see mailprep share list)" },
        shareNoneFromMessage: { "no shared file came from the message \($0)" },
        shareCannotRemove: { token, folder in "\(token): could not be deleted from \(folder) (permissions?); its link still works" },
        serveNoShare: { "\($0): no such share folder (check --share or share in the configuration file; mailprep fix makes the folder when it first shares a file)" },
        serveServing: { folder, address in "serving \(folder) on \(address)" },
        serveCannotListen: { address, reason in "serve: cannot listen on \(address): \(reason)" },
        largeFileAdvice: { provider, service, maxFile, days in
            var text = "\(provider)'s own answer for big files: \(service)"
            let facts = [maxFile.map { "files up to \($0)" }, days.map { "kept \($0) days" }].compactMap { $0 }
            if !facts.isEmpty { text += " (" + facts.joined(separator: ", ") + ")" }
            return text + "; or let mailprep fix compress the attachments or link them from your share"
        },
        sendRefused: { size, limit, whose, over in "not sent: the message is \(size), over the \(limit) limit of \(whose) by \(over)" },
        sendCompressWouldFit: { format, size in "compressing the attachments (\(format)) would make it \(size): send with --oversize fix (or oversize: fix in the configuration file)" },
        sendCompressNotEnough: { size, links in "compressing gets it to \(size), still over; " + (links ? "--oversize fix links the largest attachments from your share" : "links to your share need a share URL (--share-url, or share_url in the configuration file)") },
        sendFixNotEnough: { "not sent: the most mailprep can do leaves it at \($0), still over; send the files another way" },
        sendLinksNeedURL: "nothing in it compresses; links to your share need a share URL (--share-url, or share_url in the configuration file)",
        sendWarned: { size, limit, whose in "sent over the limit (--oversize warn): \(size), over the \(limit) limit of \(whose)" },
        sendFixed: { before, after, compressed, linked in "fixed before sending: \(before) → \(after) (\(compressed) compressed, \(linked) linked); mailprep sendmail --last shows it" },
        sendNoRealSender: "no real sender to hand the message to: give --via 'msmtp -a ACCOUNT' (or your MTA's sendmail), or send_via in the configuration file",
        sendLoop: { "--via \($0) is mailprep itself, which would call itself for ever; give the program that really sends (msmtp, your MTA's sendmail)" },
        sendCannotRun: { command, reason in "cannot run the real sender \(command): \(reason)" },
        sendRealSenderFailed: { status, removed in "the real sender failed (exit \(status)); nothing was sent by mailprep" + (removed > 0 ? ", and the " + (removed == 1 ? "file" : "\(removed) files") + " it put into the share for this message " + (removed == 1 ? "was" : "were") + " removed" : "") },
        sendNoLog: { "no message has been changed by mailprep sendmail yet (the log is \($0))" },
        sendBadOversize: { "oversize \($0): use fix, refuse or warn" },
        sendNotAMessage: "not sent: standard input is not a message (no header fields at the start)",
        sendLogFromTo: { from, to in "from \(from) to \(to)" },
        gitFits: { patch, size, judged, from in "\(patch): \(size), fits (judged for \(judged); \(from))" },
        gitOver: { patch, size, whose, limit, over in "\(patch) is \(size), over the \(limit) limit of \(whose) by \(over): git send-email sends none of the series" },
        gitJudged: { judged, from in "judged for \(judged) (\(from))" },
        gitRecipientsFromGit: "the recipients git gave the hook",
        gitRecipientsFromPatch: "recipients from the patch and git's sendemail.to, cc and bcc",
        gitNoRecipients: "no recipients (only the sender's limit)",
        gitNotARepository: "not in a git repository: run it where git send-email runs",
        gitHookExists: { "\($0): a hook that is not mailprep's is there; --force replaces it" },
        gitHookInstalled: { "installed \($0): git send-email now checks each patch with mailprep first" },
        probeSecurity: { security, verified in
            switch security {
            case "tls": "TLS from the start" + (verified ? ", certificate verified" : ", certificate NOT verified (--insecure)")
            case "starttls": "STARTTLS" + (verified ? ", certificate verified" : ", certificate NOT verified (--insecure)")
            default: "no TLS: the server does not offer STARTTLS"
            }
        },
        probeSize: { bytes, human in "SIZE \(bytes) bytes (\(human)): the largest message it takes, as sent" },
        probeSizeUnlimited: "SIZE 0: it announces no fixed limit",
        probeNoSize: "no SIZE: the server does not say how large a message it takes",
        probeAuth: { "AUTH \($0)" },
        probeSaved: { server, path in "saved for \(server) in \(path); check, fix and sendmail use it for the senders that submission: in the configuration file sends through it" },
        probeError: { server, error in "probe \(server): \(error)" },
        probeCannotConnect: { "cannot connect: \($0)" },
        probeTimedOut: { seconds, step in "no answer within \(seconds) s (\(step))" },
        probeTLSFailed: { "TLS failed: \($0)" },
        probeUnexpectedReply: { step, reply in "unexpected reply to \(step): \(reply)" },
        probeClosed: { "the server closed the connection" + ($0.isEmpty ? "" : " (\($0))") },
        relayNoUpstream: "relay: no real server to relay to: give --upstream host:port, or relay: entries in the configuration file",
        relayPassthroughNeedsTLS: "relay: --upstream-auth passthrough needs --upstream-tls starttls or tls: the client's password must not cross to the upstream in the clear",
        relayNetworkNeedsAuth: "relay: listening beyond this machine needs --upstream-auth passthrough, so that every message is sent under its sender's own login (never an open relay)",
        relayLoopbackOnly: { "relay --listen \($0): not a loopback address; add --allow-network to take mail from other machines (they must then use STARTTLS and AUTH)" },
        relayCertificate: { fingerprint, path, made in (made ? "made a certificate for STARTTLS: " : "STARTTLS certificate: ") + "\(path), SHA-256 \(fingerprint) (the mail client shows it when asked to trust the server)" },
        relayCertificateFailed: { "relay: no STARTTLS certificate: \($0)" },
        relayUpstreamFailedPlain: "the upstream server failed; the message stays with you, try again later",
        relayUpstreamClosed: "the upstream server ended the session; connect again (the message stays with you)",
        relayAuthUnavailable: "the upstream server cannot be asked to check the login just now; try again later",
        relayListening: { address, upstream in "relaying on smtp://\(address) to \(upstream)" },
        relayUpstreamFailed: { upstream, reason in "upstream \(upstream) failed: \(reason); the message stays with you, try again later" },
        relayCouldNotFix: "mailprep could not make it fit: send the files another way",
        relayNoTemporaryFolder: { "cannot make a temporary folder in \($0) to fix the message; try again later" },
        watchWatching: { folders, scanning in
            "watching \(folders) folder\(folders == 1 ? "" : "s")" + (scanning ? " (looking for changes every second)" : "") + "; Ctrl-C to stop"
        },
        watchFitsNow: "fits now",
        watchNotificationTitle: { size, limit in "Draft too large: \(size), the limit is \(limit)" },
        watchNotificationBody: { draft, whose in "\(draft)\n\(whose); mailprep fix can make it fit" },
        watchNoFolder: { "\($0): no such folder" },
        watchNotAFolder: { "\($0): not a folder; watch takes folders (mailprep check takes files)" },
        watchNoPermission: { "\($0): permission denied" },
        watchSystemLimit: { "cannot watch \($0): the system's limit on watched folders is reached (raise fs.inotify.max_user_watches and max_user_instances, or watch fewer folders)" },
        watchFailed: { path, reason in "cannot watch \(path): \(reason)" },
        watchUnwatched: { "\($0): a new folder the system will not watch (fs.inotify.max_user_watches reached); changes in it go unseen" },
        watchRootGone: { "\($0): the folder was deleted or moved away; it is no longer watched" },
    )

    public static let traditionalChinese = Catalog(
        columnPart: "部分", columnType: "類型", columnName: "名稱", columnEncoding: "編碼",
        columnWire: "傳送大小", columnDecoded: "解碼後",
        bytes: { "\($0) 位元組" },
        total: { wire, decoded in "總計：傳送時 \(wire)；編碼前 \(decoded)" },
        limitLine: { limit, on in "上限：\(limit)（以\(on == .encoded ? "編碼後的整封郵件" : "編碼前的內容")計算）" },
        margin: { "預留 \($0) 給傳送途中加入的標頭" },
        fits: { "可以寄出，尚餘 \($0)" },
        over: { "超出上限 \($0)" },
        otherLimits: "其他適用的上限：",
        unconfirmed: "（此數字未經服務商證實）",
        problems: "問題：",
        unitNote: "kB、MB、GB = 10^3、10^6、10^9 位元組",
        signedOrEncrypted: "已簽署或加密：mailprep 不會更改此郵件",
        who: { limit in
            switch limit.origin {
            case .sender: "寄件人 \(limit.address ?? "")"
            case .recipient: "收件人 \(limit.address ?? "")"
            case .provider: "--provider \(limit.providerID ?? "")"
            case .user: "--limit"
            case .fallback: "沒有寄件人或收件人地址"
            }
        },
        what: { limit in
            let name = limit.providerName ?? ""
            switch limit.kind {
            case .send: return "\(name) 的寄件上限"
            case .receive: return "\(name) 的收件上限"
            case .smtpSize: return "\(name) 寄件伺服器公布的 SIZE"
            case .receiveAssumedFromSend: return "\(name) 沒有公布收件上限，暫以其寄件上限計算"
            case .unknownDomainDefault: return limit.domain.map { "\($0) 不在服務商列表中，採用預設上限" } ?? "預設上限"
            case .user: return "由命令列指定"
            }
        },
        problem: { chineseProblem($0) },
        failure: { failure in
            switch failure.kind {
            case .notFound: "\(failure.file)：找不到檔案"
            case .permissionDenied: "\(failure.file)：沒有讀取權限"
            case .isDirectory: "\(failure.file)：這是資料夾"
            case .ioError: "\(failure.file)：讀取錯誤（errno \(failure.detail ?? "?")）"
            case .emptyMessage: "\(failure.file)：空白檔案，不是郵件"
            case .notAMessage: "\(failure.file)：不是郵件（開頭沒有標頭欄位）"
            case .noSuchMessage: "\(failure.file)：沒有這封郵件；此 mbox 只有 \(failure.detail ?? "?") 封"
            case .notAMailbox: "\(failure.file)：不是 mbox 檔案，沒有編號的郵件"
            }
        },
        at: { offset, path in "位於第 \(offset) 位元組" + (path.map { "，第 \($0) 部分" } ?? "") },
        summary: { count, fit, over, failed in "共 \(count) 封郵件：\(fit) 封可以寄出，\(over) 封超出上限，\(failed) 封無法讀取或不是郵件" },
        largest: "最大的郵件：",
        summaryOver: { count, limit in "  \(count) 封超出 \(limit)" },
        imapUnreachable: { folder, detail in "\(folder)：無法連接伺服器（\(detail)）" },
        imapTLS: { folder, detail in "\(folder)：TLS 失敗（\(detail)）；伺服器的憑證不受信任或與主機名稱不符（私人 CA 請用 --ca-file）" },
        imapLogin: { folder, detail in "\(folder)：伺服器拒絕登入（\(detail)）；密碼取自 $MAILPREP_IMAP_PASSWORD 或你的 netrc 檔案（iCloud 和 Gmail 需用 App 專用密碼）" },
        imapRefused: { folder, reply in "\(folder)：伺服器回覆：\(reply)" },
        imapProtocol: { folder, detail in "\(folder)：無法解讀伺服器的回覆（\(detail)）" },
        imapNoDrafts: { "\($0)：伺服器上沒有標示為草稿的資料夾；請指明：\($0)資料夾" },
        imapEmpty: { "\($0)：此資料夾內沒有郵件" },
        imapNoStartTLS: { "\($0)：伺服器不支援 STARTTLS，登入資料會以明文經網絡傳送；請用 imaps://（連接埠 993），如確有需要可加 --allow-plain-imap" },
        imapNoSuchUID: { folder, uid in "\(folder)：此資料夾內沒有 UID 為 \(uid) 的郵件" },
        imapBadUID: { "\($0)：;UID= 後面需要郵件的 UID（由 1 起的數字）" },
        imapNotURL: { "\($0)：不是 IMAP 地址；請用 imaps://用戶@主機/資料夾" },
        imapPasswordInURL: { "\($0)：地址內不可含密碼（會留在 shell 的歷史紀錄）；請設定 MAILPREP_IMAP_PASSWORD 或使用 netrc 檔案" },
        imapNoUser: { "\($0)：地址需要用戶名稱：imaps://用戶@主機/資料夾" },
        imapPlain: { url, host in "\(url)：imap:// 會把你的密碼以明文傳送到 \(host)；請用 imaps://，如確有需要可加 --allow-plain-imap" },
        serverSizesNote: "以上大小取自 IMAP 伺服器（RFC822.SIZE；解碼後大小按 BODYSTRUCTURE 估算）；加 --exact 會逐封下載並計算",
        fixIMAPOne: { "\($0)：這是資料夾；請逐封修正：\($0)/;UID=n（mailprep check \($0) 會列出全部）" },
        fixOneOf: { path, count in "\(path)：這個 mbox 有 \(count) 封郵件；請逐封修正：\(path)#1 至 \(path)#\(count)（mailprep check \(path) 會列出全部）" },
        noMessagesIn: { "\($0)：這裡沒有郵件（已尋找 .eml、.emlx、mbox、MH，以及 Maildir 的 cur/ 和 new/）" },
        fitsShort: "可寄出", overShort: "超出", failedShort: "錯誤",
        progress: { done, total in "已檢查 \(done)／\(total)" },
        tableProvider: "服務商", tableDomains: "網域", tableSend: "寄件", tableReceive: "收件",
        tableLargeFiles: "大型檔案", tableSource: "來源", tableNotes: "備註",
        fixPlanFor: { "\($0) 的處理計劃（未寫入任何檔案）" },
        fixCompress: "壓縮", fixKeep: "保留",
        fixColumnAction: "處理", fixColumnBefore: "之前", fixColumnAfter: "之後", fixColumnRatio: "比率", fixColumnTime: "時間",
        fixNothingToDo: "沒有附件",
        fixTotal: { size, estimated in "結果：傳送時 \(size)" + (estimated ? "（按抽樣估計）" : "") },
        fixLargest: "目前最大的部分：",
        fixNeedsLink: "單靠壓縮無法符合上限：最大的附件須移出郵件（--strategy auto 或 link，並設定分享資料夾）",
        fixBackup: { "原檔已保留為 \($0)" },
        fixLink: "改為連結",
        fixRemove: "移除",
        fixRemovedNote: "已移除：郵件內會註明每個檔案的名稱、大小及 SHA-256；請以其他方式傳送這些檔案",
        fixLinksUntil: { "下載連結（有效至 \($0)）：" },
        fixPassword: { "下載密碼（請另行告知收件人，郵件內不會寫上）：\($0)" },
        fixNoShareURL: "需要改用分享資料夾的下載連結，但未設定分享網址（--share-url 或設定檔中的 share_url）；mailprep 不會把只有本機才能開啟的連結寄出",
        fixStillOver: "所有附件都改為連結後仍超出上限：餘下的是郵件內文及內嵌圖片",
        fixStillOverRemoved: "所有附件都移除後仍超出上限：餘下的是郵件內文及內嵌圖片",
        fixNoAttachments: "郵件沒有可壓縮或改為連結的附件：單是內文（及內嵌圖片）已超出上限；請刪減內容、分成幾封郵件寄出，或以其他方式把內容作為檔案傳送",
        fixNothingWritten: "沒有寫出任何檔案：mailprep 能做的改動都無法令郵件符合上限",
        fixLinkInPlan: { "\($0)：分享時才產生連結網址" },
        fixError: { error, catalog in
            switch error {
            case .input(let failure): catalog.failure(failure)
            case .insideMailbox(let file): "\(file)：在郵箱檔案之內，mailprep 從不改寫郵箱；不加 --in-place 時，修正後的郵件會另存為旁邊的獨立檔案（或用 -o 檔案）"
            case .partialEMLX(let file): "\(file)：Apple Mail 把這封郵件的附件另外存放，此檔案內的郵件並不完整；請在「郵件」App 選「檔案 > 另存新檔… > 原始郵件來源」，再修正該檔案"
            case .signedOrEncrypted(let file): "\(file)：郵件已簽署或加密；任何改動都會破壞簽署或加密，mailprep 不會更改"
            case .damagedPart(let file, let path, let filename, let problem):
                "\(file)：第 \(path) 部分\(filename.map { "（\($0)）" } ?? "")已損壞（\(problem)）；mailprep 不會壓縮它"
            case .outputExists(let path): "\(path)：檔案已存在；如要取代，請加上 --force"
            case .write(let failure):
                failure.isNoSpace ? "\(failure.path)：磁碟已滿；沒有寫出任何檔案" : "\(failure)；沒有寫出任何檔案"
            case .archive(let failure): "libarchive：\(failure.message)；沒有寫出任何檔案"
            case .shareURL(.missing): catalog.fixNoShareURL
            case .shareURL(.invalid(let url)): "分享網址 \(url)：不是 http 或 https 網址"
            case .shareURL(.loopback(let url)): "分享網址 \(url) 是本機自己的位址，收件人無法開啟；請設定分享資料夾的公開網址（--share-url）"
            case .share(.write(let file)): "分享資料夾：\(file.isNoSpace ? "\(file.path)：磁碟已滿" : "\(file)")；郵件沒有寫出"
            case .share(.verificationFailed): "分享資料夾：讀回的檔案與寫入的不同（磁碟可能有故障）；郵件沒有寫出"
            case .share(.unreadableMetadata(let path)): "分享資料夾：\(path)：無法讀取記錄；郵件沒有寫出"
            case .template(let reason): reason
            case .internalError(let message): "內部錯誤：\(message)"
            }
        },
        measuredEncoded: "編碼後", measuredRaw: "編碼前",
        days: { "\($0) 天" },
        tableAccounts: "帳戶（設定檔中的 accounts）：",
        shareUntil: { "有效至 \($0)" },
        shareExpired: "已過期",
        shareDownloads: { "下載 \($0) 次" },
        sharePassword: "需密碼",
        shareSummary: { count, size, folder in "共 \(count) 個分享檔案（\(size)），位於 \(folder)" },
        shareRemoved: { count, dryRun in dryRun ? "將會刪除 \(count) 個（未刪除任何檔案）" : "已刪除 \(count) 個" },
        shareRemoving: { $0 ? "將會刪除 " : "已刪除 " },
        sharePruned: { count, dryRun in dryRun ? "\(count) 個已過期（未刪除任何檔案）" : "已刪除 \(count) 個過期檔案" },
        sharePruning: { $0 ? "將會刪除 " : "已刪除 " },
        shareUnknownToken: { "\($0)：沒有以此代碼分享的檔案（請看 mailprep share list）" },
        shareNoneFromMessage: { "沒有來自郵件 \($0) 的分享檔案" },
        shareCannotRemove: { token, folder in "\(token)：無法從 \(folder) 刪除（權限問題？）；其連結仍然有效" },
        serveNoShare: { "\($0)：分享資料夾不存在（請檢查 --share 或設定檔中的 share；mailprep fix 第一次分享檔案時會建立此資料夾）" },
        serveServing: { folder, address in "正在以 \(address) 提供 \(folder)" },
        serveCannotListen: { address, reason in "serve：無法在 \(address) 接收連線：\(reason)" },
        largeFileAdvice: { provider, service, maxFile, days in
            var text = "\(provider) 本身處理大型檔案的方法：\(service)"
            let facts = [maxFile.map { "檔案最大 \($0)" }, days.map { "保留 \($0) 天" }].compactMap { $0 }
            if !facts.isEmpty { text += "（" + facts.joined(separator: "，") + "）" }
            return text + "；或由 mailprep fix 壓縮附件，或改為分享資料夾的下載連結"
        },
        sendRefused: { size, limit, whose, over in "未寄出：郵件有 \(size)，超出\(whose)的 \(limit) 上限 \(over)" },
        sendCompressWouldFit: { format, size in "壓縮附件（\(format)）後會變成 \(size)：加上 --oversize fix（或在設定檔寫 oversize: fix）即可寄出" },
        sendCompressNotEnough: { size, links in "壓縮後仍有 \(size)，仍然超出；" + (links ? "--oversize fix 會把最大的附件改為分享資料夾的下載連結" : "改用分享資料夾的下載連結需要分享網址（--share-url 或設定檔中的 share_url）") },
        sendFixNotEnough: { "未寄出：mailprep 盡力處理後仍有 \($0)，仍然超出；請以其他方式傳送檔案" },
        sendLinksNeedURL: "郵件內沒有可壓縮的附件；改用分享資料夾的下載連結需要分享網址（--share-url 或設定檔中的 share_url）",
        sendWarned: { size, limit, whose in "已超出上限寄出（--oversize warn）：\(size)，超出\(whose)的 \(limit) 上限" },
        sendFixed: { before, after, compressed, linked in "寄出前已處理：\(before) → \(after)（壓縮 \(compressed) 個，改為連結 \(linked) 個）；mailprep sendmail --last 可查看" },
        sendNoRealSender: "沒有實際負責寄出的程式：請加上 --via 'msmtp -a 帳戶'（或郵件伺服器的 sendmail），或在設定檔寫 send_via",
        sendLoop: { "--via \($0) 就是 mailprep 本身，會不停呼叫自己；請指定實際寄出郵件的程式（msmtp、郵件伺服器的 sendmail）" },
        sendCannotRun: { command, reason in "無法執行實際寄出的程式 \(command)：\(reason)" },
        sendRealSenderFailed: { status, removed in "實際寄出的程式失敗（結束狀態 \(status)）；mailprep 沒有寄出任何郵件" + (removed > 0 ? "，並已刪除為這封郵件放進分享資料夾的 \(removed) 個檔案" : "") },
        sendNoLog: { "mailprep sendmail 尚未更改過任何郵件（記錄檔為 \($0)）" },
        sendBadOversize: { "oversize \($0)：請用 fix、refuse 或 warn" },
        sendNotAMessage: "未寄出：標準輸入不是郵件（開頭沒有標頭欄位）",
        sendLogFromTo: { from, to in "寄件人 \(from)，收件人 \(to)" },
        gitFits: { patch, size, judged, from in "\(patch)：\(size)，可以寄出（按 \(judged) 判斷；\(from)）" },
        gitOver: { patch, size, whose, limit, over in "\(patch) 有 \(size)，超出\(whose)的 \(limit) 上限 \(over)：git send-email 不會寄出這組修補的任何一封" },
        gitJudged: { judged, from in "按 \(judged) 判斷（\(from)）" },
        gitRecipientsFromGit: "收件人由 git 提供給 hook",
        gitRecipientsFromPatch: "收件人取自修補及 git 的 sendemail.to、cc、bcc",
        gitNoRecipients: "沒有收件人（只按寄件人的上限）",
        gitNotARepository: "不在 git 儲存庫內：請在執行 git send-email 的地方執行",
        gitHookExists: { "\($0)：已有一個不是 mailprep 的 hook；加上 --force 可取代" },
        gitHookInstalled: { "已安裝 \($0)：git send-email 寄出前會先以 mailprep 檢查每個修補" },
        probeSecurity: { security, verified in
            switch security {
            case "tls": "一開始即使用 TLS" + (verified ? "，憑證已驗證" : "，憑證未經驗證（--insecure）")
            case "starttls": "STARTTLS" + (verified ? "，憑證已驗證" : "，憑證未經驗證（--insecure）")
            default: "沒有 TLS：伺服器不提供 STARTTLS"
            }
        },
        probeSize: { bytes, human in "SIZE \(bytes) 位元組（\(human)）：它接受的最大郵件（以傳送時計算）" },
        probeSizeUnlimited: "SIZE 0：它沒有公布固定上限",
        probeNoSize: "沒有 SIZE：伺服器沒有說明接受多大的郵件",
        probeAuth: { "AUTH \($0)" },
        probeSaved: { server, path in "已為 \(server) 記錄於 \(path)；設定檔 submission: 中經它寄出的寄件人，check、fix 及 sendmail 都會採用" },
        probeError: { server, error in "probe \(server)：\(error)" },
        probeCannotConnect: { "無法連線：\($0)" },
        probeTimedOut: { seconds, step in "\(seconds) 秒內沒有回應（\(step)）" },
        probeTLSFailed: { "TLS 失敗：\($0)" },
        probeUnexpectedReply: { step, reply in "\(step) 的回應不符 SMTP：\(reply)" },
        probeClosed: { "伺服器已中斷連線" + ($0.isEmpty ? "" : "（\($0)）") },
        relayNoUpstream: "relay：沒有可轉寄的真正伺服器：請提供 --upstream 主機:埠，或在設定檔加入 relay: 項目",
        relayPassthroughNeedsTLS: "relay：--upstream-auth passthrough 須配合 --upstream-tls starttls 或 tls：用戶端的密碼不可以明文傳到上游伺服器",
        relayNetworkNeedsAuth: "relay：要接收其他電腦的郵件，須用 --upstream-auth passthrough，令每封郵件都以寄件人自己的登入傳送（絕不做開放轉寄）",
        relayLoopbackOnly: { "relay --listen \($0)：不是本機位址；如要接收其他電腦的郵件，請加上 --allow-network（它們之後須使用 STARTTLS 及 AUTH）" },
        relayCertificate: { fingerprint, path, made in (made ? "已為 STARTTLS 製作憑證：" : "STARTTLS 憑證：") + "\(path)，SHA-256 \(fingerprint)（郵件程式要求你信任伺服器時會顯示）" },
        relayCertificateFailed: { "relay：沒有 STARTTLS 憑證：\($0)" },
        relayUpstreamFailedPlain: "上游伺服器失敗；郵件仍在你那邊，請稍後再試",
        relayUpstreamClosed: "上游伺服器已結束連線；請重新連線（郵件仍在你那邊）",
        relayAuthUnavailable: "暫時無法請上游伺服器核對登入資料；請稍後再試",
        relayListening: { address, upstream in "正在 smtp://\(address) 接收郵件並轉寄到 \(upstream)" },
        relayUpstreamFailed: { upstream, reason in "上游伺服器 \(upstream) 失敗：\(reason)；郵件仍在你那邊，請稍後再試" },
        relayCouldNotFix: "mailprep 無法令郵件符合上限：請以其他方式傳送檔案",
        relayNoTemporaryFolder: { "無法在 \($0) 建立暫存資料夾來修正郵件；請稍後再試" },
        watchWatching: { folders, scanning in
            "正在監察 \(folders) 個資料夾" + (scanning ? "（每秒檢查一次有否改動）" : "") + "；按 Ctrl-C 停止"
        },
        watchFitsNow: "現可寄出",
        watchNotificationTitle: { size, limit in "草稿太大：\(size)，上限為 \(limit)" },
        watchNotificationBody: { draft, whose in "\(draft)\n\(whose)；可用 mailprep fix 令它符合上限" },
        watchNoFolder: { "\($0)：找不到資料夾" },
        watchNotAFolder: { "\($0)：不是資料夾；watch 只接受資料夾（檔案請用 mailprep check）" },
        watchNoPermission: { "\($0)：沒有讀取權限" },
        watchSystemLimit: { "無法監察 \($0)：已達系統可監察資料夾的上限（請調高 fs.inotify.max_user_watches 及 max_user_instances，或減少要監察的資料夾）" },
        watchFailed: { path, reason in "無法監察 \(path)：\(reason)" },
        watchUnwatched: { "\($0)：系統不肯監察這個新資料夾（已達 fs.inotify.max_user_watches 上限），其中的改動將無法察覺" },
        watchRootGone: { "\($0)：資料夾已被刪除或移走，不再監察" },
    )
}
