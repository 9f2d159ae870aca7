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
    /// name in the subject alternative names.
    static let lifetime: TimeInterval = 825 * 86_400

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

    /// The kept pair in `folder`, made now (for `names`: host names and addresses) when there is none or it
    /// expires within 30 days.
    public static func kept(in folder: String, names: [String], now: Date = Date()) throws(Failure) -> RelayCertificate {
        let certificatePath = folder + "/relay-cert.pem"
        let keyPath = folder + "/relay-key.pem"
        if let pem = try? String(contentsOfFile: certificatePath, encoding: .utf8), let existing = try? Certificate(pemEncoded: pem),
           existing.notValidAfter > now.addingTimeInterval(30 * 86_400), (try? NIOSSLPrivateKey(file: keyPath, format: .pem)) != nil {
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
            for name in names {
                if let bytes = Self.addressBytes(name) {
                    alternatives.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
                } else {
                    alternatives.append(.dnsName(name))
                }
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(lifetime),
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
        let temporary = path + ".new"
        unlink(temporary)
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
