import ArgumentParser
import Foundation
import MailPrepCore
import MailPrepSMTP
import MIME
import NIOCore
import NIOPosix
import NIOSSL

/// `mailprep relay`: an SMTP server on this machine that mail clients send to; each message is judged against its
/// envelope and the upstream server's own SIZE, then relayed (unchanged, or fixed) or refused with the reason.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "A local SMTP server for mail clients: judge each message, then relay it to the real submission server.",
        discussion: """
            The client's outgoing server is set to --listen (127.0.0.1:2587), with the same user name and password \
            as for the real server: mailprep passes the client's AUTH (PLAIN, LOGIN, XOAUTH2, whatever the upstream \
            offers) through to --upstream over TLS, in the same session, and never stores or logs it. A message that \
            fits goes to the upstream as it came; one over a limit is fixed, refused (552 5.3.4 with the reason, which \
            the client shows) or sent anyway, as --oversize says. The client hears 250 only once the upstream has \
            taken the message; an upstream failure comes back as the upstream's own reply, so a 4xx keeps the message \
            in the outbox. mailprep keeps no queue. STARTTLS is offered with --tls-cert/--tls-key, or with a \
            certificate made on the first run and kept (its fingerprint is printed). Loopback only, unless \
            --allow-network: then STARTTLS comes before AUTH, and AUTH before any message.
            """
    )

    @Option(help: ArgumentHelp("Address and port to listen on (port 0 picks a free one).", valueName: "host:port"))
    var listen = "127.0.0.1:2587"

    @Flag(help: "Take mail from other machines too (--listen beyond loopback): STARTTLS and AUTH become required.")
    var allowNetwork = false

    @Option(help: ArgumentHelp("The STARTTLS certificate (PEM; with --tls-key). Default: one made and kept in the state folder.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The STARTTLS certificate's private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("The real submission server (default: the configuration file's relay: entries, each with its own --listen).", valueName: "host:port"))
    var upstream: String?

    @Option(help: ArgumentHelp("How to reach the upstream: starttls (required), tls (from the start), or none.", valueName: "mode"))
    var upstreamTls = "starttls"

    @Option(help: ArgumentHelp("passthrough (the client's AUTH goes to the upstream) or none (the upstream trusts this machine).", valueName: "mode"))
    var upstreamAuth = "passthrough"

    @Option(help: ArgumentHelp("Over a limit: fix, refuse or warn (default: fix with a share URL, else refuse).", valueName: "mode"))
    var oversize: String?

    @Option(help: ArgumentHelp("Trust the upstream's certificate from this PEM file instead of the system's.", valueName: "file"))
    var caFile: String?

    @Flag(help: "Do not verify the upstream's certificate: for test servers only.")
    var insecure = false

    @Option(help: ArgumentHelp("Largest message taken from a client, in octets (default 200MB).", valueName: "size"))
    var maxMessage = "200MB"

    @Option(help: ArgumentHelp("A Maildir: a copy of each message as really sent after a fix.", valueName: "folder"))
    var keep: String?

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var shareFolder: ShareFolderOptions

    @Option(help: ArgumentHelp("The share's public address, for links when fixing.", valueName: "url"))
    var shareURL: String?

    @Option(name: .long, help: ArgumentHelp("Language of refusals: en or zh-Hant (default: from LC_ALL, LC_MESSAGES, LANG).", valueName: "code"))
    var lang: String?

    func validate() throws {
        guard ServeCommand.parse(listen: listen) != nil else { throw ValidationError("--listen \(listen): use host:port, e.g. 127.0.0.1:2587") }
        if let upstream, ProbeCommand.parse(upstream) == nil { throw ValidationError("--upstream \(upstream): use host:port") }
        guard RelaySetup.tlsModes.contains(upstreamTls) else { throw ValidationError("--upstream-tls \(upstreamTls): use starttls, tls or none") }
        guard RelaySetup.authModes.contains(upstreamAuth) else { throw ValidationError("--upstream-auth \(upstreamAuth): use passthrough or none") }
        if let oversize, !["fix", "refuse", "warn"].contains(oversize) { throw ValidationError("--oversize \(oversize): use fix, refuse or warn") }
        guard ByteCount.parse(maxMessage) != nil else { throw ValidationError("--max-message \(maxMessage): not a size") }
        if let lang, Language(code: lang) == nil { throw ValidationError("--lang \(lang): use en or zh-Hant") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let language = lang.flatMap(Language.init(code:)) ?? Language.fromEnvironment(environment)
        let catalog = language.catalog
        let configuration = try shareFolder.configuration()
        let policy = try limitOptions.policy(configuration)
        // The flags make one listener; without --upstream, each of the configuration file's relay: entries is one.
        let setups: [RelaySetup]
        if let upstream {
            setups = [RelaySetup(listen: listen, upstream: upstream, upstreamTLS: upstreamTls, upstreamAuth: upstreamAuth,
                                 allowNetwork: allowNetwork, keep: keep, caFile: caFile)]
        } else {
            setups = configuration.relay
        }
        guard !setups.isEmpty else {
            printError(catalog.relayNoUpstream)
            throw ExitStatus.configuration.code
        }
        // Each set-up checked and its addresses read once, before anything is made.
        var listeners: [(setup: RelaySetup, host: String, port: Int, upHost: String, upPort: Int)] = []
        for setup in setups {
            guard setup.upstreamAuth == "none" || setup.upstreamTLS != "none" else {
                printError(catalog.relayPassthroughNeedsTLS)
                throw ExitStatus.configuration.code
            }
            guard let (host, port) = ServeCommand.parse(listen: setup.listen), let (upHost, upPort) = ProbeCommand.parse(setup.upstream) else { throw ExitCode(64) }
            listeners.append((setup, host, port, upHost, upPort))
            let loopback = Self.isLoopback(host)
            guard loopback || setup.allowNetwork else {
                printError(catalog.relayLoopbackOnly(setup.listen))
                throw ExitStatus.configuration.code
            }
            guard loopback || setup.upstreamAuth == "passthrough" else {
                printError(catalog.relayNetworkNeedsAuth)
                throw ExitStatus.configuration.code
            }
        }
        // One certificate for every listener, for all their names.
        let certificate: RelayCertificate
        let tls: NIOSSLContext
        do {
            if let tlsCert, let tlsKey {
                certificate = try RelayCertificate.given(certificate: tlsCert, key: tlsKey)
            } else {
                var names: [String] = []
                var extra: [String] = []
                for (_, host, _, _, _) in listeners {
                    names += Self.certificateNames(listening: host).filter { !names.contains($0) }
                    if ["0.0.0.0", "::"].contains(host) { extra += RelayCertificate.interfaceAddresses().filter { !extra.contains($0) } }
                }
                certificate = try RelayCertificate.kept(in: UserFolders.state(environment: environment), names: names, extra: extra)
            }
            tls = try certificate.serverContext()
        } catch {
            printError(catalog.relayCertificateFailed("\(error)"))
            throw ExitStatus.configuration.code
        }
        let temporary = environment["TMPDIR"] ?? "/tmp"
        Leftovers.sweep(folder: temporary)
        Leftovers.removeOnSignals()
        let shareURL = self.shareURL ?? configuration.shareURL
        // fix's options once, at start: a bad share setting is one line and exit 78 now, not a refusal of every
        // message later.
        let fixOptions = try FixCommand.parse(fixArguments(language: language) + ["-"]).fixOptions()
        var servers: [(server: SMTPServer, listen: String, upstream: String)] = []
        for (setup, host, port, upHost, upPort) in listeners {
            let loopback = Self.isLoopback(host)
            let passthrough = setup.upstreamAuth == "passthrough"
            // RFC 5321 section 4.5.3.2: a client waits 5 minutes for a command's reply (10 for the end of data).
            let probe = SMTPProbe(host: upHost, port: upPort, implicitTLS: setup.upstreamTLS == "tls", verify: !insecure, trustRoots: setup.caFile,
                                  timeout: .minutes(5))
            let relay = Relay(probe: probe, requireTLS: setup.upstreamTLS == "starttls", passthrough: passthrough, policy: policy, catalog: catalog,
                              oversize: oversize ?? configuration.oversize ?? (shareURL == nil ? "refuse" : "fix"),
                              fixOptions: fixOptions, keep: setup.keep, store: shareFolder.store(configuration),
                              temporary: temporary, detailedFailures: loopback)
            var limits = SMTPServer.Limits()
            limits.maximumMessageBytes = ByteCount.parse(maxMessage) ?? limits.maximumMessageBytes
            let access = SMTPServer.Access(tls: tls, authNeedsTLS: !loopback, authRequired: passthrough)
            let server = SMTPServer(host: host, port: port, name: "mailprep", limits: limits, access: access,
                                    spoolPrefix: temporary + "/" + Leftovers.marker) { client in
                RelayConnection(relay: relay, client: client)
            }
            servers.append((server, setup.listen, "\(upHost):\(upPort)"))
        }
        printError(catalog.relayCertificate(certificate.fingerprint, certificate.certificatePath, certificate.made))
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (server, listen, upstream) in servers {
                    group.addTask {
                        do {
                            try await server.run { port in printError(catalog.relayListening("\(server.host):\(port)", upstream)) }
                        } catch {
                            printError(catalog.serveCannotListen(listen, "\(error)"))
                            throw error
                        }
                    }
                }
                // The first listener that fails ends them all: half a set-up would send some accounts' mail nowhere.
                try await group.next()
                group.cancelAll()
            }
        } catch {
            throw ExitStatus.unavailable.code
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "::1", "localhost"].contains(host)
    }

    /// The names a kept certificate must be for: the loopback's, this machine's name, and an address it listens on.
    static func certificateNames(listening host: String) -> [String] {
        var names = ["localhost", "127.0.0.1", "::1"]
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !name.isEmpty && !names.contains(name) { names.append(name) }
            if !name.isEmpty && !name.contains(".") { names.append(name + ".local") }
        }
        if !["0.0.0.0", "::"].contains(host) && !names.contains(host) { names.append(host) }
        return names
    }

    /// `mailprep fix`'s options for a message that must be fixed: the share and its address from these flags.
    func fixArguments(language: Language) -> [String] {
        var arguments = ["--strategy", "auto", "--lang", language.rawValue]
        if let share = shareFolder.share { arguments += ["--share", share] }
        if let config = shareFolder.config { arguments += ["--config", config] }
        if let shareURL { arguments += ["--share-url", shareURL] }
        return arguments
    }
}

