/// Parsing and showing byte counts the way people write them.
///
/// Decimal units are decimal (kB, MB, GB = 10^3, 10^6, 10^9) and binary units binary (KiB, MiB, GiB). A bare
/// "M" or "K" is ambiguous, so it takes the smaller reading: 10^6 and 10^3.
public enum ByteCount {
    /// Parses "10MB", "10 MiB", "10240000", "1.5GB"; nil when it is not a size.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
        let multiplier: Double
        switch unit {
        case "", "b", "byte", "bytes": multiplier = 1
        case "k", "kb": multiplier = 1e3
        case "m", "mb": multiplier = 1e6
        case "g", "gb": multiplier = 1e9
        case "kib": multiplier = 1024
        case "mib": multiplier = 1024 * 1024
        case "gib": multiplier = 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = (value * multiplier).rounded(.down)
        guard bytes < 9e18 else { return nil }
        if unit.isEmpty || unit.hasPrefix("b") { guard !digits.contains(".") else { return nil } }
        return Int64(bytes)
    }

    /// "47.3 kB", "25.0 MB", "512 B": decimal units, one decimal below 100, none above.
    public static func human(_ bytes: Int64) -> String {
        let magnitude = abs(Double(bytes))
        let sign = bytes < 0 ? "-" : ""
        let units: [(Double, String)] = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        for (size, name) in units where magnitude >= size {
            let value = magnitude / size
            let text = value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
            return "\(sign)\(text) \(name)"
        }
        return "\(bytes) B"
    }

    /// "25,000,000": digits grouped by three.
    public static func grouped(_ bytes: Int64) -> String {
        let digits = String(abs(bytes))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (bytes < 0 ? "-" : "") + out
    }
}

import Foundation
