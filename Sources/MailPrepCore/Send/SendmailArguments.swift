/// A sendmail command line as mail tools give it: sendmail's own options (Postfix's set, read as getopt does:
/// `-oi`, `-f addr` or `-faddr`, `-ti`), recipients, and mailprep's long options (`--limit 10MB`, `--via=...`).
/// Every sendmail option is kept as it was written, for the real sender; none is dropped.
public struct SendmailArguments: Sendable, Equatable {
    /// sendmail's options, token for token as given (an option's separate value included), in order.
    public var options: [String] = []
    /// The recipients on the command line, as given.
    public var recipients: [String] = []
    /// Every word but mailprep's own options, in the order given: what the real sender gets.
    public var forRealSender: [String] = []
    /// `-f` or `-r`: the envelope sender.
    public var sender: String?
    /// `-t`: recipients from the header's To, Cc and Bcc (added to those on the command line, as Postfix does).
    public var recipientsFromHeader = false
    /// `-b`'s mode: "m" delivers a message (the default); others (`-bs` SMTP on standard input, `-bp` the queue,
    /// `-bv` verify, ...) and `-q` or `-I` are not a message to judge, and go to the real sender as they are.
    public var mode = "m"
    /// True for `-q...` (a queue run) and `-I` (newaliases).
    public var notAMessage = false
    /// mailprep's options by name (without "--"), each value as given.
    public var own: [String: [String]] = [:]

    /// mailprep's options that take a value.
    public static let valueOptions: Set<String> = [
        "limit", "provider", "limits", "margin", "default-limit", "share", "share-url", "lang", "via", "oversize", "keep",
        "config", "expires", "templates",
    ]
    /// mailprep's options that are flags.
    public static let flagOptions: Set<String> = ["protect", "last", "json", "help"]

    /// Postfix sendmail(1)'s getopt letters that take a value, attached or as the next word.
    static let takesValue: Set<Character> = Set("ABCFLNORVXbefhopqr")

    public enum Problem: Error, Equatable, Sendable {
        /// A mailprep option without its value, or a flag given one.
        case missingValue(String)
        case unexpectedValue(String)
    }

    public init() {}

    public init(parsing arguments: [String]) throws(Problem) {
        var index = 0
        var onlyRecipients = false
        while index < arguments.count {
            let token = arguments[index]
            index += 1
            if onlyRecipients || token == "-" || !token.hasPrefix("-") {
                recipients.append(token)
                forRealSender.append(token)
                continue
            }
            if token == "--" {
                onlyRecipients = true
                forRealSender.append(token)
                continue
            }
            if token.hasPrefix("--") {
                let body = token.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                if Self.valueOptions.contains(name) {
                    if let attached {
                        own[name, default: []].append(attached)
                    } else {
                        guard index < arguments.count else { throw .missingValue("--" + name) }
                        own[name, default: []].append(arguments[index])
                        index += 1
                    }
                } else if Self.flagOptions.contains(name) {
                    guard attached == nil else { throw .unexpectedValue("--" + name) }
                    own[name, default: []].append("")
                } else {
                    // Another program's long option (msmtp's --account=...): the real sender's to read.
                    options.append(token)
                    forRealSender.append(token)
                }
                continue
            }
            // A cluster of short options, as getopt reads it: flags until one that takes a value, whose value is
            // the rest of the word or else the next word.
            options.append(token)
            forRealSender.append(token)
            var letters = Substring(token.dropFirst())
            while let letter = letters.first {
                letters = letters.dropFirst()
                guard Self.takesValue.contains(letter) else {
                    switch letter {
                    case "t": recipientsFromHeader = true
                    case "I": notAMessage = true
                    default: break
                    }
                    continue
                }
                var value = String(letters)
                if value.isEmpty && index < arguments.count && letter != "q" {
                    value = arguments[index]
                    options.append(value)
                    forRealSender.append(value)
                    index += 1
                }
                switch letter {
                case "f", "r": sender = value
                case "b": mode = value.isEmpty ? "m" : String(value.prefix(1))
                case "q": notAMessage = true
                default: break
                }
                break
            }
        }
    }

    /// The value given for one of mailprep's options (the last, when given more than once).
    public func value(_ name: String) -> String? { own[name]?.last }

    public func has(_ name: String) -> Bool { own[name] != nil }

}
