import Foundation

/// The Range header of a GET (RFC 9110 section 14.2), for one byte range; several ranges are answered with the
/// whole file, which the RFC allows.
enum HTTPRange: Equatable {
    /// No usable Range header: send everything.
    case whole
    /// One satisfiable range, clamped to the file: first and last octet, inclusive.
    case bytes(ClosedRange<Int64>)
    /// A well-formed range that starts beyond the end of the file (416).
    case unsatisfiable

    init(header: String?, size: Int64) {
        guard let header else { self = .whole; return }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { self = .whole; return }
        let specs = trimmed.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count == 1 else { self = .whole; return }
        let spec = specs[0].trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { self = .whole; return }
        let first = String(spec[..<dash]), last = String(spec[spec.index(after: dash)...])
        guard first.allSatisfy({ $0.isASCII && $0.isNumber }), last.allSatisfy({ $0.isASCII && $0.isNumber }), !(first.isEmpty && last.isEmpty),
              first.count <= 18, last.count <= 18 else { self = .whole; return }
        if first.isEmpty {
            // The last N octets.
            guard let suffix = Int64(last), suffix > 0 else { self = .unsatisfiable; return }
            self = size == 0 ? .unsatisfiable : .bytes(max(0, size - suffix)...(size - 1))
            return
        }
        guard let start = Int64(first) else { self = .whole; return }
        let end = last.isEmpty ? size - 1 : min(Int64(last) ?? size - 1, size - 1)
        if !last.isEmpty, let given = Int64(last), given < start { self = .whole; return }
        self = start >= size ? .unsatisfiable : .bytes(start...end)
    }
}
