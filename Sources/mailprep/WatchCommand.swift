import ArgumentParser
import Foundation
import MailPrepCore
import MIME

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Check drafts as they are saved, and say when one goes over its limit.",
        discussion: """
            Watches each folder and every folder below it (on Linux the kernel tells of each save, through inotify; \
            on macOS, and with --scan, modification times are compared every second). A draft is checked 300 ms \
            after it was last saved, as check checks it: .eml, .emlx, mbox files such as Thunderbird's Drafts \
            (FILE#N for each message), Maildir cur/ and new/, MH. A line is printed when a draft goes over its \
            limit and when it fits again; with notify-send on a desktop (or on macOS), a notification too. What is \
            there at the start is checked once, silently unless --initial. Editors' temporary files, hidden files \
            and Maildir tmp/ are left alone. Ctrl-C or SIGTERM ends it, with status 0.
            """
    )

    @Argument(help: ArgumentHelp("Folders to watch, with every folder below them.", valueName: "folder"))
    var folders: [String]

    @Flag(help: "Print every check, not only a draft going over or fitting again.")
    var all = false

    @Flag(help: "At the start, print the drafts already over their limit (by default they are checked silently).")
    var initial = false

    @Flag(help: "No desktop notification when a draft goes over.")
    var noNotify = false

    @Flag(help: "Compare modification times every second instead of being told by the kernel: for network file systems, where inotify misses other machines' writes. Always so on macOS.")
    var scan = false

    @Option(help: ArgumentHelp("How the mbox files' writer quoted body lines that begin with From: mboxo (default), mboxrd.", valueName: "quoting"))
    var mboxQuoting: MboxQuoting = .mboxo

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("The configuration file, for its limits and accounts (default: $MAILPREP_CONFIG, else ~/.config/mailprep/config.yaml).", valueName: "file"))
    var config: String?

    func run() throws {
        let catalog = output.language.catalog
        let check = MessageCheck(policy: try limitOptions.policy(try Configuration.loadOrExit(explicit: config)))
        QuietStop.install()
        let watcher: FolderWatcher
        do {
            watcher = try FolderWatcher(roots: folders, scanning: scan)
        } catch {
            printError(Self.describe(error, catalog))
            throw (error.kind == .systemLimit || error.kind == .failed ? ExitStatus.unavailable : ExitStatus.unreadable).code
        }
        let environment = ProcessInfo.processInfo.environment
        let notifier = noNotify ? nil : DesktopNotification.available(environment: environment)
        let report = TextReport(language: output.language, color: output.color)
        let watch = DraftWatch(watcher: watcher, check: check, quoting: mboxQuoting.quoting)
        let json = output.json
        let all = all
        let printInitial = initial
        func show(_ checked: DraftWatch.Report, initial: Bool) {
            guard case .checked(let result) = checked.outcome else {
                if case .failed(let failure) = checked.outcome {
                    printError(catalog.failure(failure))
                    // For tools, as check --json gives it: one object on standard output, with its event.
                    if json { FileHandle.standardOutput.write(Data(checked.outcome.json(event: .failed).bytes() + [0x0A])) }
                }
                return
            }
            let news = checked.event == .over || checked.event == .fitsNow
            if news && !initial, checked.event == .over, let notifier {
                let text = report.watchNotification(result)
                notifier.send(title: text.title, body: text.body, environment: environment)
            }
            guard all || (news && (!initial || printInitial)) else { return }
            let line = json ? checked.outcome.json(event: checked.event).bytes() : Array(report.watchLine(result, event: checked.event).utf8)
            FileHandle.standardOutput.write(Data(line + [0x0A]))
        }
        watch.checkAll { show($0, initial: true) }
        printError(catalog.watchWatching(watcher.folderCount, watcher.scanning))
        var roots = Set(watcher.roots)
        watch.run({ show($0, initial: false) }, warning: { change in
            if case .unwatched(let path, _) = change { printError(catalog.watchUnwatched(path)) }
            if case .rootGone(let root) = change {
                printError(catalog.watchRootGone(root))
                roots.remove(root)
                // Nothing left to watch: the end, as for a folder missing at the start.
                if roots.isEmpty { _exit(ExitStatus.unreadable.rawValue) }
            }
        })
    }

    static func describe(_ error: FolderWatchError, _ catalog: Catalog) -> String {
        switch error.kind {
        case .notFound: catalog.watchNoFolder(error.path)
        case .notAFolder: catalog.watchNotAFolder(error.path)
        case .permissionDenied: catalog.watchNoPermission(error.path)
        case .systemLimit: catalog.watchSystemLimit(error.path)
        case .failed: catalog.watchFailed(error.path, String(cString: strerror(error.errno)))
        }
    }
}

/// Ctrl-C and SIGTERM end `watch` at once, with status 0 and not a word: it holds nothing to clean up, and each
/// line it prints is written whole.
enum QuietStop {
    static func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number) { _ in _exit(0) }
        }
        // A parent may have left them blocked (a test runner's threads do); then neither would ever arrive.
        var stops = sigset_t()
        sigemptyset(&stops)
        sigaddset(&stops, SIGINT)
        sigaddset(&stops, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stops, nil)
    }
}