/// What the relay does with each message a client hands over.
struct Relay: Sendable {
    var probe: SMTPProbe
    var requireTLS: Bool
    /// The client's AUTH goes to the upstream, which then decides who may send.
    var passthrough: Bool
    var policy: LimitPolicy
    var catalog: Catalog
    var oversize: String
    var fixOptions: FixOptions
    var keep: String?
    var store: ShareStore
    /// Where a fixed message is made (TMPDIR).
    var temporary: String
    let log = AccessLog()

    var upstreamName: String { probe.host + ":\(probe.port)" }
    /// The upstream's name and the reason in failure replies: on the loopback, for the user who set it up; to
    /// other machines, only that it failed (the reason goes to standard error).
    var detailedFailures = true

    func upstreamFailure(_ error: any Error) -> String {
        if detailedFailures { return catalog.relayUpstreamFailed(upstreamName, "\(error)") }
        printError(catalog.relayUpstreamFailed(upstreamName, "\(error)"))
        return catalog.relayUpstreamFailedPlain
    }

    /// One line per message: who, how big, what was decided, what the client heard. No bodies, no credentials.
    /// The same log as serve's: a thread of its own, so a slow reader never holds up a message.
    func record(_ incoming: SMTPIncoming, client: String, decision: String, reply: SMTPReply) {
        log.write("\(LinkBlock.isoDate(Date())) client=\(client) from=<\(TerminalText.escaped(incoming.from))> recipients=\(incoming.recipients.count) "
                  + "bytes=\(incoming.bytes) \(decision) \(reply.code)")
    }

