import ArgumentParser
import MailPrepCore

/// The exit statuses of mailprep: this is the only table, and the README shows it.
///
/// | status | meaning |
/// |---|---|
/// | 0  | every message fits its limit |
/// | 1  | at least one message is over its limit |
/// | 64 | usage error (bad flag or value) |
/// | 65 | a message could not be read as a message (empty, no header) |
/// | 65 | `fix`: signed or encrypted (never changed), or an attachment to compress is damaged |
/// | 66 | input missing or unreadable (no such file, no permission, a folder with no messages; `serve`: no such share folder; `share remove`: no such token; `watch`: a folder missing or not a folder) |
/// | 69 | `serve`: cannot listen on the address (in use, no permission); `watch`: the system will not watch so many folders |
/// | 70 | internal error |
/// | 73 | `fix`: the output cannot be written (exists without --force, no permission, disk full), or a file cannot be put into the share; nothing is left behind |
/// | 69 | `check imaps://`: the server cannot be reached |
/// | 75 | `sendmail`: temporary failure (the real sender's own 75 passes through); `probe`: timed out |
/// | 76 | `probe`, `check imaps://`: TLS failed (certificate not trusted), or the server broke the protocol |
/// | 77 | `check imaps://`: the server refused the login |
/// | 78 | configuration: the configuration file or a `--limits` file is invalid, or attachments must be linked but no public share URL is set; `sendmail`: no real sender, or one that is mailprep itself |
///
/// `sendmail` passes the real sender's exit status through and refuses with 65; `git-validate` exits 1 for a patch over
/// a limit; `probe` exits 1 for a server without SIZE and 69 when it cannot connect. Those commands use sysexits(3)
/// numbers directly (`Sendmail`, `ProbeCommand`).
///
/// When several apply (a folder), the highest wins: 70 > 78 > 73 > 66 > 65 > 1 > 0.
enum ExitStatus: Int32 {
    case fits = 0
    case over = 1
    case usage = 64
    case notAMessage = 65
    case unreadable = 66
    case unavailable = 69
    case internalError = 70
    case cannotWrite = 73
    case protocolFailure = 76
    case noPermission = 77
    case configuration = 78

    var code: ExitCode { ExitCode(rawValue) }

    private var severity: Int {
        switch self {
        case .fits: 0
        case .over: 1
        case .notAMessage: 2
        case .unreadable: 3
        case .usage: 4
        case .unavailable: 4
        case .protocolFailure: 4
        case .noPermission: 4
        case .cannotWrite: 5
        case .configuration: 6
        case .internalError: 7
        }
    }

    /// The status for one check outcome.
    static func of(_ item: CheckSummaryItem) -> ExitStatus {
        if let failure = item.failure { return failure.isUnreadable ? .unreadable : .notAMessage }
        return item.fits ? .fits : .over
    }

    /// The most serious of two statuses.
    func worst(_ other: ExitStatus) -> ExitStatus {
        other.severity > severity ? other : self
    }
}
