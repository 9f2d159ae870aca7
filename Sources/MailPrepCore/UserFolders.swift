import Foundation

/// Where mailprep keeps a user's data and settings: the XDG base directories on Linux (with their defaults
/// when the variables are unset or empty), Application Support on macOS.
public enum UserFolders {
    /// `$XDG_DATA_HOME/mailprep` (else `~/.local/share/mailprep`); macOS: `~/Library/Application Support/mailprep`.
    public static func data(environment: [String: String]) -> String {
        folder(variable: "XDG_DATA_HOME", fallback: "/.local/share", environment: environment)
    }

    /// `$XDG_CONFIG_HOME/mailprep` (else `~/.config/mailprep`); macOS: `~/Library/Application Support/mailprep`.
    public static func configuration(environment: [String: String]) -> String {
        folder(variable: "XDG_CONFIG_HOME", fallback: "/.config", environment: environment)
    }

    /// `$XDG_STATE_HOME/mailprep` (else `~/.local/state/mailprep`): logs; macOS: `~/Library/Application Support/mailprep`.
    public static func state(environment: [String: String]) -> String {
        folder(variable: "XDG_STATE_HOME", fallback: "/.local/state", environment: environment)
    }

    private static func folder(variable: String, fallback: String, environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        #if os(macOS)
        return home + "/Library/Application Support/mailprep"
        #else
        let base = environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? home + fallback
        return base + "/mailprep"
        #endif
    }
}
