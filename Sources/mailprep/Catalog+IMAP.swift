import MailPrepCore
import MailPrepIMAP

extension Catalog {
    /// The one line for an IMAP folder that could not be checked.
    func imapFailure(_ folder: String, _ error: IMAPError) -> String {
        switch error {
        case .unreachable(let detail): imapUnreachable(folder, detail)
        case .tls(let detail): imapTLS(folder, detail)
        case .login(let detail): imapLogin(folder, detail)
        case .refused(_, let reply): imapRefused(folder, reply)
        case .protocolError(let detail): imapProtocol(folder, detail)
        case .noDraftsFolder: imapNoDrafts(folder)
        case .noStartTLS: imapNoStartTLS(folder)
        case .noSuchUID(let uid): imapNoSuchUID(folder, uid)
        case .tooLarge(let detail): imapProtocol(folder, detail)
        }
    }

    /// The one line for an IMAP address that cannot be used.
    func imapURLProblem(_ given: String, _ problem: IMAPURL.Problem) -> String {
        let url = IMAPURL.withoutPassword(given)
        return switch problem {
        case .notIMAP: imapNotURL(url)
        case .passwordInURL: imapPasswordInURL(url)
        case .noUser: imapNoUser(url)
        case .plainToNetwork(let host): imapPlain(url, host)
        case .badUID: imapBadUID(url)
        }
    }
}
