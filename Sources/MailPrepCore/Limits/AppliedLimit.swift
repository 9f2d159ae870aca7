import MIME

/// A size limit that applies to one message, with where it came from and how the message measures against it.
public struct AppliedLimit: Sendable, Hashable {
    /// Whose limit this is.
    public enum Origin: String, Sendable {
        /// The sender's provider (from the From address).
        case sender
        /// A recipient's provider (To, Cc, Bcc).
        case recipient
        /// The provider named with `--provider`.
        case provider
        /// The figure given with `--limit`.
        case user
        /// No address to look up: the default for unknown domains.
        case fallback = "default"
    }

    /// Which figure of the provider.
    public enum Kind: String, Sendable {
        case send
        case receive
        /// The SIZE its submission server advertises (RFC 1870).
        case smtpSize = "smtp-size"
        /// A provider without a receive figure: its sending limit stands in.
        case receiveAssumedFromSend = "receive-assumed-from-send"
        /// An address domain mailprep does not know: the documented default.
        case unknownDomainDefault = "unknown-domain-default"
        /// Given by the user.
        case user
    }

    /// The limit in octets.
    public var bytes: Int64
    public var measuredOn: ProviderEntry.MeasuredOn
    public var origin: Origin
    public var kind: Kind
    public var providerID: String?
    public var providerName: String?
    /// The address that brought this limit in, if any.
    public var address: String?
    /// The domain looked up, if any.
    public var domain: String?
    public var source: String?
    public var confirmed: Bool
    /// Octets kept free for headers added in transit; counted only against limits on the encoded message.
    public var marginBytes: Int64
    /// What the message measures for this limit: wire octets plus margin (encoded), or decoded octets (raw).
    public var measuredBytes: Int64 = 0

    /// Octets to spare (negative: over by that much).
    public var headroomBytes: Int64 { bytes - measuredBytes }

    public var fits: Bool { headroomBytes >= 0 }

    /// A plain English sentence for JSON and logs (text reports use the localized catalogue).
    public var reason: String {
        let who: String
        switch origin {
        case .sender: who = "sender \(address ?? "?")"
        case .recipient: who = "recipient \(address ?? "?")"
        case .provider: who = "--provider \(providerID ?? "?")"
        case .user: who = "--limit"
        case .fallback: who = "no sender or recipient address"
        }
        let what: String
        switch kind {
        case .send: what = "\(providerName ?? "") sending limit"
        case .receive: what = "\(providerName ?? "") receiving limit"
        case .smtpSize: what = "\(providerName ?? "") submission server SIZE"
        case .receiveAssumedFromSend: what = "\(providerName ?? "") publishes no receiving limit; its sending limit is assumed"
        case .unknownDomainDefault: what = domain.map { "unknown domain \($0): default limit" } ?? "default limit"
        case .user: what = "limit given on the command line"
        }
        return "\(who): \(what)"
    }
}
