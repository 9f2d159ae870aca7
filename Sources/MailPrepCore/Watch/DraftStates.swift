/// Why `watch` reports a check.
public enum DraftEvent: String, Sendable {
    /// Over its limit, and it was not before: first seen over, it fitted, or another limit now decides.
    case over
    /// It was over, and fits now.
    case fitsNow = "fits-now"
    /// Checked, and nothing to say: as it was, or first seen fitting.
    case checked
    /// It cannot be read (permission, input-output error), and that is new.
    case failed
}

/// The last verdict on each message `watch` has checked, by file: what a new check is compared with.
struct DraftStates {
    /// What a message was judged: fits or not, against which limit.
    struct Verdict: Equatable {
        var fits: Bool
        var limitBytes: Int64
        /// Who sets the limit and which of its figures it is (`AppliedLimit.reason`).
        var limitReason: String

        init(_ result: CheckResult) {
            fits = result.fits
            limitBytes = result.binding.bytes
            limitReason = result.binding.reason
        }
    }

    /// File path → message name (the path, or `path#N` in an mbox) → its last verdict.
    private var files: [String: [String: Verdict]] = [:]
    /// File path → message name → the failure last reported, so that it is reported once.
    private var failures: [String: [String: CheckFailure.Kind]] = [:]

    /// What a new verdict on one message means, given the one before.
    static func event(from old: Verdict?, to new: Verdict) -> DraftEvent {
        if !new.fits {
            guard let old, !old.fits, old.limitBytes == new.limitBytes, old.limitReason == new.limitReason else { return .over }
            return .checked
        }
        return old?.fits == false ? .fitsNow : .checked
    }

    /// Records the new checks of every message of one file (messages it no longer has are forgotten) and gives
    /// each its event, in order; nil for a failure already reported.
    mutating func record(file: String, _ outcomes: [(name: String, outcome: CheckOutcome)]) -> [DraftEvent?] {
        let before = files[file] ?? [:]
        let failedBefore = failures[file] ?? [:]
        var after: [String: Verdict] = [:]
        var failedAfter: [String: CheckFailure.Kind] = [:]
        var events: [DraftEvent?] = []
        for (name, outcome) in outcomes {
            switch outcome {
            case .checked(let result):
                let verdict = Verdict(result)
                // In an mbox a draft is known by its Message-ID: each autosave is a new message (a new #N), the
                // old copy expunged, and compaction renumbers them all.
                let key = result.stored?.format == .mbox ? result.messageID.map { "\(file)<\($0)>" } ?? name : name
                after[key] = verdict
                events.append(Self.event(from: before[key], to: verdict))
            case .failed(let failure):
                failedAfter[name] = failure.kind
                events.append(failedBefore[name] == failure.kind ? nil : .failed)
            }
        }
        files[file] = after.isEmpty ? nil : after
        failures[file] = failedAfter.isEmpty ? nil : failedAfter
        return events
    }

    /// True when something is known of `file`.
    func knows(file: String) -> Bool {
        files[file] != nil || failures[file] != nil
    }

    /// Forgets one file.
    mutating func forget(file: String) {
        files[file] = nil
        failures[file] = nil
    }

    /// Forgets every file in `folder` and below it.
    mutating func forget(folder: String) {
        for path in files.keys where FolderTree.path(path, isIn: folder) { files[path] = nil }
        for path in failures.keys where FolderTree.path(path, isIn: folder) { failures[path] = nil }
    }

    /// Gives the file `to` what is known of `from` (renamed), unless something is known of `to` already; the
    /// messages' names follow (`from#2` becomes `to#2`). `from` keeps its own until it is checked and found gone.
    mutating func copy(file from: String, to: String) {
        guard files[to] == nil, let known = files[from] else { return }
        files[to] = Dictionary(uniqueKeysWithValues: known.map { name, verdict in (to + name.dropFirst(from.count), verdict) })
    }

    /// As `copy(file:to:)` for every file below a folder that was renamed; the old names are forgotten.
    mutating func move(folder from: String, to: String) {
        for path in files.keys where FolderTree.path(path, isIn: from) {
            copy(file: path, to: to + path.dropFirst(from.count))
        }
        forget(folder: from)
    }

    /// Every file something is known of.
    var knownFiles: [String] { Array(Set(files.keys).union(failures.keys)) }
}
