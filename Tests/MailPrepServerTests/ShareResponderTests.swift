import Testing
@testable import MailPrepServer
