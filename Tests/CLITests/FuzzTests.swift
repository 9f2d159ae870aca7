import Foundation
import Testing

/// Mutations of the samples, as damaged and hostile mail arrives: every JSON object `check` and `fix` give follows
/// the schema, nothing crashes or answers "internal error", and `fix` leaves nothing but what it was asked to write.
///
/// A fixed seed and a bounded count run in CI; `MAILPREP_FUZZ=5000` runs more by hand.
@Suite("Fuzzing with mutated samples")
struct FuzzTests {
    static var count: Int { Int(ProcessInfo.processInfo.environment["MAILPREP_FUZZ"] ?? "") ?? 120 }

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    /// One mutation of `bytes`: cut, a range dropped or doubled, bytes that matter to MIME inserted, bytes flipped.
    static func mutate(_ bytes: [UInt8], using generator: inout Generator) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: bytes.removeSubrange(at...)
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...400, using: &generator)))
            case 2: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int.random(in: 1...400, using: &generator))], at: at)
            case 3:
                let pieces = ["\r\n", "\n", "\r", "--", "=", "=?UTF-8?B?", "\r\n\r\n", ";", "\"", "boundary=", "\u{1B}[2J", "\u{202E}", "%0D%0A", "../"]
                bytes.insert(contentsOf: Array(pieces[Int.random(in: 0..<pieces.count, using: &generator)].utf8), at: at)
            case 4: bytes[at] = UInt8.random(in: 0...255, using: &generator)
            default: bytes.insert(contentsOf: (0..<Int.random(in: 1...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: at)
            }
        }
        return bytes
    }

    @Test("every mutant: JSON that follows the schema, no crash, no internal error, nothing left behind")
    func mutants() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputs = folder.appendingPathComponent("in")
        let outputs = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let samples = try FileManager.default.contentsOfDirectory(atPath: Tool.root.appendingPathComponent("Samples").path)
            .filter { $0.hasSuffix(".eml") }.sorted()
        var generator = Generator(state: 20_261_202)
        var names: [String] = []
        for number in 0..<Self.count {
            let sample = samples[number % samples.count]
            let bytes = [UInt8](try Data(contentsOf: Tool.root.appendingPathComponent("Samples/\(sample)")))
            let name = String(format: "m%05d.eml", number)
            try Data(Self.mutate(bytes, using: &generator)).write(to: inputs.appendingPathComponent(name))
            names.append(name)
        }
        let before = try Set(FileManager.default.contentsOfDirectory(atPath: inputs.path))

        // check: one JSON object per mutant, all of them valid.
        let check = try Tool.run(["check", "--json", inputs.path])
        #expect(check.status < 64 || check.status == 65 || check.status == 66, "check exit \(check.status)")
        #expect(!check.stderr.contains("internal error"))
        #expect(check.stdout.split(separator: "\n").count == names.count)
        try Schema.validate(check.stdout)

        // fix: a plan and a real run of each, written into another folder.
        var fixLines = ""
        for name in names {
            let input = inputs.appendingPathComponent(name).path
            for arguments in [["--plan"], ["-o", outputs.appendingPathComponent(name).path]] {
                let run = try Tool.run(["fix", "--json", "--limit", "5kB"] + arguments + [input])
                #expect(run.status != 70 && run.status < 128, "\(name) \(arguments): exit \(run.status) \(run.stderr)")
                #expect(!run.stderr.contains("internal error"), "\(name): \(run.stderr)")
                fixLines += run.stdout
            }
        }
        try Schema.validate(fixLines, schema: "fix-result.schema.json")
        // The inputs are untouched, and nothing but the outputs asked for exists.
        #expect(try Set(FileManager.default.contentsOfDirectory(atPath: inputs.path)) == before)
        let written = try FileManager.default.contentsOfDirectory(atPath: outputs.path)
        #expect(written.allSatisfy { names.contains($0) }, "\(written.filter { !names.contains($0) })")
    }
}
