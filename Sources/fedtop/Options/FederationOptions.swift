import ArgumentParser
import Federation
import Foundation
import RunConfiguration

/// The options of a federated run on the command line. The run's options are the option table's
/// (``RunOption/all``: parsed by ``RunOptionArguments``, listed in `--help` from the table); the run file
/// (`--config`) sets the same ones and the command line wins. What is declared here is only what a
/// run file cannot say: where to resume, which file to read, and the run-only switches.
struct FederationOptions: ParsableArguments {
    @Option(help: "A run file (TOML or YAML, see `fedtop init`); options given here override it.") var config: String?
    @Flag(help: "Remote hospitals as grpc://127.0.0.1:PORT without TLS or signatures: loopback demos only, never a real federation.")
    var insecure = false
    @Option(help: "Continue the run in this directory from its last complete round, ledgers intact.") var resume: String?
    @Option(help: "With --resume: change the ε budget to --epsilon, for this reason (written to every ledger and the audit log).")
    var raiseBudget: String?
    @Flag(help: "Encrypt checkpoints at rest (AES-GCM, key from FEDTOP_CHECKPOINT_KEY: 64 hex digits or base64 of 32 bytes).")
    var encryptCheckpoints = false
    @Option(help: "Make a simulated hospital slow, flaky, offline or malicious: \(SimulationSpec.help) (repeatable).")
    var simulate: [String] = []
    /// The option table's arguments (`--rounds 5`, …), parsed by ``RunOptionArguments``.
    @Argument(parsing: .allUnrecognized, help: .hidden) var runArguments: [String] = []

    /// The table's options given on the command line, each checked as a run file's are.
    var commandLine: RunOptions {
        get throws {
            do { return try RunOptionArguments.parse(runArguments) } catch { throw ValidationError(error.description) }
        }
    }

    func validate() throws {
        let given = try commandLine
        if given[.hospitals]?.integer == 0 { throw ValidationError("--hospitals must be at least 1, got 0") }
    }

    /// The run file's options overridden by the command line's, with defaults applied.
    func resolved() throws -> RunPlan {
        let given = try commandLine
        let options = try RunOptions.merged(config: config, resume: resume, commandLine: given)
        return try RunPlan(options: options, commandLine: given, insecure: insecure, simulate: simulate, resume: resume != nil,
                           encryptCheckpoints: encryptCheckpoints, raiseBudget: raiseBudget)
    }
}
