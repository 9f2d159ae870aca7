import MIME

/// The addresses a message is really sent from and to, which SMTP carries beside the message: MAIL FROM and each
/// RCPT TO. A sendmail caller gives them as `-f` and its arguments (or `-t`: the header's recipients).
public struct Envelope: Sendable, Equatable {
    public var sender: Mailbox?
    public var recipients: [Mailbox]

    public init(sender: Mailbox?, recipients: [Mailbox]) {
        self.sender = sender
        self.recipients = recipients
    }

    /// To, Cc and Bcc of the message's header, in that order.
    public static func headerRecipients(of message: Message) -> [Mailbox] {
        var recipients: [Mailbox] = []
        for name in ["To", "Cc", "Bcc"] {
            for field in message.root.header.all(name) { recipients += AddressList.parse(field.value) }
        }
        return recipients
    }

    /// The From field's first address.
    public static func headerSender(of message: Message) -> Mailbox? {
        message.root.header["From"].flatMap { AddressList.parse($0.value).first }
    }
}
