import ArgumentParser
import MailPrepCore

struct LimitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limits",
        abstract: "Show the provider table: limits, domains, large-file services and sources."
    )

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .shortAndLong, help: "Show the source and notes of every figure.")
    var verbose = false

    func run() throws {
        let report = LimitsReport(policy: try limitOptions.policy())
        if output.json {
            print(report.json().serialized())
        } else {
            print(report.text(language: output.language, verbose: verbose))
        }
    }
}
