import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Dates for HTTP fields and the access log, formatted by hand: Foundation's formatters cost tens of kilobytes
/// each, and a server that made one per request grew by tens of megabytes under a hundred clients.
enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func utc(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }

    private static func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 29 Nov 2026 10:52:00 GMT".
    static func imf(_ date: Date) -> String {
        let t = utc(date)
        return "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
    }

    /// Common Log Format: "29/Nov/2026:10:52:00 +0000".
    static func commonLog(_ date: Date) -> String {
        let t = utc(date)
        return "\(two(t.tm_mday))/\(months[Int(t.tm_mon)])/\(t.tm_year + 1900):\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) +0000"
    }
}
