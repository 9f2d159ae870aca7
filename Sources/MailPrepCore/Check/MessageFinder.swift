#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MIME

/// Finds the messages a path names: a message file, one message of an mbox (`FILE#N`), every message of an mbox or
/// `.emlx` file, or every message below a folder.
///
/// Below a folder: `*.eml` files; every file in a Maildir `cur/` or `new/` folder; Apple Mail's `.emlx` and
/// `.partial.emlx` (as in `~/Library/Mail/V10/…/Drafts.mbox/…/Messages/`); MH messages (files named by a number);
/// and mbox files such as Thunderbird's `Drafts` (files without an extension are told by their first octets).
/// Hidden files and folders (names starting with ".") are skipped, and symbolic links are not followed, so a
/// link loop cannot trap the walk. Paths come back sorted, so reports are stable; an mbox's messages in file order.
public enum MessageFinder {
    /// One thing a path names.
    public enum Found: Sendable {
        case message(MessageLocation)
        /// A path that names a message that cannot be had (`FILE#9` of an mbox of 3).
        case failed(CheckFailure)
    }

    /// What `path` (a command-line argument) names. A path that names nothing readable comes back as one whole
    /// file, so that reading it reports why.
    public static func resolve(_ path: String, quoting: FromQuoting = .mboxo) -> [Found] {
        if path == "-" { return [.message(.file(path))] }
        if isDirectory(path) { return found(under: path, quoting: quoting) }
        var info = stat()
        if stat(path, &info) != 0, let hash = path.lastIndex(of: "#"),
           let number = Int(path[path.index(after: hash)...]), number > 0 {
            let container = String(path[..<hash])
            guard stat(container, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return [.message(.file(path))] }
            do {
                let all = try Mbox.messages(in: container, quoting: quoting)
                if all.isEmpty { return [.failed(CheckFailure(file: path, kind: .notAMailbox))] }
                guard number <= all.count else {
                    return [.failed(CheckFailure(file: path, kind: .noSuchMessage, detail: String(all.count)))]
                }
                return [.message(all[number - 1])]
            } catch {
                return [.failed(MessageCheck.failure(for: error, file: path))]
            }
        }
        return stored(in: path, requireMessage: false, quoting: quoting) ?? [.message(.file(path))]
    }

    /// The messages below a folder.
    public static func messages(under root: String, quoting: FromQuoting = .mboxo) -> [MessageLocation] {
        found(under: root, quoting: quoting).compactMap { if case .message(let location) = $0 { location } else { nil } }
    }

    /// The messages below a folder, and the files there that should be messages but cannot be read.
    public static func found(under root: String, quoting: FromQuoting = .mboxo) -> [Found] {
        var found: [(String, [Found])] = []
        walk(root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root, quoting: quoting, into: &found)
        return found.sorted { NaturalOrder.precedes($0.0, $1.0) }.flatMap(\.1)
    }

    /// True when `path` names a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// What kind of message store a file is, from its first octets.
    public enum Content: Sendable, Equatable {
        case mbox, emlx, message, other
    }

