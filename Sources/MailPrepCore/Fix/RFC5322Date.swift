import Foundation

/// Dates as message headers write them (RFC 5322 section 3.3): "Tue, 17 Nov 2026 09:41:12 +0800".
enum RFC5322Date {
    static func parse(_ text: String) -> Date? {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if let comment = trimmed.firstIndex(of: "(") { trimmed = String(trimmed[..<comment]).trimmingCharacters(in: .whitespaces) }
        for format in ["EEE, d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm Z", "EEE, d MMM yyyy HH:mm:ss zzz"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) { return date }
        }
        return nil
    }
}
