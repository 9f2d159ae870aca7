import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The certificate the relay offers with STARTTLS: one the user gives (PEM certificate and key), or one made on the
/// first run and kept (`folder/relay-cert.pem`, `folder/relay-key.pem`, the key 0600), so a mail client that was
/// told to trust it once keeps trusting it. A kept one is made again when it expires within 30 days; its SHA-256
/// fingerprint is what the user compares with what the mail client shows.
public struct RelayCertificate: Sendable {
    public let certificatePath: String
    public let keyPath: String
    /// SHA-256 of the certificate's DER, as "AB:CD:…".
    public let fingerprint: String
    /// Whether this run made it.
    public let made: Bool

    /// Apple's limit for TLS server certificates (macOS 10.15, iOS 13: at most 825 days; "Requirements for trusted
    /// certificates in iOS 13 and macOS 10.15", support.apple.com/HT210176), which also wants serverAuth and a DNS
    /// name in the subject alternative names. A day less, so no clock or rounding puts it over.
    static let lifetime: TimeInterval = 824 * 86_400

    public enum Failure: Error, Sendable {
        case unreadable(path: String, reason: String)
        case cannotWrite(path: String, reason: String)
    }

    /// The given pair, checked: it must load.
    public static func given(certificate: String, key: String) throws(Failure) -> RelayCertificate {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate)
            _ = try NIOSSLPrivateKey(file: key, format: .pem)
            guard let first = chain.first else { throw Failure.unreadable(path: certificate, reason: "no certificate in it") }
            return RelayCertificate(certificatePath: certificate, keyPath: key, fingerprint: try fingerprint(of: first), made: false)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .unreadable(path: certificate, reason: "\(error)")
        }
    }

    /// The kept pair in `folder`, made now when there is none, it expires within 30 days, or it is not for every one
    /// of `names` (host names and addresses). A new one is also for `extra`: this machine's interface addresses,
    /// which change (a VPN, IPv6's temporary addresses) and so are no reason to make another and ask the user to
    /// trust it again.
    public static func kept(in folder: String, names: [String], extra: [String] = [], now: Date = Date()) throws(Failure) -> RelayCertificate {
        let certificatePath = folder + "/relay-cert.pem"
        let keyPath = folder + "/relay-key.pem"
        // Kept while it is the pair (the key's public half is the certificate's), lasts 30 days more, and is for
        // every name it is now used with (a relay moved to a network address needs that address in it).
        if let pem = try? String(contentsOfFile: certificatePath, encoding: .utf8), let existing = try? Certificate(pemEncoded: pem),
           let keyPEM = try? String(contentsOfFile: keyPath, encoding: .utf8), let existingKey = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
           existing.publicKey == Certificate.PublicKey(existingKey.publicKey),
           existing.notValidAfter > now.addingTimeInterval(30 * 86_400), covers(existing, names) {
            return try given(certificate: certificatePath, key: keyPath)
        }
        let key = P256.Signing.PrivateKey()
        let certificatePEM: String
        do {
            let name = try DistinguishedName {
                CommonName("mailprep relay")
                OrganizationName("mailprep")
            }
            var alternatives: [GeneralName] = []
            for name in names + extra.filter({ !names.contains($0) }) {
                if let bytes = Self.addressBytes(name) {
                    alternatives.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
                } else {
                    alternatives.append(.dnsName(name))
                }
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(-3600 + lifetime),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(alternatives)
                },
                issuerPrivateKey: .init(key))
            certificatePEM = try certificate.serializeAsPEM().pemString
        } catch {
            throw .cannotWrite(path: certificatePath, reason: "\(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // The key first, private from its first byte; each file whole or absent.
            try write(key.pemRepresentation + "\n", to: keyPath, mode: 0o600)
            try write(certificatePEM + "\n", to: certificatePath, mode: 0o644)
        } catch {
            throw .cannotWrite(path: folder, reason: "\(error)")
        }
        let loaded = try given(certificate: certificatePath, key: keyPath)
        return RelayCertificate(certificatePath: certificatePath, keyPath: keyPath, fingerprint: loaded.fingerprint, made: true)
    }

    /// A server-side TLS context for STARTTLS with this pair (TLS 1.2 and later).
    public func serverContext() throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .file(keyPath))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }

    /// Whether every name (host name or address) is among the certificate's subject alternative names.
    static func covers(_ certificate: Certificate, _ names: [String]) -> Bool {
        guard let alternatives = try? certificate.extensions.subjectAlternativeNames else { return false }
        var dns: Set<String> = []
        var addresses: Set<[UInt8]> = []
        for name in alternatives {
            switch name {
            case .dnsName(let text): dns.insert(text.lowercased())
            case .ipAddress(let bytes): addresses.insert(Array(bytes.bytes))
            default: continue
            }
        }
        return names.allSatisfy { name in
            if let bytes = addressBytes(name) { return addresses.contains(bytes) }
            return dns.contains(name.lowercased())
        }
    }

    /// This machine's own addresses (for a relay listening on all of them: 0.0.0.0 or ::).
    public static func interfaceAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var found: [String] = []
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // Link-local IPv6 addresses carry a zone ("%eth0"), which no certificate can name.
            if !text.contains("%") && !found.contains(text) { found.append(text) }
        }
        return found
    }

    static func fingerprint(of certificate: NIOSSLCertificate) throws -> String {
        let der = try certificate.toDERBytes()
        return SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    private static func write(_ text: String, to path: String, mode: mode_t) throws {
        // A name of this run's own: two first runs at once do not remove each other's file.
        let temporary = path + ".new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw POSIXError(.EIO)
        }
    }
}
