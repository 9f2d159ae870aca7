import ArgumentParser
import Foundation
import MailPrepCore
import Yams

/// Settings from the configuration file, which flags override. A YAML mapping:
///
///     share: ~/Share                            # the share folder
///     share_url: https://files.example.org/m/   # its public address
///     expires: 30d                              # how long links work
///     templates: ~/.config/mailprep/templates   # link.txt.mustache, link.html.mustache
///     listen: 127.0.0.1:8025                    # mailprep serve
///     share_mode: owner                         # or group: a web server in your group may read the share
///     limits: ~/.config/mailprep/limits         # provider entries of your own: a file or folder, or a list
///     accounts:                                 # addresses and domains at a provider their domain does not tell
///       me@example.hk: icloud
///     send_via: msmtp                           # mailprep sendmail's real sender; or by sender address or domain:
///     send_via: { me@icloud.com: msmtp -a icloud, default: msmtp }
///     oversize: fix                             # mailprep sendmail over a limit: fix, refuse or warn
///     submission:                               # each sender's submission server, whose SIZE probe --save keeps
///       me@icloud.com: smtp.mail.me.com:587
///     relay:                                    # mailprep relay: one real server per listening address
///       - { listen: 127.0.0.1:2587, upstream: smtp.mail.me.com:587 }
///       - { listen: 127.0.0.1:2588, upstream: smtp.gmail.com:587, keep: ~/Mail/sent-by-mailprep }
///
/// Found at --config, else $MAILPREP_CONFIG, else `$XDG_CONFIG_HOME/mailprep/config.yaml` (`~/.config/...`) on
/// Linux, `~/Library/Application Support/mailprep/config.yaml` on macOS. A missing default file is no error; an
/// unreadable or invalid one is, and so is an unknown key (a typo should not pass silently).
struct Configuration: Equatable {
    var share: String?
    var shareURL: String?
    var expires: String?
    var templates: String?
    var listen: String?
    var shareMode: ShareStore.Access?
    /// Provider entry files or folders, applied before any `--limits`.
    var limits: [String] = []
    /// Address or domain to provider id.
    var accounts: [String: String] = [:]
    /// `mailprep sendmail`'s real sender, by lowercased sender address or domain, or "default".
    var sendVia: [String: String] = [:]
    var oversize: String?
    /// Sender address or domain to its submission server, "host:port".
    var submission: [String: String] = [:]
    /// `mailprep relay`'s listeners, each with its real server.
    var relay: [RelaySetup] = []
    /// The file read, if any.
    var path: String?

    static let keys: Set<String> = ["share", "share_url", "expires", "templates", "listen", "share_mode", "limits", "accounts",
                                    "send_via", "oversize", "submission", "relay"]

    /// "host" or "host:port" as probe and `submission:` write servers: lowercased, port 587 when none is given.
    static func server(_ text: String) -> String {
        let lowered = text.lowercased()
        let hasPort = lowered.hasPrefix("[") ? lowered.contains("]:") : lowered.split(separator: ":").count == 2
        return hasPort ? lowered : lowered + ":587"
    }

    /// The real sender for mail from `sender`: its address's entry, its domain's, else the default.
    func realSender(address: String?) -> String? {
        let address = address?.lowercased()
        let domain = address?.split(separator: "@").last.map(String.init)
        return address.flatMap { sendVia[$0] } ?? domain.flatMap { sendVia[$0] } ?? sendVia["default"]
    }

    static func defaultPath(environment: [String: String]) -> String {
        defaultFolder(environment: environment) + "/config.yaml"
    }

