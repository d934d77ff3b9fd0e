import RunConfiguration
import ArgumentParser
import Console
import Datasets
import Federation
import Foundation
import Privacy
import TensorCore

/// `fedtop run` (the default command): a federation of hospitals training a model round by round
/// with differential privacy, watched live in the console (`--headless`, or no terminal: one line
/// per round). `--central` trains the same model centrally instead, as a baseline.
///
/// Exit status: 0 finished (or stopped by the operator), 3 stopped at the privacy budget, 1 failure,
/// 2 bad usage.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a federation of hospitals with differential privacy (the default command).",
        discussion: "The run's options (also a run file's keys, see `fedtop init`):\n\n" + RunOptionArguments.help())

    @OptionGroup var federation: FederationOptions
    @OptionGroup(title: "Console") var console: ConsoleOptions
    @Option(help: "Record the console to this asciicast v2 file (the event journal beside it: FILE.journal.jsonl).")
    var record: String?

    @Flag(help: "Train centrally on all the records instead (a baseline; uses --epochs).") var central = false
    @Option(help: "With --central: passes over the training data.") var epochs = 12
    @Option(help: "With --central: write the trained weights here (.safetensors).") var save: String?

    func validate() throws {
        try federation.validate()
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
        try validateRecording()
    }

    func run() throws {
        if central { return try CentralRun(options: federation, epochs: epochs, save: save).run() }
        let setup: FederationSetup
        do { setup = try FederationSetup(options: federation.resolved()) } catch let error as UsageError {
            throw ValidationError(error.description)
        }
        let outcome = try runWatched(setup)
        switch outcome {
        case .finished, .stopped: return
        case .budgetExhausted: throw ExitCode(3)
        case .failed: throw ExitCode.failure
        case .diverged: throw ExitCode(4)
        }
    }
}
