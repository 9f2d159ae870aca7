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

    func arguments(title: String, body: String) -> [String] {
        #if os(macOS)
        // The texts as arguments of the script, never inside it: nothing in a Subject can be read as AppleScript.
        return ["-e", "on run argv", "-e", "display notification (item 2 of argv) with title (item 1 of argv)", "-e", "end run", title, body]
        #else
        // Notification servers read the body as simple markup (the Desktop Notifications Specification).
        let markup = body.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return ["--app-name=mailprep", title, markup]
        #endif
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
        // Its outputs are this process's standard error and output; notify-send writes nothing unless it fails.
        guard posix_spawn(&pid, program, nil, nil, words, variables) == 0 else { return }
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
    }
}
