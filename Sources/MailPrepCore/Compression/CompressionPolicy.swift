import MIME

/// Which attachments are worth compressing: not those already compressed (images, media, archives, and the
/// office and ebook formats that are zip inside), nor text that is the message's own body.
public enum CompressionPolicy {
    static let compressedTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp", "image/avif",
        "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/opus", "video/mp4", "video/quicktime",
        "video/webm", "video/x-matroska", "video/mpeg",
        "application/zip", "application/x-zip-compressed", "application/gzip", "application/x-gzip",
        "application/x-bzip2", "application/x-xz", "application/zstd", "application/x-7z-compressed",
        "application/vnd.rar", "application/x-rar-compressed", "application/java-archive",
        "application/vnd.android.package-archive", "application/epub+zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation", "application/pkcs7-mime", "application/pgp-encrypted",
    ]

    static let compressedExtensions: Set<String> = [
        "jpg", "jpeg", "png", "gif", "heic", "heif", "webp", "avif", "mp3", "m4a", "aac", "ogg", "opus", "mp4", "m4v",
        "mov", "webm", "mkv", "zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "jar", "apk", "epub",
        "docx", "xlsx", "pptx", "odt", "ods", "odp", "pages", "numbers", "key",
    ]

    /// Why an entity is not a candidate, or nil when it is one.
    public static func reasonToSkip(_ entity: Entity, in message: Message) -> KeepReason? {
        // A multipart is never a leaf here; its parts are judged one by one.
        guard entity.kind == .leaf else { return entity.kind == .message ? .attachedMessage : .messageText }
        let type = entity.contentType.mimeType
        // An image the HTML shows is kept for that reason, attachment or inline.
        if message.isReferencedByHTML(entity) { return .shownByHTML }
        guard message.isAttachment(entity) else { return .messageText }
        // Named by the file's extension where it has one: ".docx" reads better, and fits a report's column, where
        // "application/vnd.openxmlformats-officedocument.wordprocessingml.document" would be cut short.
        // Only letters and digits: the name is the sender's, and a report must not print their escape sequences.
        let suffix = entity.filename.map { SafeFilename.make($0).lowercased() }?
            .split(separator: ".", omittingEmptySubsequences: false).dropFirst().last.map(String.init)
            .flatMap { $0.count <= 8 && !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } ? $0 : nil }
        if compressedTypes.contains(type) { return .alreadyCompressed(suffix.map { "." + $0 } ?? type) }
        if let suffix, compressedExtensions.contains(suffix) { return .alreadyCompressed("." + suffix) }
        return nil
    }
}

extension Message {
    /// An attachment as a reader sees one: marked so, or named and not shown inline.
    func isAttachment(_ entity: Entity) -> Bool {
        entity.disposition == "attachment" || (entity.filename != nil && entity.disposition != "inline")
    }

    /// A part of a multipart/related: the HTML shows it (by Content-ID), so it cannot change or leave.
    func isReferencedByHTML(_ entity: Entity) -> Bool {
        entity.parent.map { entities[$0].contentType.subtype == "related" } ?? false
    }
}
