import MIME

/// How the limit for a message is chosen: the table, the user's overrides, the safety margin and the default.
public struct LimitPolicy: Sendable {
    /// Octets kept free for headers added in transit, by default.
    ///
    /// Measured and typical additions on the way: Postfix's own envelope and Received header, about 840 octets for
    /// one recipient (shared/research/mta-size-accounting.md); a DKIM-Signature, 500-800; an ARC set, about 2,000;
    /// a Received header per relay, about 250; spam-filter headers. 10,000 octets covers several relays of that.
    public static let defaultMarginBytes: Int64 = 10_000

    /// The limit assumed for address domains not in the table: Postfix's default `message_size_limit`, the most
    /// common self-hosted MTA's, which also sits at Exchange Server's 10 MB default.
    public static let defaultUnknownDomainBytes: Int64 = 10_240_000

    public var table: ProviderTable
    /// Judge only against this provider's sending limit (`--provider`).
    public var providerID: String?
    /// Judge only against this many octets of the encoded message (`--limit`).
    public var userLimitBytes: Int64?
    public var marginBytes: Int64
    public var unknownDomainBytes: Int64
    /// Addresses and domains at a provider that their domain does not tell (`accounts:` in the configuration file:
    /// `me@example.hk: icloud`), by lowercased address or domain to a provider id. An address wins over its domain.
    public var accounts: [String: String]
    /// The SIZE a sender's own submission server advertised (`mailprep probe --save`, and `submission:` in the
    /// configuration file naming the server), by lowercased sender address or domain.
    public var submissionSizes: [String: ProviderEntry.SMTPSize] = [:]

    public init(table: ProviderTable = .builtIn, providerID: String? = nil, userLimitBytes: Int64? = nil,
                marginBytes: Int64 = defaultMarginBytes, unknownDomainBytes: Int64 = defaultUnknownDomainBytes,
                accounts: [String: String] = [:]) {
        self.table = table
        self.providerID = providerID
        self.userLimitBytes = userLimitBytes
        self.marginBytes = marginBytes
        self.unknownDomainBytes = unknownDomainBytes
        self.accounts = Dictionary(accounts.map { ($0.key.lowercased(), $0.value.lowercased()) }, uniquingKeysWith: { $1 })
    }

    /// The provider behind an address: a named account first, then an entry that lists the address itself (a
    /// mailing list with a limit of its own), then the address's domain in the table.
    public func entry(for mailbox: Mailbox) -> ProviderEntry? {
        let address = mailbox.address.lowercased()
        let named = accounts[address] ?? mailbox.domain.flatMap { accounts[$0] }
        if let named, let entry = table.entry(id: named) { return entry }
        if let listed = table.entries.first(where: { $0.domains.contains(address) }) { return listed }
        return mailbox.domain.flatMap(table.entry(forDomain:))
    }

