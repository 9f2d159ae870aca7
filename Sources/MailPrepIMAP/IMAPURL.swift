import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IMAP folder or message named by a URL (RFC 5092): `imaps://user@host[:port]/Folder[/;UID=n]`.
///
/// The user name may hold a raw `@` (`imaps://mei.chan@icloud.com@imap.mail.me.com/Drafts`; the host is after the
/// last one) or `%40`. A password in the URL is refused: it would be in the shell's history and the process list.
public struct IMAPURL: Sendable, Equatable {
    public enum Problem: Error, Sendable, Equatable {
        /// Not an `imap://` or `imaps://` address, or no host.
        case notIMAP
        case passwordInURL
        case noUser
        /// `imap://` to a host that is not the loopback, without `--allow-plain-imap`.
        case plainToNetwork(host: String)
        /// `;UID=` that is not a number from 1 to 4294967295.
        case badUID
    }

    public var secure: Bool
    public var user: String
    public var host: String
    public var port: Int?
    /// The folder, decoded from the URL's percent-encoding: "Drafts", "[Gmail]/Drafts", "草稿".
    public var folder: String
    /// One message of the folder.
    public var uid: UInt32?

    /// True when `text` looks like an IMAP address at all.
    public static func isIMAP(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("imap://") || lower.hasPrefix("imaps://")
    }

    public init(_ text: String) throws(Problem) {
        let lower = text.lowercased()
        guard Self.isIMAP(text) else { throw .notIMAP }
        secure = lower.hasPrefix("imaps://")
        let rest = text.dropFirst(secure ? 8 : 7)
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = authorityEnd < rest.endIndex ? rest[rest.index(after: authorityEnd)...] : ""
        guard let at = authority.lastIndex(of: "@") else { throw .noUser }
        let userInfo = authority[..<at]
        if userInfo.contains(":") { throw .passwordInURL }
        // RFC 5092's ";AUTH=" goes with the user; mailprep logs in as libcurl chooses.
        let userPart = userInfo.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        user = Self.percentDecoded(userPart)
        guard !user.isEmpty else { throw .noUser }
        var hostPort = String(authority[authority.index(after: at)...])
        port = nil
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]"), let number = Int(hostPort[hostPort.index(after: colon)...]) {
            port = number
            hostPort = String(hostPort[..<colon])
        }
        host = hostPort
        guard !host.isEmpty else { throw .notIMAP }
        uid = nil
        // ";UID=n" at the end (after "/" or not), ";UIDVALIDITY=n" after the folder.
        if let range = path.range(of: ";UID=", options: .caseInsensitive) {
            guard let number = UInt32(path[range.upperBound...]), number > 0 else { throw .badUID }
            uid = number
            path = path[..<range.lowerBound]
        }
        if let range = path.range(of: ";UIDVALIDITY=", options: .caseInsensitive) { path = path[..<range.lowerBound] }
        while path.hasSuffix("/") { path = path.dropLast() }
        folder = Self.percentDecoded(String(path))
    }

    /// Refuses plain IMAP to anything but the loopback unless `allowPlain`.
    public func checkTransport(allowPlain: Bool) throws(Problem) {
        if !secure && !allowPlain && !isLoopback { throw .plainToNetwork(host: host) }
    }

    /// True for `localhost` and for addresses of this machine written out (127.0.0.0/8, ::1); a name that only
    /// begins like one (`127.0.0.1.example.org`) is a name, resolved elsewhere.
    public var isLoopback: Bool {
        let name = host.lowercased().trimmingCharacters(in: "[]")
        if name == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, name, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, name, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) }
        }
        return false
    }

    /// `text` with any password in it replaced by "***", for an error line.
    public static func withoutPassword(_ text: String) -> String {
        guard isIMAP(text), let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    /// `imaps://host:port`, for libcurl.
    public var server: String {
        "\(secure ? "imaps" : "imap")://\(host)\(port.map { ":\($0)" } ?? "")"
    }

    /// The folder's address as reports show it (no password ever; the user percent-encoded as RFC 5092 wants).
    public var folderName: String {
        "\(server.replacingOccurrences(of: "://", with: "://\(Self.percentEncodedUser(user))@"))/\(folder.isEmpty ? "" : Self.percentEncodedPath(folder))"
    }

    /// One message's address: the folder's, then `/;UID=n`.
    public func messageName(uid: UInt32) -> String { "\(folderName)/;UID=\(uid)" }

    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == 0x25, iterator.count >= 2, let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func percentEncodedUser(_ text: String) -> String {
        text.utf8.map { byte in
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            return unreserved ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }.joined()
    }

    /// Reserved and control characters percent-encoded; letters beyond ASCII kept as they are (an IRI, RFC 3987),
    /// so "草稿" reads as itself and pastes back as the same folder.
    static func percentEncodedPath(_ text: String) -> String {
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            let keep = byte >= 0x80 || (byte > 0x20 && byte < 0x7F && byte != 0x25 && byte != 0x3B && byte != 0x3F
                                        && byte != 0x23 && byte != 0x5B && byte != 0x5D)
            if keep { bytes.append(byte) } else { bytes += Array(("%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)).utf8) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// IMAP's modified UTF-7 for folder names (RFC 3501 section 5.1.3): "草稿" is "&g0l6Pw-".
public enum ModifiedUTF7 {
    public static func encode(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")
            var index = 0
            var encoded = ""
            while index < bytes.count {
                let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
                let value = (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8) | UInt32(chunk.count > 2 ? chunk[2] : 0)
                let characters = chunk.count + 1
                for position in 0..<characters { encoded.append(alphabet[Int((value >> (18 - 6 * UInt32(position))) & 0x3F)]) }
                index += 3
            }
            out += "&" + encoded + "-"
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return out
    }
}

extension ModifiedUTF7 {
    /// The folder name a server spells in modified UTF-7, as text; a malformed run is kept as it is.
    public static func decode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)
        var out = ""
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&") else {
                out.unicodeScalars.append(UnicodeScalar(byte))
                index += 1
                continue
            }
            guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "-")) else {
                out += String(decoding: bytes[index...], as: UTF8.self)
                break
            }
            let run = bytes[(index + 1)..<end]
            if run.isEmpty {
                out += "&"
            } else {
                var bits: UInt32 = 0
                var count = 0
                var units: [UInt16] = []
                var valid = true
                for character in run {
                    guard let value = alphabet.firstIndex(of: character) else { valid = false; break }
                    bits = (bits << 6) | UInt32(value)
                    count += 6
                    if count >= 16 {
                        count -= 16
                        units.append(UInt16((bits >> UInt32(count)) & 0xFFFF))
                    }
                }
                out += valid ? String(decoding: units, as: UTF16.self) : String(decoding: bytes[index...end], as: UTF8.self)
            }
            index = end + 1
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