    /// The folder of the default configuration file, where templates are looked for when none is configured.
    static func defaultFolder(environment: [String: String]) -> String {
        UserFolders.configuration(environment: environment)
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func load(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) -> Configuration {
        let named = explicit ?? environment["MAILPREP_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let path = named ?? defaultPath(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else {
            if named != nil { throw Invalid(description: "\(path): no such configuration file") }
            return Configuration()
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Invalid(description: "\(path): cannot be read as UTF-8 text")
        }
        return try parse(text, path: path, home: environment["HOME"] ?? NSHomeDirectory())
    }

    /// `load`, with a bad file reported in one line and exit 78.
    static func loadOrExit(explicit: String?) throws -> Configuration {
        do { return try load(explicit: explicit) } catch {
            printError(error.description)
            throw ExitStatus.configuration.code
        }
    }

    static func parse(_ text: String, path: String, home: String) throws(Invalid) -> Configuration {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw Invalid(description: "\(path): not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        var configuration = Configuration(path: path)
        guard let node else { return configuration }
        guard let mapping = node.mapping else { throw Invalid(description: "\(path): expected keys and values (share: ..., share_url: ...)") }
        for (key, value) in mapping {
            guard let name = key.string, keys.contains(name) else {
                throw Invalid(description: "\(path): unknown key \(key.string ?? "?"); known: \(keys.sorted().joined(separator: ", "))")
            }
            func expand(_ text: String) -> String { text.hasPrefix("~/") ? home + text.dropFirst() : text }
            // A relative limits path is the configuration file's neighbour, wherever mailprep runs.
            func relative(_ file: String) -> String {
                file.hasPrefix("/") ? file : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(file).path
            }
            if name == "limits", let list = value.sequence {
                configuration.limits = try list.map { item throws(Invalid) in
                    guard let file = item.scalar?.string else { throw Invalid(description: "\(path): limits: each item is a file or folder") }
                    return relative(expand(file))
                }
                continue
            }
            if name == "send_via", let entries = value.mapping {
                for (account, command) in entries {
                    guard let key = account.scalar?.string, !key.isEmpty, let text = command.scalar?.string, !text.isEmpty else {
                        throw Invalid(description: "\(path): send_via: a command, or sender addresses or domains with a command each (default: for the rest)")
                    }
                    configuration.sendVia[key.lowercased()] = text
                }
                continue
            }
            if name == "submission" {
                guard let entries = value.mapping else {
                    throw Invalid(description: "\(path): submission: sender addresses or domains with their server (me@icloud.com: smtp.mail.me.com:587)")
                }
                for (account, server) in entries {
                    guard let key = account.scalar?.string, !key.isEmpty, let text = server.scalar?.string, !text.isEmpty else {
                        throw Invalid(description: "\(path): submission: each is a sender address or domain and a host:port")
                    }
                    configuration.submission[key.lowercased()] = Self.server(text)
                }
                continue
            }
            if name == "relay" {
                let entries = value.sequence.map(Array.init) ?? [value]
                configuration.relay = try entries.map { entry throws(Invalid) in try RelaySetup.parse(entry, path: path, expand: expand) }
                continue
            }
            if name == "accounts" {
                guard let accounts = value.mapping else {
                    throw Invalid(description: "\(path): accounts: addresses or domains with a provider id (me@example.hk: icloud)")
                }
                for (account, provider) in accounts {
                    guard let key = account.scalar?.string, !key.isEmpty, let id = provider.scalar?.string, !id.isEmpty else {
                        throw Invalid(description: "\(path): accounts: each is an address or domain and a provider id (me@example.hk: icloud)")
                    }
                    configuration.accounts[key.lowercased()] = id.lowercased()
                }
                continue
            }
            guard let scalar = value.scalar?.string else { throw Invalid(description: "\(path): \(name) must be a single value") }
            let expanded = expand(scalar)
            switch name {
            case "share": configuration.share = expanded
            case "share_url": configuration.shareURL = scalar
            case "expires": configuration.expires = scalar
            case "templates": configuration.templates = expanded
            case "limits": configuration.limits = [relative(expanded)]
            case "send_via": configuration.sendVia["default"] = scalar
            case "oversize":
                guard ["fix", "refuse", "warn"].contains(scalar) else { throw Invalid(description: "\(path): oversize \(scalar): use fix, refuse or warn") }
                configuration.oversize = scalar
            case "share_mode":
                guard let access = ShareStore.Access(rawValue: scalar) else {
                    throw Invalid(description: "\(path): share_mode \(scalar): use owner or group")
                }
                configuration.shareMode = access
            default: configuration.listen = scalar
            }
        }
        return configuration
    }

    /// "30d", "12h", "2w", "45m": a lifetime in seconds; nil when it is not one (or under a minute, over 10 years).
    static func lifetime(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last, let value = Double(trimmed.dropLast()), value > 0 else { return nil }
        let seconds: Double
        switch unit {
        case "m": seconds = value * 60
        case "h": seconds = value * 3600
        case "d": seconds = value * 86_400
        case "w": seconds = value * 7 * 86_400
        default: return nil
        }
        return (60...(3650 * 86_400)).contains(seconds) ? seconds : nil
    }
}

/// Where the file share is; shared by `fix`, `share` and `serve`.
struct ShareFolderOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The share folder (default: share in the configuration file, else $XDG_DATA_HOME/mailprep/share, or ~/Library/Application Support/mailprep/share on macOS).", valueName: "folder"))
    var share: String?

    @Option(help: ArgumentHelp("The configuration file (default: $MAILPREP_CONFIG, else ~/.config/mailprep/config.yaml).", valueName: "file"))
    var config: String?

    /// The configuration file's settings; a bad file is a configuration error (exit 78).
    func configuration() throws -> Configuration {
        try Configuration.loadOrExit(explicit: config)
    }

    func store(_ configuration: Configuration) -> ShareStore {
        ShareStore(root: share ?? configuration.share ?? ShareStore.defaultRoot(environment: ProcessInfo.processInfo.environment),
                   access: configuration.shareMode ?? .owner)
    }
}

/// One listening address of `mailprep relay` and the real server behind it: from the flags, or an entry of the
/// configuration file's `relay:`.
struct RelaySetup: Equatable, Sendable {
    var listen = "127.0.0.1:2587"
    var upstream: String
    var upstreamTLS = "starttls"
    var upstreamAuth = "passthrough"
    var allowNetwork = false
    var keep: String?
    var caFile: String?