    /// What to do with a message: send a file (the spooled one, or the fixed one in `folder`), or answer.
    enum Decision: Sendable {
        case send(file: String, decision: String, fixed: FixResult?, folder: String?)
        case answer(SMTPReply, decision: String)
    }

    /// Judges the message by its envelope and the upstream's SIZE, then relays it, fixed if need be, or refuses it.
    /// The judging and fixing (parsing, compressing: work for a processor, not for the network) run on NIO's
    /// thread pool, so two large messages do not hold up every other client's EHLO and AUTH.
    func judgeAndSend(_ incoming: SMTPIncoming, session: SMTPSession) async -> (SMTPReply, String) {
        let upstreamSize = session.capabilities.size
        let relay = self
        let decision: Decision
        do {
            decision = try await NIOThreadPool.singleton.runIfActive { relay.decide(incoming, upstreamSize: upstreamSize) }
        } catch {
            return (SMTPReply(code: 451, lines: ["4.3.0 " + upstreamFailure(error)]), "failed")
        }
        switch decision {
        case .answer(let reply, let decision):
            return (reply, decision)
        case .send(let file, let decision, let fixed, let folder):
            defer { if let folder { Leftovers.removeFolder(folder) } }
            let reply = await send(file, incoming, session: session)
            if let fixed {
                if reply.code != 250 {
                    fixed.takeBackShared(from: store)
                } else if let keep {
                    try? Maildir.deliver(file: file, into: keep)
                }
                return (reply, reply.code == 250 ? "fixed" : "fixed-upstream-failed")
            }
            return (reply, decision)
        }
    }

