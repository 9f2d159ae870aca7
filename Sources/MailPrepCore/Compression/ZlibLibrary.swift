import CZlib

/// zlib, which estimates compression gains. The only file that imports CZlib.
public enum ZlibLibrary {
    /// The linked zlib's version ("1.2.13").
    public static var version: String {
        zlibVersion().map { String(cString: $0) } ?? "unknown"
    }
}
