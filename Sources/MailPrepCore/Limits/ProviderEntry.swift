/// One provider or MTA in the limits table, with the source of every figure.
///
/// Mirrors one file of `ProviderLimits/` (documented in `ProviderLimits/README.md`).
public struct ProviderEntry: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        /// A mail service with address domains.
        case provider
        /// An MTA's default configuration, chosen with `--provider`.
        case mta
    }

    /// What a size limit is compared with.
    public enum MeasuredOn: String, Codable, Sendable {
        /// The whole message as transmitted: headers, body, after transfer encoding (RFC 1870 size).
        case encoded
        /// Message content and attachments before transfer encoding.
        case raw
    }

    /// A size limit and where it comes from.
    public struct SizeLimit: Codable, Sendable, Hashable {
        /// The limit in octets.
        public var bytes: Int64
        public var measuredOn: MeasuredOn
        /// True when the figure comes from the provider's own words (its page, or a copy of it).
        public var confirmed: Bool
        /// The figure as the source states it ("25 MB").
        public var stated: String?
        public var source: String
        /// When the figure was checked against its source (YYYY-MM-DD).
        public var checked: String?
        public var note: String?
    }

    public struct RecipientLimit: Codable, Sendable, Hashable {
        public var count: Int
        public var confirmed: Bool
        public var source: String
        public var checked: String?
        public var note: String?
    }

    public struct LargeFileService: Codable, Sendable, Hashable {
        public var name: String
        /// Largest file in octets, when known.
        public var maxFileBytes: Int64?
        public var expiresAfterDays: Int?
        public var confirmed: Bool
        public var source: String
        public var checked: String?
        public var note: String?
    }

    /// The SIZE a submission server advertised in its EHLO reply (RFC 1870): its own limit on the encoded message.
    public struct SMTPSize: Codable, Sendable, Hashable {
        public var bytes: Int64
        public var host: String
        /// When it was seen.
        public var observed: String
        public var source: String

        public init(bytes: Int64, host: String, observed: String, source: String) {
            self.bytes = bytes
            self.host = host
            self.observed = observed
            self.source = source
        }
    }

    public var id: String
    public var name: String
    public var kind: Kind
    /// Address domains; `*.example.com` matches every subdomain.
    public var domains: [String]
    public var send: SizeLimit?
    public var receive: SizeLimit?
    public var recipientsPerMessage: RecipientLimit?
    public var largeFileService: LargeFileService?
    public var smtpSize: SMTPSize?

    /// Whether `domain` (lowercased) is one of this entry's.
    public func matches(domain: String) -> Bool {
        domains.contains { pattern in
            if pattern.hasPrefix("*.") {
                return domain.hasSuffix(pattern.dropFirst(1))
            }
            return pattern == domain
        }
    }
}
