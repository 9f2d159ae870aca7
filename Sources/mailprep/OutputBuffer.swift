import Foundation
import MailPrepCore

/// Standard output written in large pieces: a folder of 10,000 results is one write, not 10,000 prints.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func append(_ line: [UInt8]) {
        bytes += line
        if bytes.count > 1 << 20 { flush() }
    }

    mutating func append(_ text: String) {
        append(Array(text.utf8))
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Writes one line to standard error, prefixed with the tool's name.
/// One line on standard error. Control characters in it (a file name's or a Subject's escape sequences) are shown
/// escaped, never sent to the terminal: every error names something a message or a folder supplied.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("mailprep: " + TerminalText.escaped(message) + "\n").utf8))
}