    /// Every limit that applies to a message from `sender` to `recipients`, measured against its sizes.
    ///
    /// Without overrides: the sender's sending limits (and its server's SIZE), and each recipient domain's receiving
    /// limit. The message fits when it fits all of them; the one with the least headroom is the binding one.
    public func limits(sender: Mailbox?, recipients: [Mailbox], wireBytes: Int64, decodedBytes: Int64) -> [AppliedLimit] {
        var limits: [AppliedLimit] = []
        if let userLimitBytes {
            limits.append(AppliedLimit(bytes: userLimitBytes, measuredOn: .encoded, origin: .user, kind: .user,
                                       confirmed: true, marginBytes: marginBytes))
        } else if let providerID, let entry = table.entry(id: providerID) {
            limits += sendingLimits(of: entry, origin: .provider, address: nil, domain: nil)
            if limits.isEmpty, let receive = entry.receive {
                limits.append(applied(receive, entry: entry, origin: .provider, kind: .receive, address: nil, domain: nil))
            }
        } else {
            if let sender, let domain = sender.domain {
                let observed = submissionSizes[sender.address.lowercased()] ?? submissionSizes[domain]
                if let entry = entry(for: sender) {
                    limits += sendingLimits(of: entry, origin: .sender, address: sender.address, domain: domain)
                } else if observed == nil {
                    limits.append(unknown(origin: .sender, address: sender.address, domain: domain))
                }
                // The sender's own server's word, seen by mailprep probe: a sending limit (the table's may be old).
                if let observed, observed.bytes > 0 {
                    limits.append(AppliedLimit(bytes: observed.bytes, measuredOn: .encoded, origin: .sender, kind: .smtpSize,
                                               providerID: nil, providerName: observed.host, address: sender.address, domain: domain,
                                               source: observed.source, confirmed: false, marginBytes: marginBytes))
                }
            }
            var seenDomains: Set<String> = []
            for recipient in recipients {
                // One limit per domain, except for an address named in accounts or in the table, which is its own.
                guard let domain = recipient.domain else { continue }
                let address = recipient.address.lowercased()
                let own = accounts[address] != nil || table.entries.contains { $0.domains.contains(address) }
                let key = own ? address : domain
                guard seenDomains.insert(key).inserted else { continue }
                guard let entry = entry(for: recipient) else {
                    limits.append(unknown(origin: .recipient, address: recipient.address, domain: domain))
                    continue
                }
                if let receive = entry.receive {
                    limits.append(applied(receive, entry: entry, origin: .recipient, kind: .receive, address: recipient.address, domain: domain))
                } else if let send = entry.send {
                    limits.append(applied(send, entry: entry, origin: .recipient, kind: .receiveAssumedFromSend, address: recipient.address, domain: domain))
                } else if let size = entry.smtpSize {
                    var limit = applied(ProviderEntry.SizeLimit(bytes: size.bytes, measuredOn: .encoded, confirmed: false, source: size.source),
                                        entry: entry, origin: .recipient, kind: .receiveAssumedFromSend, address: recipient.address, domain: domain)
                    limit.confirmed = false
                    limits.append(limit)
                } else {
                    limits.append(unknown(origin: .recipient, address: recipient.address, domain: domain))
                }
            }
        }
        if limits.isEmpty {
            limits.append(AppliedLimit(bytes: unknownDomainBytes, measuredOn: .encoded, origin: .fallback, kind: .unknownDomainDefault,
                                       confirmed: false, marginBytes: marginBytes))
        }
        return limits.map { limit in
            var limit = limit
            limit.measuredBytes = limit.measuredOn == .encoded ? wireBytes + limit.marginBytes : decodedBytes
            return limit
        }
    }

    private func sendingLimits(of entry: ProviderEntry, origin: AppliedLimit.Origin, address: String?, domain: String?) -> [AppliedLimit] {
        var limits: [AppliedLimit] = []
        if let send = entry.send {
            limits.append(applied(send, entry: entry, origin: origin, kind: .send, address: address, domain: domain))
        }
        if let size = entry.smtpSize {
            limits.append(AppliedLimit(bytes: size.bytes, measuredOn: .encoded, origin: origin, kind: .smtpSize,
                                       providerID: entry.id, providerName: entry.name, address: address, domain: domain,
                                       source: size.source, confirmed: false, marginBytes: marginBytes))
        }
        return limits
    }

    private func applied(_ limit: ProviderEntry.SizeLimit, entry: ProviderEntry, origin: AppliedLimit.Origin,
                         kind: AppliedLimit.Kind, address: String?, domain: String?) -> AppliedLimit {
        AppliedLimit(bytes: limit.bytes, measuredOn: limit.measuredOn, origin: origin, kind: kind,
                     providerID: entry.id, providerName: entry.name, address: address, domain: domain,
                     source: limit.source, confirmed: limit.confirmed,
                     marginBytes: limit.measuredOn == .encoded ? marginBytes : 0)
    }

    private func unknown(origin: AppliedLimit.Origin, address: String, domain: String) -> AppliedLimit {
        AppliedLimit(bytes: unknownDomainBytes, measuredOn: .encoded, origin: origin, kind: .unknownDomainDefault,
                     address: address, domain: domain, source: nil, confirmed: false, marginBytes: marginBytes)
    }
}