    /// Tells an mbox, an `.emlx` file and a message file apart by their first octets. Only a regular file is
    /// looked into: reading from a pipe or a terminal would take octets the check then misses.
    public static func content(of path: String) -> Content {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return .other }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .other }
        var head = [UInt8](repeating: 0, count: 512)
        let got = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard got > 0 else { return .other }
        head.removeLast(head.count - got)
        if Mbox.looksLikeMbox(head) { return .mbox }
        if EMLX.looksLikeEMLX(head) { return .emlx }
        return HeaderLine.looksLikeField(head) ? .message : .other
    }

    /// True when `path` names something that is not a regular file (a pipe, `/dev/stdin`): read as it is.
    static func isSpecial(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR
    }

    /// The messages of a file that is an mbox or an `.emlx` file; nil for any other file. With `requireMessage`, a
    /// file that is neither and does not look like a message either gives no messages (a walk skips it).
    static func stored(in path: String, requireMessage: Bool, quoting: FromQuoting) -> [Found]? {
        switch content(of: path) {
        case .mbox:
            do {
                let messages = try Mbox.messages(in: path, quoting: quoting)
                // A saved message that kept its mbox separator line ("From sender date", as some clients save
                // one): a file of one message, named as the file, the separator line not counted.
                if messages.count == 1, var only = messages.first, path.lowercased().hasSuffix(".eml") {
                    only.index = nil
                    return [.message(only)]
                }
                return messages.filter { !$0.expunged }.map(Found.message)
            } catch {
                return [.failed(MessageCheck.failure(for: error, file: path))]
            }
        case .emlx:
            return [.message((try? EMLX.location(of: path)) .flatMap { $0 } ?? .file(path))]
        case .message:
            return requireMessage ? [.message(.file(path))] : nil
        case .other:
            return requireMessage ? [] : nil
        }
    }

    private static func walk(_ directory: String, quoting: FromQuoting, into found: inout [(String, [Found])]) {
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        let folderName = directory.split(separator: "/").last.map(String.init) ?? directory
        let isMaildirFolder = folderName == "cur" || folderName == "new"
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = directory + "/" + name
            var type = Int32(entry.pointee.d_type)
            if type == Int32(DT_UNKNOWN) {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: type = Int32(DT_DIR)
                case S_IFREG: type = Int32(DT_REG)
                default: continue
                }
            }
            if type == Int32(DT_DIR) {
                walk(path, quoting: quoting, into: &found)
                continue
            }
            guard type == Int32(DT_REG), isCandidate(name: name, folder: folderName) else { continue }
            let lower = name.lowercased()
            let isMH = name.allSatisfy(\.isASCIIDigit)
            // A file that is mail by its place or name but cannot be opened is reported, not left out.
            if isMaildirFolder || lower.hasSuffix(".eml") || lower.hasSuffix(".emlx") || isMH || isThunderbirdMailbox(path) {
                if access(path, R_OK) != 0 {
                    found.append((path, [.failed(CheckFailure(file: path, kind: errno == ENOENT ? .notFound : .permissionDenied))]))
                    continue
                }
            }
            if isMaildirFolder {
                found.append((path, [.message(.file(path))]))
            } else if lower.hasSuffix(".eml") {
                found.append((path, stored(in: path, requireMessage: false, quoting: quoting) ?? [.message(.file(path))]))
            } else if lower.hasSuffix(".emlx") {
                found.append((path, [.message((try? EMLX.location(of: path)).flatMap { $0 } ?? .file(path))]))
            } else if !lower.contains(".") || lower.hasSuffix(".mbox") || lower.hasSuffix(".mbx") {
                // Thunderbird's Drafts, an mbox; MH's numbered messages. Other names without an extension are
                // taken only when they are an mbox.
                let messages = stored(in: path, requireMessage: isMH, quoting: quoting) ?? []
                let isMbox = messages.contains { if case .message(let location) = $0 { location.format == .mbox } else { true } }
                if !messages.isEmpty && (isMH || isMbox) { found.append((path, messages)) }
            }
        }
    }

    /// True when a folder walk looks at a file by its name and its folder's: anything in a Maildir `cur/` or `new/`,
    /// `.eml`, `.emlx`, `.mbox`, `.mbx`, and names without an extension (Thunderbird's `Drafts`, MH's numbers; what
    /// is in them decides). `watch` takes files by the same rule.
    static func isCandidate(name: String, folder: String) -> Bool {
        if folder == "cur" || folder == "new" { return true }
        let lower = name.lowercased()
        return !lower.contains(".") || [".eml", ".emlx", ".mbox", ".mbx"].contains { lower.hasSuffix($0) }
    }

    /// True when `path` has Thunderbird's summary file beside it (`Drafts` and `Drafts.msf`).
    private static func isThunderbirdMailbox(_ path: String) -> Bool {
        access(path + ".msf", F_OK) == 0
    }
}

/// Path order with runs of digits compared as numbers, so MH's message 10 comes after 9.
enum NaturalOrder {
    static func precedes(_ left: String, _ right: String) -> Bool {
        var a = Array(left.utf8)[...]
        var b = Array(right.utf8)[...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        while let x = a.first, let y = b.first {
            if isDigit(x) && isDigit(y) {
                let runA = a.prefix(while: isDigit), runB = b.prefix(while: isDigit)
                let numberA = runA.drop { $0 == 0x30 }, numberB = runB.drop { $0 == 0x30 }
                if numberA.count != numberB.count { return numberA.count < numberB.count }
                if !numberA.elementsEqual(numberB) { return numberA.lexicographicallyPrecedes(numberB) }
                a = a.dropFirst(runA.count)
                b = b.dropFirst(runB.count)
                continue
            }
            if x != y { return x < y }
            a = a.dropFirst()
            b = b.dropFirst()
        }
        return a.count < b.count
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
