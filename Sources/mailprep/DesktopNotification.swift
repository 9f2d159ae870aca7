import Foundation

/// A desktop notification: `notify-send` on a Linux (or BSD) desktop, `osascript` on macOS. It is started and not
/// waited for; a thread of its own collects its exit, so no zombie stays and the watch never waits on a slow
/// notification daemon.
struct DesktopNotification {
    let program: String

    /// The notifier this session has: on macOS always; elsewhere `notify-send` on PATH, in a session with a
    /// display or a D-Bus session bus (DISPLAY, WAYLAND_DISPLAY or DBUS_SESSION_BUS_ADDRESS set). Nil without.
    static func available(environment: [String: String]) -> DesktopNotification? {
        #if os(macOS)
        return access("/usr/bin/osascript", X_OK) == 0 ? DesktopNotification(program: "/usr/bin/osascript") : nil
        #else
        let session = ["DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"].contains { !(environment[$0] ?? "").isEmpty }
        guard session, let program = CommandWords.resolve("notify-send", path: environment["PATH"] ?? "/usr/bin:/bin") else { return nil }
        return DesktopNotification(program: program)
        #endif
    }

    func arguments(title given: String, body givenBody: String) -> [String] {
        // Control characters (a Subject's escape sequences) have no place in a notification.
        let title = Self.printable(given), body = Self.printable(givenBody)
        #if os(macOS)
        // The texts as arguments of the script, never inside it: nothing in a Subject can be read as AppleScript.
        return ["-e", "on run argv", "-e", "display notification (item 2 of argv) with title (item 1 of argv)", "-e", "end run", title, body]
        #else
        // Notification servers read the body as simple markup (the Desktop Notifications Specification).
        let markup = body.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        // "--" first: a Subject such as "-20% off" must not be read as an option.
        return ["--app-name=mailprep", "--", title, markup]
        #endif
    }

    /// `text` without C0 and C1 controls but the line break (each becomes a space).
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (scalar.value < 0x20 && scalar != "\n") || (0x7F...0x9F).contains(scalar.value) ? " " : scalar
        }))
    }

    /// Shows one notification; a failure to start it is passed over (the line on standard output says it all).
    func send(title: String, body: String, environment: [String: String]) {
        let command = [program] + arguments(title: title, body: body)
        let words = command.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            words.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid = pid_t()
        // Its outputs go nowhere: what a failing notifier says is not the watch's to show (and could carry the
        // Subject back, escapes and all).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        guard posix_spawn(&pid, program, &actions, nil, words, variables) == 0 else { return }
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
    }
}
