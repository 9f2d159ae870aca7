#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folders and files below a folder as a watch sees them, as `MessageFinder` walks them: hidden entries (names
/// starting with ".") skipped, symbolic links not followed.
enum FolderTree {
    /// The folders and the regular files directly in `folder`.
    static func entries(of folder: String) -> (folders: [String], files: [String]) {
        guard let handle = opendir(folder) else { return ([], []) }
        defer { closedir(handle) }
        var folders: [String] = []
        var files: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = folder + "/" + name
            var type = Int32(entry.pointee.d_type)
            if type == Int32(DT_UNKNOWN) {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: type = Int32(DT_DIR)
                case S_IFREG: type = Int32(DT_REG)
                default: continue
                }
            }
            if type == Int32(DT_DIR) { folders.append(path) } else if type == Int32(DT_REG) { files.append(path) }
        }
        return (folders, files)
    }

    /// Every regular file below `folder`, at any depth.
    static func files(under folder: String) -> [String] {
        var found: [String] = []
        var queue = [folder]
        while let next = queue.popLast() {
            let (folders, files) = entries(of: next)
            found += files
            queue += folders
        }
        return found
    }

    /// `path` without a trailing "/" (but "/" stays).
    static func normalized(_ path: String) -> String {
        var text = Substring(path)
        while text.count > 1 && text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }

    /// True when `path` is `folder` or below it.
    static func path(_ path: String, isIn folder: String) -> Bool {
        path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/")
    }
}