    func decide(_ incoming: SMTPIncoming, upstreamSize: Int64?) -> Decision {
        guard let message = try? MessageReader.parse(path: incoming.spool) else {
            return .answer(SMTPReply(code: 554, lines: ["5.6.0 " + catalog.sendNotAMessage]), decision: "refused")
        }
        var policy = self.policy
        let sender = incoming.from.isEmpty ? Envelope.headerSender(of: message) : Mailbox(address: incoming.from)
        if let size = upstreamSize, size > 0, let sender {
            // The upstream's own word counts for this sender, as a probe --save'd figure would.
            policy.submissionSizes[sender.address.lowercased()] = ProviderEntry.SMTPSize(
                bytes: size, host: upstreamName, observed: LinkBlock.isoDate(Date()), source: "EHLO SIZE of the upstream")
        }
        let envelope = Envelope(sender: sender, recipients: incoming.recipients.map { Mailbox(address: $0) })
        let check = MessageCheck(policy: policy, envelope: envelope)
        guard case .checked(let result) = check.check(message, file: "-") else {
            return .answer(SMTPReply(code: 554, lines: ["5.6.0 " + catalog.sendNotAMessage]), decision: "refused")
        }
        if result.fits { return .send(file: incoming.spool, decision: "relayed", fixed: nil, folder: nil) }
        let binding = result.binding
        let whose = Sendmail.whose(binding, catalog: catalog)
        let refusal = catalog.sendRefused(ByteCount.human(result.wireBytes), ByteCount.human(binding.bytes), whose,
                                          ByteCount.human(-binding.headroomBytes))
        switch oversize {
        case "warn":
            return .send(file: incoming.spool, decision: "relayed-over", fixed: nil, folder: nil)
        case "fix":
            guard let folder = Leftovers.makeFolder(in: temporary, purpose: "relay-fix") else {
                return .answer(SMTPReply(code: 451, lines: ["4.3.0 " + catalog.relayNoTemporaryFolder(temporary)]), decision: "failed")
            }
            let output = folder + "/message.eml"
            guard let fixed = try? FixJob(check: check, options: fixOptions).run(input: incoming.spool, output: .file(output), force: true, planOnly: false),
                  fixed.fits, fixed.output != nil else {
                Leftovers.removeFolder(folder)
                return .answer(SMTPReply(code: 552, lines: ["5.3.4 " + refusal, catalog.relayCouldNotFix]), decision: "refused")
            }
            return .send(file: output, decision: "fixed", fixed: fixed, folder: folder)
        default:
            var lines = ["5.3.4 " + refusal]
            // The share's address from the flags or the configuration file, as fix would use it.
            let shareURL = fixOptions.share?.baseURL
            if let hint = Sendmail(environment: ProcessInfo.processInfo.environment).compressionHint(incoming.spool, check: check, shareURL: shareURL, catalog: catalog) {
                lines.append(hint)
            }
            return .answer(SMTPReply(code: 552, lines: lines), decision: "refused")
        }
    }

    /// MAIL, RCPT for each recipient, DATA: the first reply that is not a success comes back to the client as it
    /// is (and the upstream transaction is reset), so nothing is half-sent.
    func send(_ file: String, _ incoming: SMTPIncoming, session: SMTPSession) async -> SMTPReply {
        do {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? 0
            let sizeParameter = session.capabilities.size != nil ? " SIZE=\(size)" : ""
            // BODY= and SMTPUTF8 as the client gave them: offered to it only when the upstream offers them.
            let given = incoming.mailParameters.map { " " + $0 }.joined()
            var reply = try await session.command("MAIL FROM:<\(incoming.from)>\(sizeParameter)\(given)", step: "MAIL")
            guard reply.code == 250 else { return SMTPReply(code: reply.code, lines: reply.lines) }
            for recipient in incoming.recipients {
                reply = try await session.command("RCPT TO:<\(recipient)>", step: "RCPT")
                guard reply.code == 250 || reply.code == 251 else {
                    _ = try? await session.command("RSET", step: "RSET")
                    return SMTPReply(code: reply.code, lines: reply.lines)
                }
            }
            reply = try await session.command("DATA", step: "DATA")
            guard reply.code == 354 else {
                // The transaction is still open upstream: reset, or the next MAIL would be "nested".
                _ = try? await session.command("RSET", step: "RSET")
                return SMTPReply(code: reply.code, lines: reply.lines)
            }
            reply = try await session.data(file: file)
            return SMTPReply(code: reply.code, lines: reply.lines)
        } catch {
            return SMTPReply(code: 451, lines: ["4.4.2 " + upstreamFailure(error)])
        }
    }
}

