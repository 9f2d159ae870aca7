import ArgumentParser
import Foundation
import MailPrepCore
import MailPrepServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the file share: download pages and files for the links fix put into messages.",
        discussion: """
            GET /TOKEN/ is a download page (English or Traditional Chinese, by the browser's language); \
            GET /TOKEN/NAME is the file, with ranges for resumed downloads. Unknown addresses get 404, expired ones \
            410; nothing is listed. One access log line per request goes to standard output. Put a TLS proxy \
            (Caddy, nginx) in front of it for a public address, and give that address to fix as --share-url.
            """
    )

    @Option(help: ArgumentHelp("Address and port to listen on (default: listen in the configuration file, else 127.0.0.1:8025; port 0 picks a free one).", valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp("Seconds a connection may stay without a whole request: idle between requests, or sending its header too slowly (default 30).", valueName: "seconds"))
    var idleTimeout: Double = 30

    @Option(help: ArgumentHelp("Seconds a download may go without the client taking any of it before its connection is closed (default 60, as nginx's send_timeout).", valueName: "seconds"))
    var sendTimeout: Double = 60

    @Option(help: ArgumentHelp("Connections served at once (default 1024, and never more than the descriptor limit allows); more wait to be accepted.", valueName: "count"))
    var maxConnections: Int = 1024

    @OptionGroup var shareFolder: ShareFolderOptions

    /// The connections the descriptor limit allows: each may hold a socket and an open file, and a few descriptors
    /// stay for the listener, the log and the share's metadata. The soft limit is raised to the hard one first
    /// (at most 65,536), as nginx's worker_rlimit_nofile does.
    static func connectionsAllowed(wanted: Int) -> Int {
        #if os(Linux)
        let files = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let files = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(files, &limit) == 0 else { return wanted }
        let ceiling = rlim_t(65_536)
        // RLIM_INFINITY is the largest value, so min() takes care of it.
        let hard = min(limit.rlim_max, ceiling)
        if limit.rlim_cur < hard {
            var raised = limit
            raised.rlim_cur = hard
            if setrlimit(files, &raised) == 0 { limit = raised }
        }
        let descriptors = Int(min(limit.rlim_cur, ceiling))
        return max(1, min(wanted, (descriptors - 32) / 2))
    }

    /// "127.0.0.1:8025", "[::1]:8025", ":8025" (all addresses).
    static func parse(listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    func validate() throws {
        if let listen, Self.parse(listen: listen) == nil { throw ValidationError("--listen \(listen): use host:port, e.g. 127.0.0.1:8025") }
        if !(0.1...3600).contains(idleTimeout) { throw ValidationError("--idle-timeout \(idleTimeout): use 0.1 to 3600 seconds") }
        if !(0.1...3600).contains(sendTimeout) { throw ValidationError("--send-timeout \(sendTimeout): use 0.1 to 3600 seconds") }
        if !(1...65_536).contains(maxConnections) { throw ValidationError("--max-connections \(maxConnections): use 1 to 65536") }
    }

    func run() async throws {
        let configuration = try shareFolder.configuration()
        let text = listen ?? configuration.listen ?? "127.0.0.1:8025"
        guard let address = Self.parse(listen: text) else {
            printError("\(configuration.path ?? "configuration"): listen \(text): use host:port, e.g. 127.0.0.1:8025")
            throw ExitStatus.configuration.code
        }
        let store = shareFolder.store(configuration)
        let catalog = Language.fromEnvironment(ProcessInfo.processInfo.environment).catalog
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: store.root, isDirectory: &isFolder) || !isFolder.boolValue {
            // A folder someone named must be there: a typo would otherwise serve an empty share, all 404s. The
            // default folder is mailprep's own, made on first use.
            guard shareFolder.share == nil && configuration.share == nil else {
                printError(catalog.serveNoShare(store.root))
                throw ExitStatus.unreadable.code
            }
            try? store.createRoot()
        }
        let log = AccessLog()
        // Behind a TLS proxy (the share's public address is https), the password cookie is sent only over https.
        let secure = configuration.shareURL?.lowercased().hasPrefix("https://") == true
        let server = ShareServer(store: store, host: address.host, port: address.port, secureCookies: secure,
                                 idleTimeout: idleTimeout, sendTimeout: sendTimeout,
                                 maximumConnections: Self.connectionsAllowed(wanted: maxConnections)) { line in log.write(line) }
        do {
            try await server.run { port in
                printError(catalog.serveServing(store.root, "http://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(port)/"))
            }
        } catch {
            printError(catalog.serveCannotListen(text, "\(error)"))
            throw ExitStatus.unavailable.code
        }
    }
}

/// Access log lines to standard output, whole lines even when requests finish together, written by a thread of
/// their own so that serving never waits for the reader: when it is slow, at most `capacity` lines wait and the
/// rest are dropped and counted (the count is logged when the reader catches up); when it goes away (EPIPE), the log
/// stops and serving goes on.
final class AccessLog: @unchecked Sendable {
    static let capacity = 10_000
    private let condition = NSCondition()
    private var lines: [String] = []
    private var dropped = 0
    private var closed = false

    init() {
        // A reader that went away must not end the server: write(2) then fails with EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        Thread.detachNewThread { [self] in drain() }
    }

    func write(_ line: String) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        guard lines.count < Self.capacity else {
            dropped += 1
            return
        }
        lines.append(line)
        condition.signal()
    }

    private func drain() {
        while true {
            condition.lock()
            while lines.isEmpty { condition.wait() }
            var batch = lines
            lines.removeAll(keepingCapacity: true)
            if dropped > 0 {
                batch.append("mailprep serve: \(dropped) log lines dropped (standard output was not read fast enough)")
                dropped = 0
            }
            condition.unlock()
            let bytes = Array((batch.joined(separator: "\n") + "\n").utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { standardOutputWrite($0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    condition.lock()
                    closed = true
                    lines.removeAll()
                    condition.unlock()
                    return
                }
                offset += written
            }
        }
    }
}

/// write(2) to standard output (a free function: inside `AccessLog`, `write` is the method).
private func standardOutputWrite(_ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(1, bytes, count)
}
