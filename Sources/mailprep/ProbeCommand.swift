import ArgumentParser
import Foundation
import MailPrepCore
import MailPrepSMTP
import NIOCore

/// `mailprep probe HOST[:PORT]`: what a submission server says of itself, its SIZE above all.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Ask a submission server for its own size limit (SIZE, RFC 1870) and its AUTH mechanisms.",
        discussion: """
            Connects, says EHLO, uses STARTTLS when offered (TLS from the start on port 465, or with --tls), says \
            EHLO again and QUIT, and prints what it heard. Certificates are verified (the system's trust store, or \
            --ca-file). Exit status: 0 SIZE read; 1 the server does not announce SIZE; 69 cannot connect; 75 timed \
            out; 76 TLS failed or the server broke the protocol; 64 usage.
            """
    )

    @Argument(help: ArgumentHelp("The server, with its port (default 587): smtp.mail.me.com:587, smtp.gmail.com:465, [::1]:2525.", valueName: "host[:port]"))
    var server: String

    @Flag(help: "TLS from the start, whatever the port (implicit TLS, as port 465).")
    var tls = false

    @Flag(help: "Do not verify the server's certificate: for test servers only.")
    var insecure = false

    @Option(help: ArgumentHelp("Trust the certificates in this PEM file (a test server's, a company's own CA) instead of the system's.", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("Seconds to wait for each step (default 30).", valueName: "seconds"))
    var timeout: Double = 30

    @Flag(help: "Record the SIZE read, for the senders whose submission server this is (submission: in the configuration file).")
    var save = false

    @Flag(name: .long, help: "What the server said as one JSON object.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Language of the report: en or zh-Hant (default: from LC_ALL, LC_MESSAGES, LANG).", valueName: "code"))
    var lang: String?

    func validate() throws {
        if let lang, Language(code: lang) == nil { throw ValidationError("--lang \(lang): use en or zh-Hant") }
        guard Self.parse(server) != nil else { throw ValidationError("\(server): use host or host:port (smtp.mail.me.com:587)") }
        guard timeout > 0 && timeout <= 600 else { throw ValidationError("--timeout \(timeout): give seconds between 0 and 600") }
    }

    /// "host", "host:port", "[v6]:port".
    static func parse(_ text: String) -> (host: String, port: Int)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, 587) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard !parts[0].isEmpty else { return nil }
        if parts.count == 1 { return (String(parts[0]), 587) }
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return (String(parts[0]), port)
    }

    func run() async throws {
        let catalog = (lang.flatMap(Language.init(code:)) ?? Language.fromEnvironment(ProcessInfo.processInfo.environment)).catalog
        guard let (host, port) = Self.parse(server) else { throw ExitCode(64) }
        let name = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let probe = SMTPProbe(host: host, port: port, implicitTLS: tls ? true : nil, verify: !insecure, trustRoots: caFile,
                              timeout: .milliseconds(Int64(timeout * 1000)))
        let capabilities: SMTPCapabilities
        do { capabilities = try await probe.run() } catch {
            let (text, status): (String, Int32) = switch error {
            case .cannotConnect(let reason): (catalog.probeCannotConnect(reason), 69)
            case .timedOut(let step): (catalog.probeTimedOut(Int(timeout), step), 75)
            case .tls(let reason): (catalog.probeTLSFailed(reason), 76)
            case .unexpectedReply(let step, let reply): (catalog.probeUnexpectedReply(step, TerminalText.escaped(reply)), 76)
            case .closed(let step): (catalog.probeClosed(step), 76)
            }
            printError(catalog.probeError(name, text))
            if json {
                print(JSONValue.object([("server", .string(name)), ("error", .string(Self.code(error))), ("message", .string(text))]).serialized())
            }
            throw ExitCode(status)
        }
        let observed = LinkBlock.isoDate(Date())
        if json {
            print(JSONValue.object([
                ("server", .string(name)), ("greeting", .string(capabilities.greeting)),
                ("security", .optional(capabilities.security)), ("verified", .bool(capabilities.security != nil && !insecure)),
                ("size", capabilities.size.map(JSONValue.int) ?? .null),
                ("auth", .array(capabilities.authMechanisms.map(JSONValue.string))),
                ("extensions", .array(capabilities.extensions.map(JSONValue.string))), ("observed", .string(observed)),
            ]).serialized())
        } else {
            var lines = [name + "  " + TerminalText.escaped(capabilities.greeting),
                         "  " + catalog.probeSecurity(capabilities.security, !insecure)]
            switch capabilities.size {
            case .some(let bytes) where bytes > 0: lines.append("  " + catalog.probeSize(ByteCount.grouped(bytes), ByteCount.human(bytes)))
            case .some: lines.append("  " + catalog.probeSizeUnlimited)
            case .none: lines.append("  " + catalog.probeNoSize)
            }
            if !capabilities.authMechanisms.isEmpty { lines.append("  " + catalog.probeAuth(capabilities.authMechanisms.joined(separator: " "))) }
            lines.append("  " + capabilities.extensions.map(TerminalText.escaped).joined(separator: ", "))
            print(lines.joined(separator: "\n"))
        }
        if save, let size = capabilities.size, size > 0 {
            let store = ObservedSizes.standard(environment: ProcessInfo.processInfo.environment)
            let key = Configuration.server(name)
            do {
                try store.save(ProviderEntry.SMTPSize(bytes: size, host: name, observed: observed,
                                                      source: "mailprep probe \(name) (\(capabilities.security ?? "plain"))"), server: key)
                printError(catalog.probeSaved(key, store.path))
            } catch {
                printError("\(store.path): \(error)")
                throw ExitStatus.cannotWrite.code
            }
        }
        if capabilities.size == nil { throw ExitCode(1) }
    }

    static func code(_ error: SMTPProbeError) -> String {
        switch error {
        case .cannotConnect: "cannot-connect"
        case .timedOut: "timed-out"
        case .tls: "tls-failed"
        case .unexpectedReply: "unexpected-reply"
        case .closed: "closed"
        }
    }
}