    static let keys: Set<String> = ["listen", "upstream", "upstream_tls", "upstream_auth", "allow_network", "keep", "ca_file"]
    static let tlsModes = ["starttls", "tls", "none"]
    static let authModes = ["passthrough", "none"]

    static func parse(_ node: Node, path: String, expand: (String) -> String) throws(Configuration.Invalid) -> RelaySetup {
        let example = "relay: { listen: 127.0.0.1:2587, upstream: smtp.mail.me.com:587 }, or a list of them"
        guard let mapping = node.mapping else { throw Configuration.Invalid(description: "\(path): \(example)") }
        var values: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string, keys.contains(name) else {
                throw Configuration.Invalid(description: "\(path): relay: unknown key \(key.string ?? "?"); known: \(keys.sorted().joined(separator: ", "))")
            }
            guard let text = value.scalar?.string else { throw Configuration.Invalid(description: "\(path): relay: \(name) must be a single value") }
            values[name] = text
        }
        guard let upstream = values["upstream"], ProbeCommand.parse(upstream) != nil else {
            throw Configuration.Invalid(description: "\(path): relay: each entry needs upstream: host:port (\(example))")
        }
        var setup = RelaySetup(upstream: upstream)
        if let listen = values["listen"] {
            guard ServeCommand.parse(listen: listen) != nil else { throw Configuration.Invalid(description: "\(path): relay: listen \(listen): use host:port") }
            setup.listen = listen
        }
        if let mode = values["upstream_tls"] {
            guard tlsModes.contains(mode) else { throw Configuration.Invalid(description: "\(path): relay: upstream_tls \(mode): use starttls, tls or none") }
            setup.upstreamTLS = mode
        }
        if let mode = values["upstream_auth"] {
            guard authModes.contains(mode) else { throw Configuration.Invalid(description: "\(path): relay: upstream_auth \(mode): use passthrough or none") }
            setup.upstreamAuth = mode
        }
        if let flag = values["allow_network"] {
            guard let value = Bool(flag.lowercased()) else { throw Configuration.Invalid(description: "\(path): relay: allow_network \(flag): use true or false") }
            setup.allowNetwork = value
        }
        setup.keep = values["keep"].map(expand)
        setup.caFile = values["ca_file"].map(expand)
        return setup
    }
}