/// One client connection's upstream session: opened at the client's EHLO, so that the client is offered what the
/// upstream offers (its AUTH mechanisms, 8BITMIME, SMTPUTF8), its AUTH lines go to the upstream as they are, and its
/// messages go under that login. Without passthrough, a session the upstream closed is opened again for the next
/// message; with it, the client is told to connect again (its login cannot be replayed: it is not kept).
actor RelayConnection: SMTPConnection {
    let relay: Relay
    let client: String
    private var session: SMTPSession?
    private var authenticated = false
    /// The client has gone: a session opened after this is closed at once.
    private var closed = false
    /// Calls under way (the actor is re-entered at each await): the session is closed when the last one ends,
    /// never in the middle of a message's data.
    private var inFlight = 0

    init(relay: Relay, client: String) {
        self.relay = relay
        self.client = client
    }

    func hello(_ name: String) async -> SMTPHello {
        inFlight += 1
        defer { finished() }
        // The client has gone: nothing is opened for it.
        guard !closed else { return .end(SMTPReply(code: 421, lines: ["4.4.2 " + relay.catalog.relayUpstreamClosed])) }
        if let session, session.isOpen {
            return .offer(offer(session.capabilities))
        }
        guard !authenticated else { return .end(SMTPReply(code: 421, lines: ["4.4.2 " + relay.catalog.relayUpstreamClosed])) }
        do {
            let opened = try await relay.probe.open(requireTLS: relay.requireTLS)
            session = opened
            return .offer(offer(opened.capabilities))
        } catch {
            return .end(SMTPReply(code: 421, lines: ["4.4.1 " + relay.upstreamFailure(error)]))
        }
    }

    /// 8BITMIME and SMTPUTF8 when the upstream has them; its AUTH mechanisms when the client's login goes through.
    private func offer(_ capabilities: SMTPCapabilities) -> SMTPOffer {
        let keywords = Set(capabilities.extensions.compactMap { $0.split(separator: " ").first.map { $0.uppercased() } })
        return SMTPOffer(extensions: ["8BITMIME", "SMTPUTF8"].filter(keywords.contains),
                         authMechanisms: relay.passthrough ? capabilities.authMechanisms : [])
    }

    func authenticate(_ line: String) async -> SMTPReply {
        inFlight += 1
        defer { finished() }
        guard let session, session.isOpen else { return SMTPReply(code: 454, lines: ["4.7.0 " + relay.catalog.relayAuthUnavailable]) }
        do {
            // As it is, and never written anywhere: the upstream checks it, its answer goes back.
            let reply = try await session.command(line, step: "AUTH")
            if reply.code == 235 { authenticated = true }
            return SMTPReply(code: reply.code, lines: reply.lines)
        } catch {
            return SMTPReply(code: 454, lines: ["4.7.0 " + relay.catalog.relayAuthUnavailable])
        }
    }

    func deliver(_ incoming: SMTPIncoming) async -> SMTPReply {
        inFlight += 1
        defer { finished() }
        guard !closed else { return SMTPReply(code: 421, lines: ["4.4.2 " + relay.catalog.relayUpstreamClosed]) }
        var reply: SMTPReply
        var decision = "relayed"
        if session?.isOpen != true {
            if authenticated || relay.passthrough {
                reply = SMTPReply(code: 421, lines: ["4.4.2 " + relay.catalog.relayUpstreamClosed])
                relay.record(incoming, client: client, decision: "upstream-closed", reply: reply)
                return reply
            }
            do { session = try await relay.probe.open(requireTLS: relay.requireTLS) } catch {
                reply = SMTPReply(code: 451, lines: ["4.4.1 " + relay.upstreamFailure(error)])
                relay.record(incoming, client: client, decision: "upstream-failed", reply: reply)
                return reply
            }
        }
        guard let session else { return SMTPReply(code: 451, lines: ["4.3.0"]) }
        (reply, decision) = await relay.judgeAndSend(incoming, session: session)
        relay.record(incoming, client: client, decision: decision, reply: reply)
        return reply
    }

    func close() async {
        closed = true
        guard inFlight == 0 else { return }
        await closeSession()
    }

    private func finished() {
        inFlight -= 1
        if closed && inFlight == 0 {
            Task { await self.closeSession() }
        }
    }

    private func closeSession() async {
        let open = session
        session = nil
        await open?.close()
    }
}
