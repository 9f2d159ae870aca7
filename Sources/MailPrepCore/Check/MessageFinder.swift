#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the messages below a folder: every `*.eml` file, and every file in a Maildir `cur/` or `new/` folder.
///
/// Hidden files and folders (names starting with ".") are skipped, and symbolic links are not followed, so a
/// link loop cannot trap the walk. Paths come back sorted, so reports are stable.
public enum MessageFinder {
    public static func messages(under root: String) -> [String] {
        var found: [String] = []
        walk(root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root, into: &found)
        return found.sorted()
    }

    /// True when `path` names a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func walk(_ directory: String, into found: inout [String]) {
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        let folderName = directory.split(separator: "/").last.map(String.init) ?? directory
        let isMaildirFolder = folderName == "cur" || folderName == "new"
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = directory + "/" + name
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
            if type == Int32(DT_DIR) {
                walk(path, into: &found)
            } else if type == Int32(DT_REG) {
                if isMaildirFolder || name.lowercased().hasSuffix(".eml") { found.append(path) }
            }
        }
    }
}
