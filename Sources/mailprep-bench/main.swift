// Micro-benchmarks of mailprep's inner loops, for scripts/bench.py (not installed, not a test).
//
//   mailprep-bench base64 FILE     encode FILE as base64 (76 columns, CRLF) into a counter; prints seconds
import Foundation
import MIME

let arguments = CommandLine.arguments
guard arguments.count == 3, arguments[1] == "base64" else {
    FileHandle.standardError.write(Data("usage: mailprep-bench base64 FILE\n".utf8))
    exit(64)
}
let data = try Data(contentsOf: URL(fileURLWithPath: arguments[2]), options: .alwaysMapped)
let start = DispatchTime.now()
var encoder = Base64EncodingSink(CountingSink())
try data.withUnsafeBytes { raw in
    var offset = 0
    while offset < raw.count {
        let end = min(raw.count, offset + (1 << 20))
        try encoder.write(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
        offset = end
    }
}
let counted = try encoder.finish()
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
print(String(format: "%.4f s, %d bytes in, %lld out, %.2f GB/s", seconds, data.count, counted.bytes, Double(data.count) / seconds / 1e9))
